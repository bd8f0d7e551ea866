#pragma once
/** @file
 * @brief The steady state of SEEM (docs/seem.md, "The fixed point"): ensembles from a grid of
 * start states run to large strain; each one's steady state is the mean over the last window of
 * strain; their mean is the fixed point and their spread says whether the starts share one basin.
 * Its uncertainty comes from a bootstrap over the training glasses (each replica harvests a
 * database from glasses drawn with replacement within each cooling rate and runs again). It is
 * compared with the atomistic steady state (the AQS glasses' mean over the end of their strain
 * range) and with the attractor of the deterministic mean flow (the flow map's dX1/dgamma and
 * dtau/dgamma integrated from the fixed point).
 */
#include <cstdint>
#include <string>
#include <vector>

#include "seem/seem_data.hpp"
#include "seem/seem_harvest.hpp"
#include "seem/seem_run.hpp"

namespace stz::seem {

struct FixedPointOptions {
  RunOptions run;                      ///< ensemble settings; the start state is set per start
  double window = 0.5;                 ///< steady state: mean over the last `window` of strain
  int starts_x1 = 5;                   ///< starts: this many X1 values across the harvested range...
  int starts_tau = 2;                  ///< ...times this many stresses from 0 to the middle of the range
  int bootstrap = 0;                   ///< replicas (0: none); needs the training traces
  std::int64_t bootstrap_traj = 2000;  ///< trajectories per replica
  std::uint64_t bootstrap_seed = 1;
  double aqs_window_lo = 0.2, aqs_window_hi = 0.3;  ///< strain window of the atomistic steady state
};

/// One ensemble from one start: its mean curves and steady state.
struct FixedPointStart {
  double x1_start = 0, tau_start = 0;
  double x1 = 0, tau = 0;                        ///< steady state (ensemble mean over the window)
  std::vector<double> gamma, mean_x1, mean_tau;  ///< ensemble mean curves
  std::int64_t outside_lookups = 0, fallback_lookups = 0, steps = 0;
  std::int64_t trajectories_outside = 0;  ///< of the ensemble's trajectories, those that left the grid
};

/// Starts whose steady states lie within one bin of each other (in X1 and in tau) share a basin.
struct FixedPointBasin {
  std::vector<int> starts;  ///< indices into FixedPointResult::starts, in start order
  double x1 = 0, tau = 0;   ///< mean of their steady states
  bool outside = false;     ///< the steady state lies outside the harvested grid
};

/// Groups steady states (x1[i], tau[i]) into basins: each state, in order, joins the first basin
/// whose mean (so far) lies within bin_x1 in X1 and bin_tau in tau, else opens a new one. Means
/// are summed in start order. The basins come back largest first (ties: first opened first).
std::vector<FixedPointBasin> group_basins(const std::vector<double>& x1, const std::vector<double>& tau, double bin_x1,
                                          double bin_tau);

struct SteadyStateAqs {
  int glasses = 0;
  double x1 = 0, tau = 0, x1_se = 0, tau_se = 0;  ///< mean over glasses and its standard error
};

struct FixedPointResult {
  std::vector<FixedPointStart> starts;
  /// The starts' steady states grouped (group_basins, one bin): the fixed point is the basin
  /// most starts reach; others (e.g. starts that load through the grid's edge without end) are
  /// reported, not averaged in.
  std::vector<FixedPointBasin> basins;
  double x1 = 0, tau = 0;                ///< the main basin's mean steady state
  double spread_x1 = 0, spread_tau = 0;  ///< largest distance of its starts' steady states from it
  /// Bootstrap over training glasses: every replica's fixed point (run from the fixed point's X1
  /// at zero stress) and the fraction of its steps outside the harvested grid. A replica whose
  /// steady state lies outside the grid has escaped (loading without end through bins that lost
  /// their events when glasses were resampled). The median and the 16 and 84 % points are over
  /// every replica harvested (the escaped ones included: they are the tail); the standard
  /// deviations over those that stay in the grid only.
  std::vector<double> boot_x1, boot_tau, boot_outside;
  int boot_escaped = 0, boot_failed = 0;  ///< escaped; no event in the grid (no SEEM)
  double boot_x1_median = 0, boot_tau_median = 0;
  double boot_x1_lo = 0, boot_x1_hi = 0, boot_tau_lo = 0, boot_tau_hi = 0;  ///< 16 and 84 %
  double boot_sd_x1 = 0, boot_sd_tau = 0;                                   ///< of the staying replicas
  /// Atomistic steady state: all glasses, then per cooling rate (ascending).
  SteadyStateAqs aqs;
  std::vector<double> aqs_rates;
  std::vector<SteadyStateAqs> aqs_per_rate;
  /// The mean flow integrated from the fixed point: its path and where it settles (the mean of
  /// the last quarter of the path), and how far it still wanders there (bin units).
  std::vector<double> flow_x1, flow_tau;
  double attractor_x1 = 0, attractor_tau = 0, attractor_wander = 0;
};

/// The mean over records with gamma >= gamma_max - window of an ensemble's mean curves.
void steady_state(const RunResult& r, double window, double& x1, double& tau);

/// Each glass's mean tau and X1 over [lo, hi] of strain, averaged over glasses (standard error
/// over glasses). Throws when no trace reaches `hi`.
SteadyStateAqs aqs_steady_state(const std::vector<AqsTrace>& traces, const X1Params& p, double lo, double hi);

/// The deterministic mean flow dX/dgamma = flow map(bin of X) (untrusted bins: the bin the
/// database's policy uses; outside the grid: the edge bin), integrated with Euler steps of
/// `dgamma` for `steps` steps from (x1, tau). Path of steps + 1 states.
void integrate_mean_flow(const Database& db, double x1, double tau, double dgamma, std::int64_t steps,
                         std::vector<double>& path_x1, std::vector<double>& path_tau);

/// The fixed point as described in the file comment: `training`, the database's glasses, for the
/// bootstrap; `atomistic`, every glass of the dataset, for the atomistic steady state. Either may
/// be empty (no bootstrap; no atomistic steady state). Options are checked first (a clear message
/// names the bad one).
FixedPointResult fixed_point(const Database& db, const std::vector<AqsTrace>& training,
                             const std::vector<AqsTrace>& atomistic, const FixedPointOptions& opt);

/// Writes the result (HDF5; layout in docs/seem.md), atomically.
void write_fixed_point(const std::string& path, const FixedPointResult& r, const FixedPointOptions& opt,
                       const std::string& database_path);

}  // namespace stz::seem
