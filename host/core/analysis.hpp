#pragma once
/** @file
 * @brief Analysis quantities (docs/model.md §7): fields, extreme sites, strain localization
 * index, yield stress, avalanche statistics. Pure functions of host data.
 */
#include <cstdint>
#include <vector>

#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/state.hpp"

namespace stz {

/// Per-voxel output fields (total stress = fluctuation + mean).
struct FieldSet {
  int n = 0;
  std::vector<double> p1, p3, eq_strain, s11, s22, s12, eta;
  std::vector<std::uint32_t> generation;
};

/// Builds the output fields from a downloaded state at `time` under `mean_stress`.
FieldSet make_fields(const State& state, const Params& params, double time, const Sym2& mean_stress);

struct LocalizationStats {
  double sli = 0.0;  ///< standard deviation of EqStrain over all voxels
  double mean_eq_strain = 0.0;
  std::uint64_t extreme_sites = 0;  ///< voxels with EqStrain > threshold
  double extreme_fraction = 0.0;
};

/// Extreme sites (EqStrain > threshold, 0.7 by default) and SLI of the field (p1, p3).
LocalizationStats localization_stats(const std::vector<double>& p1, const std::vector<double>& p3,
                                     double threshold = 0.7);

struct YieldStress {
  double peak_stress = 0.0;  ///< maximum loaded stress, GPa
  double peak_strain = 0.0;  ///< loaded strain at the peak
  bool offset_reached = false;
  double offset_stress = 0.0;  ///< loaded stress where the plastic strain first reaches the offset
  double offset_strain = 0.0;
};

/**
 * @brief Yield stress from a recorded curve (strain, stress, plastic strain columns):
 * the peak, and the stress where the plastic strain first reaches `offset` (0.2 %),
 * linearly interpolated between the two bracketing points.
 */
YieldStress yield_from_curve(const std::vector<double>& strain, const std::vector<double>& stress,
                             const std::vector<double>& plastic, double offset = 0.002);

struct AvalancheStats {
  std::uint64_t count = 0;
  std::uint64_t total_flips = 0;
  std::uint64_t max_size = 0;
  double mean_size = 0.0;
  /// Maximum-likelihood exponent of P(s) ~ s^-alpha for s >= s_min (discrete approximation,
  /// Clauset et al. 2009, eq. 3.7) and its standard error (alpha - 1)/sqrt(n) (their eq. 3.2);
  /// both 0 unless the tail can carry a power law: at least avalanche_fit_min_count avalanches
  /// reach s_min and the largest is at least avalanche_fit_min_span times s_min.
  double alpha = 0.0;
  double alpha_error = 0.0;
  std::uint64_t tail_count = 0;  ///< avalanches with s >= s_min
  std::uint64_t s_min = 1;
  /// Histogram on logarithmic bins: edges[i] <= s < edges[i+1].
  std::vector<std::uint64_t> bin_edges, bin_counts;
};

/// Fewest avalanches in the tail for which an exponent is reported (with 50 the standard error
/// is about 0.07 at alpha = 1.5).
constexpr std::uint64_t avalanche_fit_min_count = 50;
/// The tail must span at least this factor in size (one decade) to speak of a power law.
constexpr std::uint64_t avalanche_fit_min_span = 10;

AvalancheStats avalanche_stats(const std::vector<std::uint64_t>& sizes, std::uint64_t s_min = 1);

}  // namespace stz
