#pragma once
/** @file
 * @brief Validation of SEEM against held-out AQS samples (docs/seem.md): per cooling rate,
 * SEEM ensembles started from the held-out glasses' mean initial state are compared with the
 * held-out mean stress-strain and X1-strain curves; crossings of mean trajectories in the
 * (X1, tau) plane are detected for the AQS data and for SEEM.
 */
#include <string>
#include <vector>

#include "seem/seem_data.hpp"
#include "seem/seem_harvest.hpp"
#include "seem/seem_run.hpp"

namespace stz::seem {

/// Splits traces per cooling rate: the n_holdout highest sample indices of each rate are held
/// out. Throws when a rate has no more than n_holdout samples (nothing would be left to train).
void split_holdout(const std::vector<AqsTrace>& all, int n_holdout, std::vector<AqsTrace>& train,
                   std::vector<AqsTrace>& held);

/// Mean and standard deviation over traces, interpolated linearly onto `gamma` (which must lie
/// inside every trace's strain range).
struct MeanCurves {
  std::vector<double> gamma, mean_tau, sd_tau, mean_x1, sd_x1;
};
MeanCurves aqs_mean(const std::vector<AqsTrace>& traces, const X1Params& p, const std::vector<double>& gamma);

/// A crossing of two polylines in the (X1, tau) plane.
struct Crossing {
  int a = 0, b = 0;                 ///< curve indices (a < b)
  double gamma_a = 0, gamma_b = 0;  ///< strain at the crossing along each curve
  double x1 = 0, tau = 0;           ///< crossing point
};

/// All proper intersections between segments of different curves (curve i: x[i][k], y[i][k]
/// at strains g[i][k]). Touching endpoints of consecutive segments are not crossings.
std::vector<Crossing> find_crossings(const std::vector<std::vector<double>>& x,
                                     const std::vector<std::vector<double>>& y,
                                     const std::vector<std::vector<double>>& g);

/// RMS of a - b over all points.
double rms_difference(const std::vector<double>& a, const std::vector<double>& b);

struct RateValidation {
  double rate = 0;  ///< cooling rate (K/ps)
  int n_train = 0, n_held = 0;
  double x1_start = 0, tau_start = 0;          ///< SEEM start: mean initial state of the held-out glasses
  RunResult seem;                              ///< SEEM ensemble
  MeanCurves held, train, all;                 ///< AQS means on the SEEM record strains
  double rms_tau = 0, rms_x1 = 0;              ///< SEEM mean vs held-out AQS mean
  double rms_tau_train = 0, rms_x1_train = 0;  ///< training mean vs held-out mean (noise floor)
  double peak_tau_seem = 0, peak_tau_aqs = 0;  ///< maxima of the mean curves (GPa)
  /// yield: mean and sd of each trajectory's / each held-out glass's maximum stress (GPa)
  double yield_seem = 0, yield_seem_sd = 0, yield_aqs = 0, yield_aqs_sd = 0;
  double flow_tau_seem = 0, flow_tau_aqs = 0;  ///< means over the last third of the strain range
};

struct ValidationResult {
  std::vector<RateValidation> rates;
  /// Crossings of the mean trajectories of different rates (indices refer to `rates`): AQS
  /// means over all samples of a rate, and SEEM ensemble means.
  std::vector<Crossing> crossings_aqs, crossings_seem;
};

/// Runs the validation. `opt` supplies the ensemble settings; its start state is replaced per
/// rate; gamma_max is limited to the shortest held-out trace.
ValidationResult validate(const Database& db, const std::vector<AqsTrace>& train, const std::vector<AqsTrace>& held,
                          const RunOptions& opt);

void write_validation(const std::string& path, const ValidationResult& v, const Database& db,
                      const std::string& database_path);

/// Fold `fold` of `folds` over glasses, stratified by cooling rate: within each rate, ordered by
/// sample index, the glasses at positions i with i % folds == fold are held out. Throws when a
/// rate has fewer glasses than folds (a fold would hold none of it out) or folds < 2.
void split_fold(const std::vector<AqsTrace>& all, int folds, int fold, std::vector<AqsTrace>& train,
                std::vector<AqsTrace>& held);

/// A mean over folds and its standard error. Folds are not independent (any two training sets
/// share most glasses), so sd / sqrt(K) is too small; the error uses the corrected resampled
/// variance of Nadeau and Bengio (2003), (1/K + n_held/n_train) sd^2.
struct FoldStat {
  double mean = 0.0, se = 0.0;
};

/// Per cooling rate, the k-fold statistics of the validation numbers (RateValidation).
struct KFoldRate {
  double rate = 0;
  int folds = 0, glasses = 0;  ///< folds that held out glasses of this rate; glasses held out in all
  FoldStat rms_tau, floor_tau, rms_x1, floor_x1, yield_seem, yield_aqs, flow_seem, flow_aqs;
  FoldStat yield_error, flow_error;  ///< SEEM minus held-out AQS, per fold
  FoldStat rms_excess;               ///< rms_tau - floor_tau, per fold
};

struct KFoldResult {
  int folds = 0;
  std::vector<ValidationResult> per_fold;
  std::vector<std::vector<std::string>> held_names;  ///< per fold
  bool per_fold_x1 = false;                          ///< each fold had its own X1 fit
  std::vector<KFoldRate> rates;
};

/// k-fold validation over glasses: per fold, a database harvested from the other folds' glasses
/// with `base`'s options and grid (harvest_options_of), validated against the fold's glasses as
/// `validate` does; then per rate the mean and standard error over folds.
/// `fold_x1`: empty (every fold uses base's X1 fit), or one X1 fit per fold, each fitted on that
/// fold's training glasses only (tools/seem/kfold_refit.sh), so that no held-out glass enters
/// the X1 decomposition it is validated with; the fold harvests and validates with it.
KFoldResult kfold_validate(const Database& base, const std::vector<AqsTrace>& all, int folds, const RunOptions& opt,
                           const std::vector<X1Params>& fold_x1 = {});

void write_kfold(const std::string& path, const KFoldResult& k, const std::string& database_path);

}  // namespace stz::seem
