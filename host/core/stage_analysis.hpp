#pragma once
/** @file
 * @brief What each stage of a run did (docs/model.md §6.8), from the recorded curve: where it
 * began and ended, and per protocol the number a user of that test reads — the initial slope
 * (unloading or reloading modulus) of a strain-rate stage, the minimum creep rate of a creep
 * stage, the relaxed fraction and the stress per decade of time of a relaxation stage, the
 * loops of a cyclic stage. Written to /analysis/stages/K of the output.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "core/driver.hpp"
#include "stz/params.hpp"

namespace stz {

/// The loaded strain over which a strain-rate stage's initial slope is fitted.
constexpr double stage_slope_window = 0.002;
/// The loaded-strain window of the minimum creep rate (tools/creep_fit.py uses the same).
constexpr double creep_rate_window = 5e-4;

/// The least loaded stress, GPa, a relaxation is measured against: below it (a stage that begins
/// unloaded) the relaxed fraction is undefined and loading.end_relaxed_fraction never ends a stage.
constexpr double relaxation_min_stress = 1e-3;

/// One cycle of a cyclic stage: from a top of the wave to the next.
struct CycleRecord {
  double peak_stress = 0.0;     ///< highest loaded stress in the cycle, GPa
  double valley_stress = 0.0;   ///< lowest, GPa
  double loop_area = 0.0;       ///< the loop integral of stress d(strain): energy dissipated, GJ/m^3
  double plastic_strain = 0.0;  ///< loaded plastic strain gained over the cycle (ratcheting)
};

struct StageAnalysis {
  std::uint32_t index = 0;  ///< 0-based
  LoadingProtocolKind protocol = LoadingProtocolKind::strain_rate;
  double temperature = 0.0;                                                          ///< K
  std::uint64_t first_row = 0, rows = 0;                                             ///< its rows of the curve
  double start_time = 0.0, end_time = 0.0;                                           ///< s
  double start_strain = 0.0, end_strain = 0.0;                                       ///< loaded mean strain
  double start_stress = 0.0, end_stress = 0.0, peak_stress = 0.0, min_stress = 0.0;  ///< loaded, GPa
  double plastic_strain_change = 0.0;  ///< loaded plastic strain gained in the stage
  std::uint64_t transformations = 0;   ///< thermal events + athermal flips in the stage
  bool ended = false;
  std::string end_reason;  ///< why it ended (empty while it runs)
  /// Strain-rate stages: d(stress)/d(strain) over the first stage_slope_window of loaded strain
  /// (least squares, at least 3 points; 0 otherwise): the unloading or reloading modulus, E* where
  /// no plastic event happens.
  double initial_slope = 0.0;
  /// Creep stages: the minimum over the stage of the loaded strain's rate over creep_rate_window
  /// of strain (1/s; 0 if the stage crept less), and when (s since the stage began).
  double min_creep_rate = 0.0, min_creep_rate_time = 0.0;
  /// Creep stages that ended at their end strain: the time to it (tertiary creep), s; else 0.
  double time_to_end_strain = 0.0;
  /// Relaxation stages: 1 - stress_end / stress_start (NaN when the stage began below
  /// relaxation_min_stress), and the least-squares slope of the stress
  /// against log10 of the time since the stage began (GPa per decade; points past one time_step).
  double relaxed_fraction = 0.0, stress_per_decade = 0.0;
  std::vector<CycleRecord> cycles;  ///< cyclic stages: every full cycle
};

/// Creep: the loaded strain's rate over the last creep_rate_window of strain of the rows from
/// `first_row` on, divided by the minimum of such rates over the rows (0 while either is
/// undefined). Tertiary creep: it grows above 1.
double creep_rate_ratio(const std::vector<CurvePoint>& curve, std::size_t first_row, const Params& stage_params);

/// The stages of `curve` (its stage column), with the deck's `params` and why each ended.
std::vector<StageAnalysis> analyze_stages(const std::vector<CurvePoint>& curve, const Params& params,
                                          const std::vector<std::string>& end_reasons);

}  // namespace stz
