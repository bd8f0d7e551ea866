#pragma once
/** @file
 * @brief HDF5 layouts shared by the output file and the checkpoint: the curve and event
 * tables, counters, field snapshots and the analysis group. One layout, written and read here.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "core/driver.hpp"
#include "core/stage_analysis.hpp"
#include "io/h5.hpp"

namespace stz::io {

/// Curve table (/curve): one row per CurvePoint, every counter included.
void write_curve(hid_t loc, const std::string& name, const std::vector<CurvePoint>& curve,
                 h5::Storage storage = h5::Storage::plain);
std::vector<CurvePoint> read_curve(hid_t loc, const std::string& name);

/// Event table (/events): time, voxel, mode, barrier, branch (0 thermal, 1 athermal).
void write_events(hid_t loc, const std::string& name, const std::vector<EventRecord>& events,
                  h5::Storage storage = h5::Storage::plain);
std::vector<EventRecord> read_events(hid_t loc, const std::string& name);
/// Why each ended stage ended (DriverResults::stage_end_reasons), as attributes of `group`.
void write_stage_end_reasons(hid_t group, const std::vector<std::string>& reasons);
std::vector<std::string> read_stage_end_reasons(hid_t group);

/// Counters as attributes `<prefix><counter>`.
void write_counters(hid_t obj, const std::string& prefix, const Counters& c);
Counters read_counters(hid_t obj, const std::string& prefix);

/// The per-voxel output fields, in output order, with unit and meaning.
struct FieldInfo {
  const char* name;
  const char* unit;
  const char* description;
};
const std::vector<FieldInfo>& field_infos();

/// Where and why a field snapshot was taken (attributes of /fields/NNNN).
struct SnapshotInfo {
  int index = 0;
  std::string reason;      ///< e.g. "strain 0.02, localization"
  std::uint64_t pass = 0;  ///< driver pass after which it was taken
  double applied_strain = 0.0;
  double strain = 0.0;  ///< mean strain in the loading direction
  Sym2 mean_strain, mean_stress;
  double loaded_stress = 0.0;
  double p1_mean = 0.0, p3_mean = 0.0;
  double time = 0.0;
};
/// Largest snapshot index a file may hold (a run takes a handful).
constexpr int max_snapshot_index = 999999;
/// "fields/0003"
std::string snapshot_path(int index);
void write_snapshot_info(hid_t group, const SnapshotInfo& s);
SnapshotInfo read_snapshot_info(hid_t group);
/// Writes the fields of one snapshot as (N, N) datasets (row y, column x) into `group`.
void write_fields(hid_t group, const FieldSet& f);
/// Reads them back (an N x N grid); throws if one is missing or has the wrong size.
FieldSet read_fields(hid_t group, int n);

/// Everything /analysis holds (docs/model.md §7).
struct RunAnalysis {
  bool finished = false;
  std::string stop_reason;
  YieldStress yield;
  bool localization_reached = false;
  double localization_applied_strain = 0.0;
  double localization_strain = 0.0;  ///< the loaded (mean) strain there, as its snapshot says
  LocalizationStats localization;
  AvalancheStats avalanches;
  std::vector<StageAnalysis> stages;  ///< per stage (/analysis/stages/K; docs/model.md §6.8)
};
/// The analysis of a running or finished driver (yield tracked at every pass); the loaded strain
/// at localization from the localization snapshot among `snapshots` (the run's so far).
RunAnalysis analysis_of(const Driver& driver, const std::vector<SnapshotInfo>& snapshots);
void write_analysis(hid_t file, const RunAnalysis& a);
RunAnalysis read_analysis(hid_t file);
/**
 * @brief The names of a loading mode's loaded quantities, one vocabulary for the log, `analyze`,
 * the plots and docs/model.md §7: "strain" is the loaded mean strain (the run's end coordinate),
 * "applied strain" the strain rate times time, "plastic strain" the loaded mean eigenstrain.
 */
struct LoadedNames {
  std::string stress;   ///< e.g. "sigma_11"
  std::string strain;   ///< e.g. "eps_11"
  std::string plastic;  ///< e.g. "<p1>"
};
LoadedNames loaded_names(LoadingMode mode);

/// Human-readable report in the mode's names.
std::string format_analysis(const RunAnalysis& a, const LoadedNames& names);

}  // namespace stz::io
