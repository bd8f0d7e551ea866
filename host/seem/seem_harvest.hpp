#pragma once
/** @file
 * @brief Harvesting a SEEM database from AQS traces (docs/seem.md): X1 per state, plastic
 * events between consecutive steps, and per-bin statistics on a 2D (X1, tau) grid.
 *
 * Definitions (all per bin of the state (X1_k, tau_k) *before* step k -> k+1):
 * - strain exposure S = sum of dgamma_k over steps starting in the bin; visits = their count;
 * - event: a stress drop, tau_{k+1} - tau_k < -drop_threshold (criterion "drop", the paper's),
 *   or a shortfall against elastic loading, G(X1_k) dgamma - (tau_{k+1} - tau_k) >
 *   drop_threshold (criterion "elastic", which also counts plastic steps with a small
 *   positive stress increment);
 * - plastic stress drop of an event dtau_pl = G(X1_k) dgamma - (tau_{k+1} - tau_k) (> 0), so
 *   that the SEEM update tau += G dgamma - dtau_pl reproduces the recorded step exactly;
 *   dX1 = X1_{k+1} - X1_k;
 * - lambda = events / S (events per unit strain);
 * - mean dX1, mean dtau_pl: averages over the bin's events; flow map: sum of (X1_{k+1} - X1_k)
 *   and of (tau_{k+1} - tau_k) over all the bin's steps divided by S (dX1/dgamma, dtau/dgamma).
 *
 * Unvisited-bin policy (used by `seem run`): a bin is trusted when visits >= min_visits; an
 * untrusted bin uses the statistics of the nearest trusted bin (Euclidean distance in bin
 * units, ties to the lower index); states outside the grid are clamped to the edge bin first.
 * Both lookups are counted and reported by the run.
 *
 * Lambda policy "monotone" (optional): within each X1 column, a trusted bin whose lambda is
 * below that of a trusted bin at lower stress uses that bin's statistics instead (lambda does
 * not decrease with stress at fixed structure). With sparse data a single elastic passage
 * leaves trusted bins with zero events at high stress, through which "raw" trajectories load
 * without bound; see docs/seem.md for the comparison.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "seem/seem_data.hpp"
#include "stz/seem/model.hpp"

namespace stz::seem {

/// Regular grid over (X1, tau).
struct BinGrid {
  int n_x1 = 20, n_tau = 20;
  double x1_min = 0, x1_max = 0;    ///< eV/atom
  double tau_min = 0, tau_max = 0;  ///< GPa
  int n_bins() const { return n_x1 * n_tau; }
  /// Bin index ix * n_tau + it, or -1 when (x1, tau) lies outside the grid.
  int bin(double x1, double tau) const;
  double x1_center(int ix) const { return x1_min + (ix + 0.5) * (x1_max - x1_min) / n_x1; }
  double tau_center(int it) const { return tau_min + (it + 0.5) * (tau_max - tau_min) / n_tau; }
};

enum class EventCriterion { drop, elastic };
enum class LambdaPolicy { raw, monotone };

struct HarvestOptions {
  BinGrid grid;  ///< ranges with min == max are chosen from the data
  X1Params x1;   ///< X1 decomposition (from the fit)
  EventCriterion criterion = EventCriterion::drop;
  double drop_threshold = 0.0;  ///< GPa, see the file comment
  int min_visits = 10;          ///< a bin is trusted with at least this many steps
  LambdaPolicy policy = LambdaPolicy::raw;
  int hist_bins = 16;          ///< per-bin (dtau_pl, dX1) histogram resolution
  double range_margin = 0.02;  ///< automatic ranges: data span widened by this fraction per side
};

/// The SEEM database: everything `seem run` needs plus the maps for plots.
struct Database {
  BinGrid grid;
  X1Params x1;
  EventCriterion criterion = EventCriterion::drop;
  double drop_threshold = 0.0;
  int min_visits = 10;
  LambdaPolicy policy = LambdaPolicy::raw;
  double dgamma = 0.0;               ///< median training strain step
  std::vector<std::string> sources;  ///< trace names used
  // per bin (n_bins)
  std::vector<double> strain;        ///< strain exposure S
  std::vector<std::int64_t> visits;  ///< steps starting in the bin
  std::vector<std::int64_t> events;  ///< events starting in the bin
  std::vector<double> lambda;        ///< events per unit strain (NaN where unvisited)
  std::vector<double> mean_dx1;      ///< mean dX1 of events (NaN without events)
  std::vector<double> mean_dtau;     ///< mean dtau_pl of events (NaN without events)
  std::vector<double> flow_dx1;      ///< mean dX1/dgamma over all steps (NaN where unvisited)
  std::vector<double> flow_dtau;     ///< mean dtau/dgamma over all steps (NaN where unvisited)
  std::vector<std::int32_t> source;  ///< unvisited-bin policy: bin whose statistics are used
  // events sorted by bin (CSR)
  std::vector<std::uint32_t> ev_offset;  ///< n_bins + 1
  std::vector<float> ev_dtau, ev_dx1;
  // per-bin 2D histograms of (dtau_pl, dX1) on common edges: hist[b][i_dtau][i_dx1]
  int hist_bins = 16;
  std::vector<double> hist_dtau_edges, hist_dx1_edges;  ///< hist_bins + 1 each
  std::vector<std::int32_t> hist;

  std::int64_t total_events() const { return static_cast<std::int64_t>(ev_dtau.size()); }
  std::int64_t trusted_bins() const;
};

/// X1 of every state of a trace.
std::vector<double> x1_series(const AqsTrace& t, const X1Params& p);

/// Harvests the database; throws when no state falls in the grid or no event is found.
Database harvest(const std::vector<AqsTrace>& traces, const HarvestOptions& opt);

/// The options `db` was harvested with, its grid included (so that a database harvested from
/// other traces with them bins alike: bootstrap and k-fold replicas).
HarvestOptions harvest_options_of(const Database& db);

/// Recomputes `source` (unvisited-bin and lambda policies) from visits, min_visits, lambda.
void assign_sources(Database& db);

/// HDF5 I/O of the database (layout documented in docs/seem.md).
void write_database(const std::string& path, const Database& db);
Database read_database(const std::string& path);

/// Parses "drop" | "elastic".
EventCriterion parse_criterion(const std::string& s);
const char* criterion_name(EventCriterion c);
/// Parses "raw" | "monotone".
LambdaPolicy parse_policy(const std::string& s);
const char* policy_name(LambdaPolicy p);

}  // namespace stz::seem
