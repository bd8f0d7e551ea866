#pragma once
/** @file
 * @brief Strain control at a constant rate as plain data (docs/model.md §6): the formulas of
 * host/core/protocols/strain_control.* written once for g++ and nvcc, so that the driver's
 * protocol and the CUDA device loop (docs/cuda.md, "Device-resident loop") move the mean strain
 * with the same expressions in the same order.
 *
 * Uniaxial tension, compression or simple shear, the lateral mean stresses held at zero, under
 * the "reference" (soft machine) or "exact" condition. "Loaded" quantities are signed so that
 * they grow during loading: tension uses 11, compression -11, shear the engineering shear
 * 2*eps12 and sigma12.
 */
#include <cmath>

#include "stz/hd.hpp"
#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"

namespace stz {

/// The smallest time span a clock reading `time` resolves, with a margin (8 eps |time| = 2^-49
/// |time|, about four units in the last place): a step shorter than it would not move the clock.
/// A stage that begins late (after a creep stage of 1e8 s, say) counts its time as a difference
/// of two such readings, so its protocol treats what lies closer than this to a turning point or
/// to its end as reached (else the driver would repeat steps of zero length forever).
STZ_HD_INLINE double clock_resolution(double time) { return 0x1p-49 * std::fabs(time); }

/// Why strain control ends a run (StrainLaw::end_code).
enum class StrainEnd : int { none = 0, end_strain = 1, stop_stress = 2 };

struct StrainLaw {
  ElasticMedium medium;
  LoadingMode mode = LoadingMode::tension;
  LoadingCondition condition = LoadingCondition::reference;
  double strain_rate = 0.0, strain_step = 0.0, end_strain = 0.0, record_interval = 0.0, stop_stress = 0.0;

  STZ_HD double step_time() const { return strain_step / strain_rate; }

  STZ_HD Sym2 mean_stress(const Sym2& mean_strain, double p1_mean, double p3_mean) const {
    return stz::mean_stress(medium, mean_strain, p1_mean, p3_mean);
  }

  /// Mean strain that realises `applied` in the loaded component with zero free stresses.
  STZ_HD Sym2 exact_mean_strain(double applied, double p1, double p3) const {
    if (mode == LoadingMode::tension || mode == LoadingMode::compression) {
      // eps11 fixed; sigma22 = sigma12 = 0  =>  x22 = -nu_eff x11, x12 = 0 with x = eps - p.
      const double e11 = mode == LoadingMode::tension ? applied : -applied;
      return {e11, -p1 - medium.nu_eff * (e11 - p1), p3};
    }
    // eps12 = gamma/2 fixed; sigma11 = sigma22 = 0  =>  x11 = x22 = 0.
    return {p1, -p1, 0.5 * applied};
  }

  /// Mean strain after the applied strain grows by d_applied (an elastic increment, <p> fixed).
  STZ_HD Sym2 after_strain_increment(const Sym2& e, double d_applied, double applied_after, double p1,
                                     double p3) const {
    if (condition == LoadingCondition::exact) return exact_mean_strain(applied_after, p1, p3);
    // Reference: eps_bar += d (1, -nu_eff, 0) (tension), which adds E* d to sigma11.
    switch (mode) {
      case LoadingMode::tension: return {e.xx + d_applied, e.yy - medium.nu_eff * d_applied, e.xy};
      case LoadingMode::compression: return {e.xx - d_applied, e.yy + medium.nu_eff * d_applied, e.xy};
      default: return {e.xx, e.yy, e.xy + 0.5 * d_applied};
    }
  }

  /// Time advances by dt with <p> fixed: the applied strain and the mean strain.
  STZ_HD void advance(double dt, double p1, double p3, double& applied, Sym2& mean_strain) const {
    const double d_applied = strain_rate * dt;
    applied += d_applied;
    mean_strain = after_strain_increment(mean_strain, d_applied, applied, p1, p3);
  }

  /// The mean strain after <p> changed (plastic events) at fixed applied strain.
  STZ_HD Sym2 after_plastic_change(const Sym2& e, double applied, double p1, double p3) const {
    if (condition == LoadingCondition::exact) return exact_mean_strain(applied, p1, p3);
    // Reference: eps_bar -= C^-1 : (free components of sigma_bar), which zeroes them and lets the
    // loaded strain follow (a soft machine: eps11 ~ applied + 0.422 <p1> in tension).
    Sym2 s = mean_stress(e, p1, p3);
    if (mode == LoadingMode::shear)
      s.xy = 0.0;
    else
      s.xx = 0.0;
    return e - compliance_times(medium, s);
  }

  STZ_HD double loaded_stress(const Sym2& s) const {
    return mode == LoadingMode::tension ? s.xx : (mode == LoadingMode::compression ? -s.xx : s.xy);
  }
  STZ_HD double loaded_strain(const Sym2& e) const {
    return mode == LoadingMode::tension ? e.xx : (mode == LoadingMode::compression ? -e.xx : 2.0 * e.xy);
  }
  STZ_HD double loaded_plastic_strain(double p1, double p3) const {
    return mode == LoadingMode::tension ? p1 : (mode == LoadingMode::compression ? -p1 : 2.0 * p3);
  }

  /// The run ends at the recorded (mean) strain in the loading direction. Under the reference
  /// condition it runs ahead of the applied strain by 0.422 <p1>; stopping on it reproduces the
  /// published runs (about 0.6-0.7 thermal events per voxel up to 0.06, docs/model.md §6.3).
  /// Tolerance: the strain grows in steps, never exactly to the end.
  STZ_HD StrainEnd end_code(const Sym2& mean_strain, const Sym2& mean_stress) const {
    if (loaded_strain(mean_strain) >= end_strain - 1e-9 * record_interval) return StrainEnd::end_strain;
    if (loaded_stress(mean_stress) < stop_stress) return StrainEnd::stop_stress;
    return StrainEnd::none;
  }
};

/// The law of a deck's strain-control loading on `medium`.
inline StrainLaw make_strain_law(const Params& params, const ElasticMedium& medium) {
  StrainLaw law;
  law.medium = medium;
  law.mode = params.loading.mode;
  law.condition = params.loading.condition;
  law.strain_rate = params.loading.strain_rate;
  law.strain_step = params.loading.strain_step;
  law.end_strain = params.loading.end_strain;
  law.record_interval = params.loading.record_interval;
  law.stop_stress = params.loading.stop_stress;
  return law;
}

}  // namespace stz
