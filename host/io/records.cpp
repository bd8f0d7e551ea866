#include "io/records.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <stdexcept>

namespace stz::io {

namespace {

struct CurveRow {
  double applied_strain, strain_11, strain_22, strain_12, stress_11, stress_22, stress_12, p1_mean, p3_mean, time;
  std::uint64_t passes, thermal_events, athermal_passes, athermal_flips, elastic_steps, avalanches, full_solves;
  std::uint32_t stage;
};

#define STZ_COL(Row, member, type) \
  h5::Column { #member, offsetof(Row, member), type }

std::vector<h5::Column> curve_columns() {
  const hid_t d = H5T_NATIVE_DOUBLE, u = H5T_NATIVE_UINT64;
  return {STZ_COL(CurveRow, applied_strain, d),  STZ_COL(CurveRow, strain_11, d),
          STZ_COL(CurveRow, strain_22, d),       STZ_COL(CurveRow, strain_12, d),
          STZ_COL(CurveRow, stress_11, d),       STZ_COL(CurveRow, stress_22, d),
          STZ_COL(CurveRow, stress_12, d),       STZ_COL(CurveRow, p1_mean, d),
          STZ_COL(CurveRow, p3_mean, d),         STZ_COL(CurveRow, time, d),
          STZ_COL(CurveRow, passes, u),          STZ_COL(CurveRow, thermal_events, u),
          STZ_COL(CurveRow, athermal_passes, u), STZ_COL(CurveRow, athermal_flips, u),
          STZ_COL(CurveRow, elastic_steps, u),   STZ_COL(CurveRow, avalanches, u),
          STZ_COL(CurveRow, full_solves, u),     STZ_COL(CurveRow, stage, H5T_NATIVE_UINT32)};
}

struct EventRow {
  double time;
  std::uint32_t voxel, mode;
  double barrier;
  std::uint8_t branch;
};

std::vector<h5::Column> event_columns() {
  return {STZ_COL(EventRow, time, H5T_NATIVE_DOUBLE), STZ_COL(EventRow, voxel, H5T_NATIVE_UINT32),
          STZ_COL(EventRow, mode, H5T_NATIVE_UINT32), STZ_COL(EventRow, barrier, H5T_NATIVE_DOUBLE),
          STZ_COL(EventRow, branch, H5T_NATIVE_UINT8)};
}

#undef STZ_COL

}  // namespace

void write_curve(hid_t loc, const std::string& name, const std::vector<CurvePoint>& curve, h5::Storage storage) {
  std::vector<CurveRow> rows;
  rows.reserve(curve.size());
  for (const CurvePoint& c : curve)
    rows.push_back({c.applied_strain, c.strain.xx, c.strain.yy, c.strain.xy, c.stress.xx, c.stress.yy, c.stress.xy,
                    c.p1_mean, c.p3_mean, c.time, c.counters.passes, c.counters.thermal_events,
                    c.counters.athermal_passes, c.counters.athermal_flips, c.counters.elastic_steps,
                    c.counters.avalanches, c.counters.full_solves, c.stage});
  h5::write_rows(loc, name, rows, curve_columns(), storage);
  h5::Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  h5::set_attr(d, "units",
               "strains: 1 (tensor shear strain_12 = gamma_12/2); stresses: GPa (mean stress); time: s; "
               "counters: cumulative counts since the start; stage: the stage (0-based) a point belongs to (the "
               "point that ends a stage and the one that begins the next are both recorded)");
}

std::vector<CurvePoint> read_curve(hid_t loc, const std::string& name) {
  std::vector<CurvePoint> curve;
  for (const CurveRow& r : h5::read_rows<CurveRow>(loc, name, curve_columns())) {
    CurvePoint c;
    c.applied_strain = r.applied_strain;
    c.strain = {r.strain_11, r.strain_22, r.strain_12};
    c.stress = {r.stress_11, r.stress_22, r.stress_12};
    c.p1_mean = r.p1_mean;
    c.p3_mean = r.p3_mean;
    c.time = r.time;
    c.counters.passes = r.passes;
    c.counters.thermal_events = r.thermal_events;
    c.counters.athermal_passes = r.athermal_passes;
    c.counters.athermal_flips = r.athermal_flips;
    c.counters.elastic_steps = r.elastic_steps;
    c.counters.avalanches = r.avalanches;
    c.counters.full_solves = r.full_solves;
    c.stage = r.stage;  // 0 in files written before stages
    curve.push_back(c);
  }
  return curve;
}

void write_stage_end_reasons(hid_t group, const std::vector<std::string>& reasons) {
  h5::set_attr(group, "stages_ended", static_cast<std::uint64_t>(reasons.size()));
  for (std::size_t k = 0; k < reasons.size(); ++k)
    h5::set_attr(group, "stage_end_reason." + std::to_string(k), reasons[k]);
}

std::vector<std::string> read_stage_end_reasons(hid_t group) {
  const std::uint64_t count = h5::attr_uint(group, "stages_ended");
  if (count > max_stages) throw std::runtime_error("stages_ended = " + std::to_string(count) + ": the file is damaged");
  std::vector<std::string> reasons;
  for (std::uint64_t k = 0; k < count; ++k)
    reasons.push_back(h5::attr_string(group, "stage_end_reason." + std::to_string(k)));
  return reasons;
}

void write_events(hid_t loc, const std::string& name, const std::vector<EventRecord>& events, h5::Storage storage) {
  std::vector<EventRow> rows;
  rows.reserve(events.size());
  for (const EventRecord& e : events)
    rows.push_back({e.time, e.voxel, e.mode, e.barrier, static_cast<std::uint8_t>(e.branch)});
  h5::write_rows(loc, name, rows, event_columns(), storage);
  h5::Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  h5::set_attr(d, "units", "time: s; voxel: y*N + x; barrier: eV (Q when chosen); branch: 0 thermal, 1 athermal");
}

std::vector<EventRecord> read_events(hid_t loc, const std::string& name) {
  std::vector<EventRecord> events;
  for (const EventRow& r : h5::read_rows<EventRow>(loc, name, event_columns()))
    events.push_back({r.time, r.voxel, r.mode, r.barrier, static_cast<Branch>(r.branch)});
  return events;
}

void write_counters(hid_t obj, const std::string& p, const Counters& c) {
  h5::set_attr(obj, p + "passes", c.passes);
  h5::set_attr(obj, p + "thermal_events", c.thermal_events);
  h5::set_attr(obj, p + "athermal_passes", c.athermal_passes);
  h5::set_attr(obj, p + "athermal_flips", c.athermal_flips);
  h5::set_attr(obj, p + "elastic_steps", c.elastic_steps);
  h5::set_attr(obj, p + "avalanches", c.avalanches);
  h5::set_attr(obj, p + "full_solves", c.full_solves);
}

Counters read_counters(hid_t obj, const std::string& p) {
  Counters c;
  c.passes = h5::attr_uint(obj, p + "passes");
  c.thermal_events = h5::attr_uint(obj, p + "thermal_events");
  c.athermal_passes = h5::attr_uint(obj, p + "athermal_passes");
  c.athermal_flips = h5::attr_uint(obj, p + "athermal_flips");
  c.elastic_steps = h5::attr_uint(obj, p + "elastic_steps");
  c.avalanches = h5::attr_uint(obj, p + "avalanches");
  c.full_solves = h5::attr_uint(obj, p + "full_solves");
  return c;
}

const std::vector<FieldInfo>& field_infos() {
  static const std::vector<FieldInfo> infos = {
      {"p1", "1", "accumulated eigenstrain component p1 (p = [[p1, p3], [p3, -p1]])"},
      {"p3", "1", "accumulated eigenstrain component p3"},
      {"eq_strain", "1", "local von Mises strain EqStrain = sqrt(p1^2 + p3^2)"},
      {"s11", "GPa", "local stress sigma_11 (mean + fluctuation)"},
      {"s22", "GPa", "local stress sigma_22"},
      {"s12", "GPa", "local stress sigma_12"},
      {"eta", "1", "softening eta = eta_p + eta_t exp(-(t - t_last)/tau)"},
      {"generation", "1", "number of transformations of the voxel"},
  };
  return infos;
}

std::string snapshot_path(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "fields/%04d", index);
  return buf;
}

void write_snapshot_info(hid_t g, const SnapshotInfo& s) {
  h5::set_attr(g, "index", s.index);
  h5::set_attr(g, "reason", s.reason);
  h5::set_attr(g, "pass", s.pass);
  h5::set_attr(g, "applied_strain", s.applied_strain);
  h5::set_attr(g, "strain", s.strain);
  h5::set_attr(g, "strain_11", s.mean_strain.xx);
  h5::set_attr(g, "strain_22", s.mean_strain.yy);
  h5::set_attr(g, "strain_12", s.mean_strain.xy);
  h5::set_attr(g, "stress", s.loaded_stress);
  h5::set_attr(g, "stress_11", s.mean_stress.xx);
  h5::set_attr(g, "stress_22", s.mean_stress.yy);
  h5::set_attr(g, "stress_12", s.mean_stress.xy);
  h5::set_attr(g, "p1_mean", s.p1_mean);
  h5::set_attr(g, "p3_mean", s.p3_mean);
  h5::set_attr(g, "time", s.time);
}

SnapshotInfo read_snapshot_info(hid_t g) {
  SnapshotInfo s;
  const std::int64_t index = h5::attr_int(g, "index");
  if (index < 0 || index > max_snapshot_index)
    throw std::runtime_error("a field snapshot has index " + std::to_string(index) + " (allowed 0 to " +
                             std::to_string(max_snapshot_index) + "): the file is damaged");
  s.index = static_cast<int>(index);
  s.reason = h5::attr_string(g, "reason");
  s.pass = h5::attr_uint(g, "pass");
  s.applied_strain = h5::attr_double(g, "applied_strain");
  s.strain = h5::attr_double(g, "strain");
  s.mean_strain = {h5::attr_double(g, "strain_11"), h5::attr_double(g, "strain_22"), h5::attr_double(g, "strain_12")};
  s.loaded_stress = h5::attr_double(g, "stress");
  s.mean_stress = {h5::attr_double(g, "stress_11"), h5::attr_double(g, "stress_22"), h5::attr_double(g, "stress_12")};
  s.p1_mean = h5::attr_double(g, "p1_mean");
  s.p3_mean = h5::attr_double(g, "p3_mean");
  s.time = h5::attr_double(g, "time");
  return s;
}

void write_fields(hid_t g, const FieldSet& f) {
  const std::vector<hsize_t> shape{static_cast<hsize_t>(f.n), static_cast<hsize_t>(f.n)};
  const std::vector<const std::vector<double>*> doubles{&f.p1, &f.p3, &f.eq_strain, &f.s11, &f.s22, &f.s12, &f.eta};
  const auto& infos = field_infos();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (i < doubles.size())
      h5::write_array(g, infos[i].name, doubles[i]->data(), shape);
    else
      h5::write_array(g, infos[i].name, f.generation.data(), shape);
    h5::Handle d(H5Dopen2(g, infos[i].name, H5P_DEFAULT), H5Dclose);
    h5::set_attr(d, "unit", infos[i].unit);
    h5::set_attr(d, "description", infos[i].description);
  }
}

FieldSet read_fields(hid_t g, int n) {
  FieldSet f;
  f.n = n;
  const std::vector<std::vector<double>*> doubles{&f.p1, &f.p3, &f.eq_strain, &f.s11, &f.s22, &f.s12, &f.eta};
  const auto& infos = field_infos();
  const std::size_t voxels = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (i < doubles.size())
      *doubles[i] = h5::read_vector<double>(g, infos[i].name);
    else
      f.generation = h5::read_vector<std::uint32_t>(g, infos[i].name);
    const std::size_t size = i < doubles.size() ? doubles[i]->size() : f.generation.size();
    if (size != voxels)
      throw std::runtime_error(std::string("field ") + infos[i].name + " of a snapshot has " + std::to_string(size) +
                               " values, not " + std::to_string(voxels) + ": the file is damaged");
  }
  return f;
}

LoadedNames loaded_names(LoadingMode mode) {
  switch (mode) {
    case LoadingMode::tension: return {"sigma_11", "eps_11", "<p1>"};
    case LoadingMode::compression: return {"-sigma_11", "-eps_11", "-<p1>"};
    default: return {"sigma_12", "gamma = 2 eps_12", "2 <p3>"};
  }
}

RunAnalysis analysis_of(const Driver& driver, const std::vector<SnapshotInfo>& snapshots) {
  const DriverState& st = driver.state();
  RunAnalysis a;
  a.finished = st.finished && !st.stalled;  // a stalled run ended, but never reached its end
  a.stop_reason = st.finished ? st.stop_reason : "running";
  a.yield = st.milestones.yield;
  a.localization_reached = st.milestones.localization_reached;
  a.localization_applied_strain = st.milestones.localization_applied_strain;
  for (const SnapshotInfo& s : snapshots)
    if (s.reason.find("localization") != std::string::npos) a.localization_strain = s.strain;
  a.localization = st.milestones.localization;
  a.avalanches = avalanche_stats(driver.results().avalanche_sizes);
  a.stages = analyze_stages(driver.results().curve, driver.params(), driver.results().stage_end_reasons);
  return a;
}

namespace {

void write_stage(hid_t stages, const StageAnalysis& s) {
  h5::Handle g = h5::create_group(stages, std::to_string(s.index));
  h5::set_attr(g, "index", static_cast<std::uint64_t>(s.index));
  h5::set_attr(g, "protocol", to_string(s.protocol));
  h5::set_attr(g, "temperature", s.temperature);
  h5::set_attr(g, "first_row", s.first_row);
  h5::set_attr(g, "rows", s.rows);
  h5::set_attr(g, "start_time", s.start_time);
  h5::set_attr(g, "end_time", s.end_time);
  h5::set_attr(g, "start_strain", s.start_strain);
  h5::set_attr(g, "end_strain", s.end_strain);
  h5::set_attr(g, "start_stress", s.start_stress);
  h5::set_attr(g, "end_stress", s.end_stress);
  h5::set_attr(g, "peak_stress", s.peak_stress);
  h5::set_attr(g, "min_stress", s.min_stress);
  h5::set_attr(g, "plastic_strain_change", s.plastic_strain_change);
  h5::set_attr(g, "transformations", s.transformations);
  h5::set_attr(g, "ended", s.ended);
  h5::set_attr(g, "end_reason", s.end_reason);
  h5::set_attr(g, "initial_slope", s.initial_slope);
  h5::set_attr(g, "min_creep_rate", s.min_creep_rate);
  h5::set_attr(g, "min_creep_rate_time", s.min_creep_rate_time);
  h5::set_attr(g, "time_to_end_strain", s.time_to_end_strain);
  h5::set_attr(g, "relaxed_fraction", s.relaxed_fraction);
  h5::set_attr(g, "stress_per_decade", s.stress_per_decade);
  std::vector<double> peak, valley, area, plastic;
  for (const CycleRecord& c : s.cycles) {
    peak.push_back(c.peak_stress);
    valley.push_back(c.valley_stress);
    area.push_back(c.loop_area);
    plastic.push_back(c.plastic_strain);
  }
  h5::write_vector(g, "cycle_peak_stress", peak);
  h5::write_vector(g, "cycle_valley_stress", valley);
  h5::write_vector(g, "cycle_loop_area", area);
  h5::write_vector(g, "cycle_plastic_strain", plastic);
}

StageAnalysis read_stage(hid_t g) {
  StageAnalysis s;
  s.index = static_cast<std::uint32_t>(std::min<std::uint64_t>(h5::attr_uint(g, "index"), max_stages));
  const std::string protocol = h5::attr_string(g, "protocol");
  for (LoadingProtocolKind k : {LoadingProtocolKind::strain_rate, LoadingProtocolKind::creep,
                                LoadingProtocolKind::relaxation, LoadingProtocolKind::cyclic})
    if (to_string(k) == protocol) s.protocol = k;
  s.temperature = h5::attr_double(g, "temperature");
  s.first_row = h5::attr_uint(g, "first_row");
  s.rows = h5::attr_uint(g, "rows");
  s.start_time = h5::attr_double(g, "start_time");
  s.end_time = h5::attr_double(g, "end_time");
  s.start_strain = h5::attr_double(g, "start_strain");
  s.end_strain = h5::attr_double(g, "end_strain");
  s.start_stress = h5::attr_double(g, "start_stress");
  s.end_stress = h5::attr_double(g, "end_stress");
  s.peak_stress = h5::attr_double(g, "peak_stress");
  s.min_stress = h5::attr_double(g, "min_stress");
  s.plastic_strain_change = h5::attr_double(g, "plastic_strain_change");
  s.transformations = h5::attr_uint(g, "transformations");
  s.ended = h5::attr_bool(g, "ended");
  s.end_reason = h5::attr_string(g, "end_reason");
  s.initial_slope = h5::attr_double(g, "initial_slope");
  s.min_creep_rate = h5::attr_double(g, "min_creep_rate");
  s.min_creep_rate_time = h5::attr_double(g, "min_creep_rate_time");
  s.time_to_end_strain = h5::attr_double(g, "time_to_end_strain");
  s.relaxed_fraction = h5::attr_double(g, "relaxed_fraction");
  s.stress_per_decade = h5::attr_double(g, "stress_per_decade");
  const std::vector<double> peak = h5::read_vector<double>(g, "cycle_peak_stress"),
                            valley = h5::read_vector<double>(g, "cycle_valley_stress"),
                            area = h5::read_vector<double>(g, "cycle_loop_area"),
                            plastic = h5::read_vector<double>(g, "cycle_plastic_strain");
  if (valley.size() != peak.size() || area.size() != peak.size() || plastic.size() != peak.size())
    throw std::runtime_error("/analysis/stages: cycle records of unequal length: the file is damaged");
  for (std::size_t i = 0; i < peak.size(); ++i) s.cycles.push_back({peak[i], valley[i], area[i], plastic[i]});
  return s;
}

}  // namespace

void write_analysis(hid_t file, const RunAnalysis& a) {
  h5::Handle g = h5::create_group(file, "analysis");
  h5::set_attr(g, "finished", a.finished);
  h5::set_attr(g, "stop_reason", a.stop_reason);
  h5::set_attr(g, "yield_offset", yield_offset);
  h5::set_attr(g, "peak_stress", a.yield.peak_stress);
  h5::set_attr(g, "peak_strain", a.yield.peak_strain);
  h5::set_attr(g, "offset_reached", a.yield.offset_reached);
  h5::set_attr(g, "offset_stress", a.yield.offset_stress);
  h5::set_attr(g, "offset_strain", a.yield.offset_strain);
  h5::set_attr(g, "localization_level", localization_level);
  h5::set_attr(g, "localization_reached", a.localization_reached);
  h5::set_attr(g, "localization_applied_strain", a.localization_applied_strain);
  h5::set_attr(g, "localization_strain", a.localization_strain);
  h5::set_attr(g, "sli", a.localization.sli);
  h5::set_attr(g, "mean_eq_strain", a.localization.mean_eq_strain);
  h5::set_attr(g, "extreme_sites", a.localization.extreme_sites);
  h5::set_attr(g, "extreme_fraction", a.localization.extreme_fraction);
  h5::set_attr(g, "avalanche_count", a.avalanches.count);
  h5::set_attr(g, "avalanche_total_flips", a.avalanches.total_flips);
  h5::set_attr(g, "avalanche_max_size", a.avalanches.max_size);
  h5::set_attr(g, "avalanche_mean_size", a.avalanches.mean_size);
  h5::set_attr(g, "avalanche_alpha", a.avalanches.alpha);
  h5::set_attr(g, "avalanche_alpha_error", a.avalanches.alpha_error);
  h5::set_attr(g, "avalanche_tail_count", a.avalanches.tail_count);
  h5::set_attr(g, "avalanche_s_min", a.avalanches.s_min);
  h5::write_vector(g, "avalanche_bin_edges", a.avalanches.bin_edges);
  h5::write_vector(g, "avalanche_bin_counts", a.avalanches.bin_counts);
  h5::Handle stages = h5::create_group(g, "stages");
  for (const StageAnalysis& s : a.stages) write_stage(stages, s);
}

RunAnalysis read_analysis(hid_t file) {
  h5::Handle g = h5::open_group(file, "analysis");
  RunAnalysis a;
  a.finished = h5::attr_bool(g, "finished");
  a.stop_reason = h5::attr_string(g, "stop_reason");
  a.yield.peak_stress = h5::attr_double(g, "peak_stress");
  a.yield.peak_strain = h5::attr_double(g, "peak_strain");
  a.yield.offset_reached = h5::attr_bool(g, "offset_reached");
  a.yield.offset_stress = h5::attr_double(g, "offset_stress");
  a.yield.offset_strain = h5::attr_double(g, "offset_strain");
  a.localization_reached = h5::attr_bool(g, "localization_reached");
  a.localization_applied_strain = h5::attr_double(g, "localization_applied_strain");
  if (H5Aexists(g, "localization_strain") > 0) a.localization_strain = h5::attr_double(g, "localization_strain");
  a.localization.sli = h5::attr_double(g, "sli");
  a.localization.mean_eq_strain = h5::attr_double(g, "mean_eq_strain");
  a.localization.extreme_sites = h5::attr_uint(g, "extreme_sites");
  a.localization.extreme_fraction = h5::attr_double(g, "extreme_fraction");
  a.avalanches.count = h5::attr_uint(g, "avalanche_count");
  a.avalanches.total_flips = h5::attr_uint(g, "avalanche_total_flips");
  a.avalanches.max_size = h5::attr_uint(g, "avalanche_max_size");
  a.avalanches.mean_size = h5::attr_double(g, "avalanche_mean_size");
  a.avalanches.alpha = h5::attr_double(g, "avalanche_alpha");
  // Outputs written before the standard error was stored lack it (read as 0: unknown).
  if (H5Aexists(g, "avalanche_alpha_error") > 0) {
    a.avalanches.alpha_error = h5::attr_double(g, "avalanche_alpha_error");
    a.avalanches.tail_count = h5::attr_uint(g, "avalanche_tail_count");
  }
  a.avalanches.s_min = h5::attr_uint(g, "avalanche_s_min");
  a.avalanches.bin_edges = h5::read_vector<std::uint64_t>(g, "avalanche_bin_edges");
  a.avalanches.bin_counts = h5::read_vector<std::uint64_t>(g, "avalanche_bin_counts");
  if (h5::exists(g, "stages")) {  // outputs of format 2 on
    std::vector<std::string> names = h5::list_group(g, "stages");
    if (names.size() > max_stages) throw std::runtime_error("/analysis/stages: too many stages: the file is damaged");
    for (const std::string& name : names) {
      h5::Handle sg = h5::open_group(g, "stages/" + name);
      a.stages.push_back(read_stage(sg));
    }
    std::sort(a.stages.begin(), a.stages.end(),
              [](const StageAnalysis& x, const StageAnalysis& y) { return x.index < y.index; });
  }
  return a;
}

std::string format_analysis(const RunAnalysis& a, const LoadedNames& names) {
  const std::string& loaded = names.stress;
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf, "  status              %s\n",
                a.finished ? ("finished: " + a.stop_reason).c_str() : a.stop_reason.c_str());
  s += buf;
  std::snprintf(buf, sizeof buf, "  peak stress         %.4f GPa (%s) at strain %.5f (%s)\n", a.yield.peak_stress,
                loaded.c_str(), a.yield.peak_strain, names.strain.c_str());
  s += buf;
  if (a.yield.offset_reached)
    std::snprintf(buf, sizeof buf, "  0.2%% offset yield   %.4f GPa at strain %.5f\n", a.yield.offset_stress,
                  a.yield.offset_strain);
  else
    std::snprintf(buf, sizeof buf, "  0.2%% offset yield   not reached (plastic strain %s < %g)\n",
                  names.plastic.c_str(), yield_offset);
  s += buf;
  if (a.localization_reached) {
    std::snprintf(buf, sizeof buf,
                  "  localization        at plastic strain %s = %g: strain %.5f, applied strain %.5f\n"
                  "    extreme sites     %llu (EqStrain > 0.7; %.3f%% of voxels)\n"
                  "    SLI               %.5f (std of EqStrain; mean %.5f)\n",
                  names.plastic.c_str(), localization_level, a.localization_strain, a.localization_applied_strain,
                  static_cast<unsigned long long>(a.localization.extreme_sites),
                  100.0 * a.localization.extreme_fraction, a.localization.sli, a.localization.mean_eq_strain);
  } else {
    std::snprintf(buf, sizeof buf, "  localization        not reached (plastic strain %s < %g)\n",
                  names.plastic.c_str(), localization_level);
  }
  s += buf;
  std::snprintf(buf, sizeof buf, "  avalanches          %llu (flips %llu, max %llu, mean %.3f",
                static_cast<unsigned long long>(a.avalanches.count),
                static_cast<unsigned long long>(a.avalanches.total_flips),
                static_cast<unsigned long long>(a.avalanches.max_size), a.avalanches.mean_size);
  s += buf;
  if (a.avalanches.alpha > 0) {
    std::snprintf(buf, sizeof buf, ", exponent %.3f +- %.3f (maximum likelihood, %llu avalanches of s >= %llu)",
                  a.avalanches.alpha, a.avalanches.alpha_error,
                  static_cast<unsigned long long>(a.avalanches.tail_count),
                  static_cast<unsigned long long>(a.avalanches.s_min));
    s += buf;
  } else if (a.avalanches.count > 0) {
    std::snprintf(buf, sizeof buf, "; no exponent: a fit needs >= %llu avalanches spanning a factor %llu in size",
                  static_cast<unsigned long long>(avalanche_fit_min_count),
                  static_cast<unsigned long long>(avalanche_fit_min_span));
    s += buf;
  }

  s += ")\n";
  // Stages: one line each, with the number of its protocol (a one-stage strain-rate run has
  // said everything above).
  const bool plain = a.stages.size() == 1 && a.stages[0].protocol == LoadingProtocolKind::strain_rate;
  for (const StageAnalysis& st : plain ? std::vector<StageAnalysis>{} : a.stages) {
    std::snprintf(buf, sizeof buf,
                  "  stage %-3u %-11s %.0f K, t %.4g -> %.4g s, strain %.5f -> %.5f, stress %.4f -> %.4f GPa, "
                  "plastic %+.5f, %llu transformations; %s\n",
                  st.index + 1, to_string(st.protocol).c_str(), st.temperature, st.start_time, st.end_time,
                  st.start_strain, st.end_strain, st.start_stress, st.end_stress, st.plastic_strain_change,
                  static_cast<unsigned long long>(st.transformations), st.ended ? st.end_reason.c_str() : "running");
    s += buf;
    std::string detail;
    switch (st.protocol) {
      case LoadingProtocolKind::strain_rate:
        if (st.initial_slope != 0.0) {
          std::snprintf(buf, sizeof buf, "initial slope %.2f GPa (over %g of strain)", st.initial_slope,
                        stage_slope_window);
          detail = buf;
        }
        break;
      case LoadingProtocolKind::creep:
        if (st.min_creep_rate > 0.0) {
          std::snprintf(buf, sizeof buf, "minimum creep rate %.4g 1/s at %.4g s into the stage", st.min_creep_rate,
                        st.min_creep_rate_time);
          detail = buf;
          if (st.time_to_end_strain > 0.0) {
            std::snprintf(buf, sizeof buf, "; end strain (tertiary creep) after %.4g s", st.time_to_end_strain);
            detail += buf;
          }
        }
        break;
      case LoadingProtocolKind::relaxation:
        if (std::isnan(st.relaxed_fraction))
          std::snprintf(buf, sizeof buf, "began unloaded (no relaxed fraction), %.4f GPa per decade of time",
                        st.stress_per_decade);
        else
          std::snprintf(buf, sizeof buf, "relaxed %.2f %%, %.4f GPa per decade of time", 100.0 * st.relaxed_fraction,
                        st.stress_per_decade);
        detail = buf;
        break;
      case LoadingProtocolKind::cyclic:
        for (std::size_t k = 0; k < st.cycles.size(); ++k) {
          std::snprintf(buf, sizeof buf, "%scycle %zu: stress %.3f/%.3f GPa, loop %.5f GJ/m^3, plastic %+.5f",
                        k ? "\n            " : "", k + 1, st.cycles[k].peak_stress, st.cycles[k].valley_stress,
                        st.cycles[k].loop_area, st.cycles[k].plastic_strain);
          detail += buf;
        }
        break;
    }
    if (!detail.empty()) s += "            " + detail + "\n";
  }
  return s;
}

}  // namespace stz::io
