#include "checkpoint.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "build_info.hpp"
#include "output.hpp"

namespace stz::io {

namespace {

// A field added to DriverState or State that is not saved here would make resumed runs
// diverge silently. These sizes make such a change fail to compile until the checkpoint
// (and this assertion) is updated.
static_assert(sizeof(DriverState) == 272, "DriverState changed: update write_driver/read_driver");
static_assert(sizeof(State) == 2 * sizeof(int) + 14 * sizeof(std::vector<double>),
              "State changed: update write_state/read_state");
static_assert(sizeof(Counters) == 7 * sizeof(std::uint64_t), "Counters changed: update records.cpp");

constexpr int format_version = 1;

void write_driver(hid_t g, const DriverState& s) {
  h5::set_attr(g, "time", s.time);
  h5::set_attr(g, "applied_strain", s.applied_strain);
  h5::set_attr(g, "mean_strain_11", s.mean_strain.xx);
  h5::set_attr(g, "mean_strain_22", s.mean_strain.yy);
  h5::set_attr(g, "mean_strain_12", s.mean_strain.xy);
  h5::set_attr(g, "p1_sum", s.p1_sum);
  h5::set_attr(g, "p3_sum", s.p3_sum);
  h5::set_attr(g, "step_time_used", s.step_time_used);
  h5::set_attr(g, "events_since_full_solve", s.events_since_full_solve);
  h5::set_attr(g, "open_avalanche", s.open_avalanche);
  h5::set_attr(g, "records", s.records);
  write_counters(g, "counters.", s.counters);
  h5::set_attr(g, "finished", s.finished);
  h5::set_attr(g, "stop_reason", s.stop_reason);
  h5::set_attr(g, "yield.peak_stress", s.yield.peak_stress);
  h5::set_attr(g, "yield.peak_strain", s.yield.peak_strain);
  h5::set_attr(g, "yield.offset_reached", s.yield.offset_reached);
  h5::set_attr(g, "yield.offset_stress", s.yield.offset_stress);
  h5::set_attr(g, "yield.offset_strain", s.yield.offset_strain);
  h5::set_attr(g, "localization_reached", s.localization_reached);
  h5::set_attr(g, "localization_applied_strain", s.localization_applied_strain);
  h5::set_attr(g, "localization.sli", s.localization.sli);
  h5::set_attr(g, "localization.mean_eq_strain", s.localization.mean_eq_strain);
  h5::set_attr(g, "localization.extreme_sites", s.localization.extreme_sites);
  h5::set_attr(g, "localization.extreme_fraction", s.localization.extreme_fraction);
}

DriverState read_driver(hid_t g) {
  DriverState s;
  s.time = h5::attr_double(g, "time");
  s.applied_strain = h5::attr_double(g, "applied_strain");
  s.mean_strain = {h5::attr_double(g, "mean_strain_11"), h5::attr_double(g, "mean_strain_22"),
                   h5::attr_double(g, "mean_strain_12")};
  s.p1_sum = h5::attr_double(g, "p1_sum");
  s.p3_sum = h5::attr_double(g, "p3_sum");
  s.step_time_used = h5::attr_double(g, "step_time_used");
  s.events_since_full_solve = h5::attr_uint(g, "events_since_full_solve");
  s.open_avalanche = h5::attr_uint(g, "open_avalanche");
  s.records = h5::attr_uint(g, "records");
  s.counters = read_counters(g, "counters.");
  s.finished = h5::attr_bool(g, "finished");
  s.stop_reason = h5::attr_string(g, "stop_reason");
  s.yield.peak_stress = h5::attr_double(g, "yield.peak_stress");
  s.yield.peak_strain = h5::attr_double(g, "yield.peak_strain");
  s.yield.offset_reached = h5::attr_bool(g, "yield.offset_reached");
  s.yield.offset_stress = h5::attr_double(g, "yield.offset_stress");
  s.yield.offset_strain = h5::attr_double(g, "yield.offset_strain");
  s.localization_reached = h5::attr_bool(g, "localization_reached");
  s.localization_applied_strain = h5::attr_double(g, "localization_applied_strain");
  s.localization.sli = h5::attr_double(g, "localization.sli");
  s.localization.mean_eq_strain = h5::attr_double(g, "localization.mean_eq_strain");
  s.localization.extreme_sites = h5::attr_uint(g, "localization.extreme_sites");
  s.localization.extreme_fraction = h5::attr_double(g, "localization.extreme_fraction");
  return s;
}

void write_state(hid_t g, const State& s) {
  h5::set_attr(g, "n", s.n);
  h5::set_attr(g, "modes", s.modes);
  h5::write_vector(g, "barrier", s.barrier);
  h5::write_vector(g, "sfts_e1", s.sfts_e1);
  h5::write_vector(g, "sfts_e3", s.sfts_e3);
  h5::write_vector(g, "p1", s.p1);
  h5::write_vector(g, "p3", s.p3);
  h5::write_vector(g, "d1", s.d1);
  h5::write_vector(g, "d3", s.d3);
  h5::write_vector(g, "eta_p", s.eta_p);
  h5::write_vector(g, "eta_t", s.eta_t);
  h5::write_vector(g, "t_last", s.t_last);
  h5::write_vector(g, "generation", s.generation);
  h5::write_vector(g, "s11", s.s11);
  h5::write_vector(g, "s22", s.s22);
  h5::write_vector(g, "s12", s.s12);
}

State read_state(hid_t g, const std::string& path) {
  State s;
  s.n = static_cast<int>(h5::attr_int(g, "n"));
  s.modes = static_cast<int>(h5::attr_int(g, "modes"));
  s.barrier = h5::read_vector<float>(g, "barrier");
  s.sfts_e1 = h5::read_vector<float>(g, "sfts_e1");
  s.sfts_e3 = h5::read_vector<float>(g, "sfts_e3");
  s.p1 = h5::read_vector<double>(g, "p1");
  s.p3 = h5::read_vector<double>(g, "p3");
  s.d1 = h5::read_vector<float>(g, "d1");
  s.d3 = h5::read_vector<float>(g, "d3");
  s.eta_p = h5::read_vector<double>(g, "eta_p");
  s.eta_t = h5::read_vector<double>(g, "eta_t");
  s.t_last = h5::read_vector<double>(g, "t_last");
  s.generation = h5::read_vector<std::uint32_t>(g, "generation");
  s.s11 = h5::read_vector<double>(g, "s11");
  s.s22 = h5::read_vector<double>(g, "s22");
  s.s12 = h5::read_vector<double>(g, "s12");
  const std::size_t v = s.voxels(), vm = v * static_cast<std::size_t>(s.modes);
  const bool ok = s.barrier.size() == vm && s.sfts_e1.size() == vm && s.sfts_e3.size() == vm && s.p1.size() == v &&
                  s.p3.size() == v && s.d1.size() == v && s.d3.size() == v && s.eta_p.size() == v &&
                  s.eta_t.size() == v && s.t_last.size() == v && s.generation.size() == v && s.s11.size() == v &&
                  s.s22.size() == v && s.s12.size() == v;
  if (!ok) throw std::runtime_error(path + ": /state arrays do not match its grid (" + std::to_string(s.n) + "^2 x " +
                                    std::to_string(s.modes) + "): the checkpoint is damaged");
  return s;
}

void write_bookkeeping(hid_t g, const OutputBookkeeping& b) {
  h5::set_attr(g, "next_field_strain", b.next_field_strain);
  h5::set_attr(g, "localization_snapshot", b.localization_snapshot);
  h5::set_attr(g, "next_checkpoint_strain", b.next_checkpoint_strain);
  h5::set_attr(g, "start_time", b.start_time);
  h5::set_attr(g, "wall_time_s", b.wall_time_s);
  h5::set_attr(g, "segments", b.segments);
  h5::set_attr(g, "deck_source", b.deck_source);
  h5::set_attr(g, "backend", b.backend);
  h5::Handle snaps = h5::create_group(g, "snapshots");
  for (const SnapshotInfo& s : b.snapshots) {
    h5::Handle sg = h5::create_group(snaps, snapshot_path(s.index).substr(7));  // "NNNN"
    write_snapshot_info(sg, s);
  }
}

OutputBookkeeping read_bookkeeping(hid_t g) {
  OutputBookkeeping b;
  b.next_field_strain = h5::attr_uint(g, "next_field_strain");
  b.localization_snapshot = h5::attr_bool(g, "localization_snapshot");
  b.next_checkpoint_strain = h5::attr_double(g, "next_checkpoint_strain");
  b.start_time = h5::attr_string(g, "start_time");
  b.wall_time_s = h5::attr_double(g, "wall_time_s");
  b.segments = static_cast<int>(h5::attr_int(g, "segments"));
  b.deck_source = h5::attr_string(g, "deck_source");
  b.backend = h5::attr_string(g, "backend");
  for (const std::string& name : h5::list_group(g, "snapshots")) {
    h5::Handle sg = h5::open_group(g, "snapshots/" + name);
    b.snapshots.push_back(read_snapshot_info(sg));
  }
  // Link names sort as text ("10000" < "9999"); the order that matters is the index.
  std::sort(b.snapshots.begin(), b.snapshots.end(),
            [](const SnapshotInfo& x, const SnapshotInfo& y) { return x.index < y.index; });
  return b;
}

}  // namespace

CheckpointPaths checkpoint_paths(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  return {(fs::path(dir) / (name + ".ckpt.h5")).string(), (fs::path(dir) / (name + ".ckpt.prev.h5")).string()};
}

void write_checkpoint(const CheckpointPaths& paths, const Checkpoint& c) {
  h5::AtomicFile target(paths.current);
  target.keep_previous_as(paths.previous);
  {
    h5::Handle f = h5::create_file(target.temp_path());
    {
      h5::Handle g = h5::create_group(f, "meta");
      h5::set_attr(g, "format", "stzkmc checkpoint");
      h5::set_attr(g, "format_version", format_version);
      h5::set_attr(g, "version", build_info().version);
      h5::set_attr(g, "commit", build_info().commit);
      h5::set_attr(g, "written", iso_time_now());
    }
    write_deck(f, c.deck, c.output.deck_source);
    {
      h5::Handle g = h5::create_group(f, "driver");
      write_driver(g, c.driver);
    }
    {
      h5::Handle g = h5::create_group(f, "results");
      write_curve(g, "curve", c.results.curve);
      h5::write_vector(g, "avalanche_sizes", c.results.avalanche_sizes);
      write_events(g, "events", c.results.events);
    }
    {
      h5::Handle g = h5::create_group(f, "state");
      write_state(g, c.state);
    }
    {
      h5::Handle g = h5::create_group(f, "output");
      write_bookkeeping(g, c.output);
    }
  }
  target.commit();
}

Checkpoint read_checkpoint(const std::string& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error(path + ": no such checkpoint file");
  h5::Handle f = h5::open_file(path);
  if (!h5::exists(f, "meta") || !h5::exists(f, "state"))
    throw std::runtime_error(path + " is not an stzkmc checkpoint (no /meta or /state; an output file is NAME.h5, "
                                    "its checkpoint NAME.ckpt.h5)");
  Checkpoint c;
  {
    h5::Handle g = h5::open_group(f, "meta");
    const std::string format = h5::attr_string(g, "format");
    const std::int64_t version = h5::attr_int(g, "format_version");
    if (format != "stzkmc checkpoint" || version != format_version)
      throw std::runtime_error(path + ": checkpoint format '" + format + "' version " + std::to_string(version) +
                               " is not supported (this stzkmc reads version " + std::to_string(format_version) + ")");
  }
  // The resolved deck prints every float in shortest round-trip form: parsing it gives
  // bitwise the same Params.
  c.deck = parse_deck(h5::read_string(f, "deck"), path);
  {
    h5::Handle g = h5::open_group(f, "driver");
    c.driver = read_driver(g);
  }
  {
    h5::Handle g = h5::open_group(f, "results");
    c.results.curve = read_curve(g, "curve");
    c.results.avalanche_sizes = h5::read_vector<std::uint64_t>(g, "avalanche_sizes");
    c.results.events = read_events(g, "events");
  }
  {
    h5::Handle g = h5::open_group(f, "state");
    c.state = read_state(g, path);
  }
  {
    h5::Handle g = h5::open_group(f, "output");
    c.output = read_bookkeeping(g);
  }
  if (c.state.n != c.deck.params.grid.n || c.state.modes != c.deck.params.grid.modes)
    throw std::runtime_error(path + ": the state's grid does not match its deck: the checkpoint is damaged");
  return c;
}

}  // namespace stz::io
