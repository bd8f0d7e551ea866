#include "io/checkpoint.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "io/atomic_file.hpp"
#include "io/build_info.hpp"
#include "io/digest.hpp"
#include "io/output.hpp"

namespace stz::io {

namespace {

// A field added to DriverState or State that is not saved here would make resumed runs
// diverge silently. These sizes make such a change fail to compile until the checkpoint
// (and this assertion) is updated.
static_assert(sizeof(DriverState) == 392, "DriverState changed: update write_driver/read_driver/add_driver");
static_assert(sizeof(State) == 2 * sizeof(int) + 19 * sizeof(std::vector<double>),
              "State changed: list the new field in state_fields (stz/state.hpp)");
static_assert(std::tuple_size_v<std::decay_t<decltype(state_fields())>> == 19,
              "state_fields lists every vector of State");
static_assert(sizeof(Counters) == 7 * sizeof(std::uint64_t), "Counters changed: update records.cpp");

/// 1: the first format. 2: sealed (a digest of the whole file in its user block, checked before
/// HDF5 reads it), checksummed metadata, Fletcher32 on every dataset, a digest of the content in
/// /meta, the stall watchdog's state. 3: stages (the stage running and where it began, each
/// curve point's stage, why each ended stage ended). All are read.
constexpr int format_version = 3;
constexpr const char* digest_attr = "digest_fnv1a64";

constexpr h5::Storage checked = h5::Storage::checksummed;

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
  h5::set_attr(g, "stalled", s.stalled);
  h5::set_attr(g, "stop_reason", s.stop_reason);
  h5::set_attr(g, "stall_events", s.stall_events);
  h5::set_attr(g, "bounds_valid", s.bounds_valid);
  h5::set_attr(g, "bounds_unstable", s.bounds_unstable);
  h5::set_attr(g, "bound_horizon", s.bound_horizon);
  h5::set_attr(g, "candidates_rejected", s.candidates_rejected);
  h5::set_attr(g, "wait_start", s.wait_start);
  h5::set_attr(g, "bound_refreshes", s.bound_refreshes);
  h5::set_attr(g, "full_bound_refreshes", s.full_bound_refreshes);
  h5::set_attr(g, "next_progress_strain", s.next_progress_strain);
  h5::set_attr(g, "yield.peak_stress", s.milestones.yield.peak_stress);
  h5::set_attr(g, "yield.peak_strain", s.milestones.yield.peak_strain);
  h5::set_attr(g, "yield.offset_reached", s.milestones.yield.offset_reached);
  h5::set_attr(g, "yield.offset_stress", s.milestones.yield.offset_stress);
  h5::set_attr(g, "yield.offset_strain", s.milestones.yield.offset_strain);
  h5::set_attr(g, "localization_reached", s.milestones.localization_reached);
  h5::set_attr(g, "localization_applied_strain", s.milestones.localization_applied_strain);
  h5::set_attr(g, "localization.sli", s.milestones.localization.sli);
  h5::set_attr(g, "localization.mean_eq_strain", s.milestones.localization.mean_eq_strain);
  h5::set_attr(g, "localization.extreme_sites", s.milestones.localization.extreme_sites);
  h5::set_attr(g, "localization.extreme_fraction", s.milestones.localization.extreme_fraction);
  h5::set_attr(g, "stage", static_cast<std::uint64_t>(s.stage));
  h5::set_attr(g, "stage_start.index", static_cast<std::uint64_t>(s.stage_start.index));
  h5::set_attr(g, "stage_start.time", s.stage_start.time);
  h5::set_attr(g, "stage_start.applied_strain", s.stage_start.applied_strain);
  h5::set_attr(g, "stage_start.loaded_strain", s.stage_start.loaded_strain);
  h5::set_attr(g, "stage_start.loaded_stress", s.stage_start.loaded_stress);
  h5::set_attr(g, "stage_start.transformations", s.stage_start.transformations);
}

DriverState read_driver(hid_t g, int version) {
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
  if (version >= 2) {
    s.stalled = h5::attr_bool(g, "stalled");
    s.stall_events = h5::attr_uint(g, "stall_events");
    s.bounds_valid = h5::attr_bool(g, "bounds_valid");
    s.bounds_unstable = h5::attr_bool(g, "bounds_unstable");
    s.bound_horizon = h5::attr_double(g, "bound_horizon");
    s.candidates_rejected = h5::attr_uint(g, "candidates_rejected");
    s.wait_start = h5::attr_double(g, "wait_start");
    s.bound_refreshes = h5::attr_uint(g, "bound_refreshes");
    s.full_bound_refreshes = h5::attr_uint(g, "full_bound_refreshes");
    s.next_progress_strain = h5::attr_double(g, "next_progress_strain");
  } else {
    s.wait_start = s.time;  // format 1 predates the bounded rule; its waits start at the saved time
  }
  s.milestones.yield.peak_stress = h5::attr_double(g, "yield.peak_stress");
  s.milestones.yield.peak_strain = h5::attr_double(g, "yield.peak_strain");
  s.milestones.yield.offset_reached = h5::attr_bool(g, "yield.offset_reached");
  s.milestones.yield.offset_stress = h5::attr_double(g, "yield.offset_stress");
  s.milestones.yield.offset_strain = h5::attr_double(g, "yield.offset_strain");
  s.milestones.localization_reached = h5::attr_bool(g, "localization_reached");
  s.milestones.localization_applied_strain = h5::attr_double(g, "localization_applied_strain");
  s.milestones.localization.sli = h5::attr_double(g, "localization.sli");
  s.milestones.localization.mean_eq_strain = h5::attr_double(g, "localization.mean_eq_strain");
  s.milestones.localization.extreme_sites = h5::attr_uint(g, "localization.extreme_sites");
  s.milestones.localization.extreme_fraction = h5::attr_double(g, "localization.extreme_fraction");
  if (version >= 3) {  // earlier formats hold one-stage runs: stage 0 from t = 0
    s.stage = static_cast<std::uint32_t>(std::min<std::uint64_t>(h5::attr_uint(g, "stage"), max_stages));
    s.stage_start.index =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(h5::attr_uint(g, "stage_start.index"), max_stages));
    s.stage_start.time = h5::attr_double(g, "stage_start.time");
    s.stage_start.applied_strain = h5::attr_double(g, "stage_start.applied_strain");
    s.stage_start.loaded_strain = h5::attr_double(g, "stage_start.loaded_strain");
    s.stage_start.loaded_stress = h5::attr_double(g, "stage_start.loaded_stress");
    s.stage_start.transformations = h5::attr_uint(g, "stage_start.transformations");
  }
  return s;
}

void write_state(hid_t g, const State& s) {
  h5::set_attr(g, "n", s.n);
  h5::set_attr(g, "modes", s.modes);
  for_each_state_field([&](const auto& field) { h5::write_vector(g, field.name, s.*field.member, checked); });
}

State read_state(hid_t g, const std::string& path) {
  State s;
  const std::int64_t n = h5::attr_int(g, "n"), modes = h5::attr_int(g, "modes");
  if (n < 4 || n > 65536 || modes < 1 || modes > 1024)
    throw std::runtime_error(path + ": /state says " + std::to_string(n) + "^2 voxels x " + std::to_string(modes) +
                             " modes: the checkpoint is damaged");
  s.n = static_cast<int>(n);
  s.modes = static_cast<int>(modes);
  for_each_state_field([&](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    auto& v = s.*field.member;
    v = h5::read_vector<T>(g, field.name);
    if (!field.fits(v.size(), s.voxels(), s.modes))
      throw std::runtime_error(path + ": /state/" + field.name + " has " + std::to_string(v.size()) +
                               " values, not one per " + (field.extent == FieldExtent::voxel ? "voxel" : "voxel-mode") +
                               " of its grid (" + std::to_string(s.n) + "^2 x " + std::to_string(s.modes) +
                               "): the checkpoint is damaged");
  });
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
  const std::int64_t segments = h5::attr_int(g, "segments");
  if (segments < 1 || segments > 1000000000)
    throw std::runtime_error("/output segments = " + std::to_string(segments) + ": the checkpoint is damaged");
  b.segments = static_cast<int>(segments);
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

// ---- Digest: every value that a resumed run depends on, in a fixed order ----------------------

void add_counters(Digest& d, const Counters& c) {
  for (std::uint64_t v :
       {c.passes, c.thermal_events, c.athermal_passes, c.athermal_flips, c.elastic_steps, c.avalanches, c.full_solves})
    d.add(v);
}

void add_driver(Digest& d, const DriverState& s, int version) {
  for (double v :
       {s.time, s.applied_strain, s.mean_strain.xx, s.mean_strain.yy, s.mean_strain.xy, s.p1_sum, s.p3_sum,
        s.step_time_used, s.milestones.yield.peak_stress, s.milestones.yield.peak_strain,
        s.milestones.yield.offset_stress, s.milestones.yield.offset_strain, s.milestones.localization_applied_strain,
        s.milestones.localization.sli, s.milestones.localization.mean_eq_strain,
        s.milestones.localization.extreme_fraction, s.next_progress_strain, s.bound_horizon, s.wait_start})
    d.add(v);
  for (std::uint64_t v :
       {s.events_since_full_solve, s.open_avalanche, s.records, s.milestones.localization.extreme_sites, s.stall_events,
        s.candidates_rejected, s.bound_refreshes, s.full_bound_refreshes})
    d.add(v);
  add_counters(d, s.counters);
  for (bool v : {s.finished, s.stalled, s.milestones.yield.offset_reached, s.milestones.localization_reached,
                 s.bounds_valid, s.bounds_unstable})
    d.add(v);
  d.add(s.stop_reason);
  if (version >= 3) {
    d.add(static_cast<std::uint64_t>(s.stage));
    d.add(static_cast<std::uint64_t>(s.stage_start.index));
    for (double v :
         {s.stage_start.time, s.stage_start.applied_strain, s.stage_start.loaded_strain, s.stage_start.loaded_stress})
      d.add(v);
    d.add(s.stage_start.transformations);
  }
}

void add_results(Digest& d, const DriverResults& r, int version) {
  d.add(static_cast<std::uint64_t>(r.curve.size()));
  for (const CurvePoint& c : r.curve) {
    for (double v : {c.applied_strain, c.strain.xx, c.strain.yy, c.strain.xy, c.stress.xx, c.stress.yy, c.stress.xy,
                     c.p1_mean, c.p3_mean, c.time})
      d.add(v);
    add_counters(d, c.counters);
    if (version >= 3) d.add(static_cast<std::uint64_t>(c.stage));
  }
  if (version >= 3) {
    d.add(static_cast<std::uint64_t>(r.stage_end_reasons.size()));
    for (const std::string& reason : r.stage_end_reasons) d.add(reason);
  }
  d.add(r.avalanche_sizes);
  d.add(static_cast<std::uint64_t>(r.events.size()));
  for (const EventRecord& e : r.events) {
    d.add(e.time);
    d.add(static_cast<std::uint64_t>(e.voxel));
    d.add(static_cast<std::uint64_t>(e.mode));
    d.add(e.barrier);
    d.add(static_cast<std::uint64_t>(e.branch));
  }
}

void add_state(Digest& d, const State& s) {
  d.add(s.n);
  d.add(s.modes);
  for_each_state_field([&](const auto& field) { d.add(s.*field.member); });
}

void add_snapshot(Digest& d, const SnapshotInfo& s) {
  d.add(s.index);
  d.add(s.reason);
  d.add(s.pass);
  for (double v : {s.applied_strain, s.strain, s.mean_strain.xx, s.mean_strain.yy, s.mean_strain.xy, s.mean_stress.xx,
                   s.mean_stress.yy, s.mean_stress.xy, s.loaded_stress, s.p1_mean, s.p3_mean, s.time})
    d.add(v);
}

void add_bookkeeping(Digest& d, const OutputBookkeeping& b) {
  d.add(static_cast<std::uint64_t>(b.snapshots.size()));
  for (const SnapshotInfo& s : b.snapshots) add_snapshot(d, s);
  d.add(b.next_field_strain);
  d.add(b.localization_snapshot);
  d.add(b.next_checkpoint_strain);
  d.add(b.start_time);
  d.add(b.wall_time_s);
  d.add(b.segments);
  d.add(b.deck_source);
  d.add(b.backend);
}

/// The digest of a checkpoint of format `version` whose deck was written as `deck_text`.
std::uint64_t digest_of(const std::string& deck_text, const Checkpoint& c, int version) {
  Digest d;
  d.add(deck_text);
  add_driver(d, c.driver, version);
  add_results(d, c.results, version);
  add_state(d, c.state);
  add_bookkeeping(d, c.output);
  return d.value();
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// ---- Range checks of a restored checkpoint -------------------------------------------------
// The digest catches corruption; these catch a state that was already wrong when written
// (NaN from a bug, a hand-edited file) before it is resumed.

class RangeCheck {
 public:
  explicit RangeCheck(std::string path) : path_(std::move(path)) {}
  void finite(const char* what, double v) {
    if (!std::isfinite(v)) fail(std::string(what) + " = " + number(v) + " is not finite");
  }
  void at_least(const char* what, double v, double lo) {
    finite(what, v);
    if (v < lo) fail(std::string(what) + " = " + number(v) + " is below " + number(lo));
  }
  template <class T>
  void all_finite(const char* what, const std::vector<T>& v) {
    bool ok = true;
    for (const T x : v) ok &= std::isfinite(x);  // no early exit: the loop vectorizes
    if (!ok) {
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
          fail(std::string(what) + "[" + std::to_string(i) + "] = " + number(v[i]) + " is not finite");
    }
  }
  template <class T>
  void all_within(const char* what, const std::vector<T>& v, double lo, double hi) {
    all_finite(what, v);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i] < lo || v[i] > hi)
        fail(std::string(what) + "[" + std::to_string(i) + "] = " + number(v[i]) + " is outside [" + number(lo) + ", " +
             number(hi) + "]");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path_ + ": " + what +
                             ": the checkpoint is damaged or was written by a run that had "
                             "already gone wrong");
  }

 private:
  static std::string number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  std::string path_;
};

void check_restored(const Checkpoint& c, const std::string& path) {
  RangeCheck r(path);
  const DriverState& d = c.driver;
  r.at_least("/driver time", d.time, 0.0);
  for (double v :
       {d.applied_strain, d.mean_strain.xx, d.mean_strain.yy, d.mean_strain.xy, d.p1_sum, d.p3_sum,
        d.milestones.yield.peak_stress, d.milestones.yield.peak_strain, d.milestones.yield.offset_stress,
        d.milestones.yield.offset_strain, d.milestones.localization_applied_strain, d.milestones.localization.sli,
        d.milestones.localization.mean_eq_strain, d.milestones.localization.extreme_fraction, d.next_progress_strain})
    r.finite("a /driver value", v);
  r.at_least("/driver step_time_used", d.step_time_used, 0.0);
  const Counters& k = d.counters;
  // Every pass is a thermal event, an elastic step, an athermal pass or a rejected candidate
  // (rule "bounded"); a bounded pass that only finds no barrier below zero counts as none.
  const std::uint64_t accounted = k.thermal_events + k.elastic_steps + k.athermal_passes + d.candidates_rejected;
  const bool bounded = c.deck.params.kinetics.rule == ThermalRule::bounded;
  if (k.passes < accounted || (!bounded && k.passes != accounted))
    r.fail("/driver counters disagree (passes " + std::to_string(k.passes) +
           " vs thermal events + elastic steps + athermal passes + rejected candidates " + std::to_string(accounted) +
           ")");
  const State& s = c.state;
  // A bounded run resumes with the very bounds it was sampling with (bitwise resume).
  if (bounded && d.bounds_valid && s.bound_rate.size() != s.voxels())
    r.fail("/state holds no rate bounds although its kinetics.rule is \"bounded\"");
  for_each_state_field([&](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if constexpr (std::is_floating_point_v<T>)
      r.all_finite(("/state/" + std::string(field.name)).c_str(), s.*field.member);
  });
  // eta_p is capped at eta_max (a relative ulp of slack for the cap's own rounding).
  r.all_within("/state/eta_p", s.eta_p, 0.0, c.deck.params.softening.eta_max * (1.0 + 1e-12));
  r.all_within("/state/eta_t", s.eta_t, 0.0, 1e300);
  r.all_within("/state/t_last", s.t_last, -1e308, d.time);
  const OutputBookkeeping& b = c.output;
  for (std::size_t i = 1; i < b.snapshots.size(); ++i)
    if (b.snapshots[i].index <= b.snapshots[i - 1].index) r.fail("/output/snapshots has repeated indices");
  if (b.next_field_strain > c.deck.output.field_strains.size())
    r.fail("/output next_field_strain = " + std::to_string(b.next_field_strain) + " exceeds the " +
           std::to_string(c.deck.output.field_strains.size()) + " output.field_strains");
  r.finite("/output next_checkpoint_strain", b.next_checkpoint_strain);
  r.at_least("/output wall_time_s", b.wall_time_s, 0.0);
}

}  // namespace

CheckpointPaths checkpoint_paths(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  return {(fs::path(dir) / (name + ".ckpt.h5")).string(), (fs::path(dir) / (name + ".ckpt.prev.h5")).string()};
}

void write_checkpoint(const CheckpointPaths& paths, const Checkpoint& c, bool keep_previous) {
  const std::string deck_text = to_toml(c.deck);
  const std::uint64_t digest = digest_of(deck_text, c, format_version);
  AtomicFile target(paths.current);
  if (keep_previous) target.keep_previous_as(paths.previous);
  {
    h5::Handle f = h5::create_file(target.temp_path(), h5::Format::checksummed);
    {
      h5::Handle g = h5::create_group(f, "meta");
      h5::set_attr(g, "format", "stzkmc checkpoint");
      h5::set_attr(g, "format_version", format_version);
      h5::set_attr(g, "version", build_info().version);
      h5::set_attr(g, "commit", build_info().commit);
      h5::set_attr(g, "written", iso_time_now());
      h5::set_attr(g, digest_attr, hex(digest));
    }
    write_deck(f, c.deck, c.output.deck_source);
    {
      h5::Handle g = h5::create_group(f, "driver");
      write_driver(g, c.driver);
    }
    {
      h5::Handle g = h5::create_group(f, "results");
      write_curve(g, "curve", c.results.curve, checked);
      h5::write_vector(g, "avalanche_sizes", c.results.avalanche_sizes, checked);
      write_events(g, "events", c.results.events, checked);
      write_stage_end_reasons(g, c.results.stage_end_reasons);
    }
    {
      h5::Handle g = h5::create_group(f, "state");
      write_state(g, c.state);
    }
    {
      h5::Handle g = h5::create_group(f, "output");
      write_bookkeeping(g, c.output);
    }
    h5::close_file(f, target.temp_path());
  }
  h5::seal(target.temp_path());
  // Read the whole file back (seal, checksums, digest, ranges) before it replaces anything.
  target.commit([digest](const std::string& temp) {
    std::uint64_t back = 0;
    (void)read_checkpoint(temp, nullptr, &back);
    if (back != digest) throw FileError("cannot write " + temp + ": read back, it differs from the state written", 0);
  });
}

namespace {

struct Opened {
  h5::Handle file;
  int version = 0;
  std::string digest;  ///< stored digest (empty before format 2)
};

Opened open_checkpoint(const std::string& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error(path + ": no such checkpoint file");
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + " is not a regular file");
  // The whole file is checked before HDF5 parses it: HDF5 can crash on a damaged file.
  std::string why;
  const h5::SealCheck seal = h5::check_seal(path, &why);
  if (seal == h5::SealCheck::damaged) throw std::runtime_error(path + ": " + why + ": the checkpoint is damaged");
  Opened o;
  o.file = h5::open_file(path);
  if (!h5::exists(o.file, "meta") || !h5::exists(o.file, "state"))
    throw std::runtime_error(path +
                             " is not an stzkmc checkpoint (no /meta or /state; an output file is NAME.h5, "
                             "its checkpoint NAME.ckpt.h5)");
  h5::Handle g = h5::open_group(o.file, "meta");
  const std::string format = h5::attr_string(g, "format");
  const std::int64_t version = h5::attr_int(g, "format_version");
  if (format != "stzkmc checkpoint" || version < 1 || version > format_version)
    throw std::runtime_error(path + ": checkpoint format '" + format + "' version " + std::to_string(version) +
                             " is not supported (this stzkmc reads versions 1 to " + std::to_string(format_version) +
                             ")");
  o.version = static_cast<int>(version);
  if (o.version >= 2 && seal != h5::SealCheck::intact)
    throw std::runtime_error(path + ": a format-" + std::to_string(o.version) +
                             " checkpoint without its seal: the checkpoint is damaged");
  if (o.version >= 2) o.digest = h5::attr_string(g, digest_attr);
  return o;
}

}  // namespace

namespace {
Checkpoint read_checkpoint_unnamed(const std::string& path, std::string* warning, std::uint64_t* digest);
}  // namespace

Checkpoint read_checkpoint(const std::string& path, std::string* warning, std::uint64_t* digest) {
  try {
    return read_checkpoint_unnamed(path, warning, digest);
  } catch (const FileError&) {
    throw;  // names its file already
  } catch (const std::exception& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw std::runtime_error(path + ": " + what);
  }
}

namespace {

Checkpoint read_checkpoint_unnamed(const std::string& path, std::string* warning, std::uint64_t* digest) {
  Opened o = open_checkpoint(path);
  Checkpoint c;
  // The resolved deck prints every float in shortest round-trip form: parsing it gives
  // bitwise the same Params.
  const std::string deck_text = h5::read_string(o.file, "deck");
  c.deck = parse_deck(deck_text, path);
  {
    h5::Handle g = h5::open_group(o.file, "driver");
    c.driver = read_driver(g, o.version);
  }
  {
    h5::Handle g = h5::open_group(o.file, "results");
    c.results.curve = read_curve(g, "curve");
    c.results.avalanche_sizes = h5::read_vector<std::uint64_t>(g, "avalanche_sizes");
    c.results.events = read_events(g, "events");
    if (o.version >= 3) c.results.stage_end_reasons = read_stage_end_reasons(g);
  }
  {
    h5::Handle g = h5::open_group(o.file, "state");
    c.state = read_state(g, path);
  }
  {
    h5::Handle g = h5::open_group(o.file, "output");
    c.output = read_bookkeeping(g);
  }
  if (c.state.n != c.deck.params.grid.n || c.state.modes != c.deck.params.grid.modes)
    throw std::runtime_error(path + ": the state's grid does not match its deck: the checkpoint is damaged");
  const std::uint64_t computed = digest_of(deck_text, c, o.version);
  if (digest) *digest = computed;
  if (o.version >= 2) {
    const std::string actual = hex(computed);
    if (actual != o.digest)
      throw std::runtime_error(path + ": the content does not match its digest (stored " + o.digest + ", computed " +
                               actual + "): the checkpoint is damaged");
  } else if (warning) {
    *warning = path + " is a format-1 checkpoint (before stzkmc stored digests): its integrity cannot be verified";
  }
  check_restored(c, path);
  return c;
}

}  // namespace

std::string checkpoint_run_name(const std::string& path) {
  Opened o = open_checkpoint(path);
  return parse_deck(h5::read_string(o.file, "deck"), path).output.name;
}

}  // namespace stz::io
