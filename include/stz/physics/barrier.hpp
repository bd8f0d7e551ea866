#pragma once
/** @file
 * @brief Barriers, softening and rates (docs/model.md §4), and the transformation update (§5.5).
 *
 * Transformation strains are traceless [[e1, e3], [e3, -e1]]; for two of them
 * a : b = 2 (a1 b1 + a3 b3).
 */
#include <cmath>
#include <cstdint>

#include "stz/hd.hpp"
#include "stz/physics/fast_exp.hpp"

namespace stz {

/// a : b for two traceless in-plane tensors.
STZ_HD_INLINE double traceless_contract(double a1, double a3, double b1, double b3) {
  return 2.0 * (a1 * b1 + a3 * b3);
}

/**
 * @brief Direction factor D = ((1 + cos phi)/2)^2 between the last SFTS d and a candidate e
 * ("square-forward"); cos phi = 0 when d = 0. With `enabled == false`, D = 1.
 */
STZ_HD_INLINE double direction_factor(bool enabled, double d1, double d3, double e1, double e3) {
  if (!enabled) return 1.0;
  const double dd = traceless_contract(d1, d3, d1, d3);
  const double ee = traceless_contract(e1, e3, e1, e3);
  const double cos_phi = (dd > 0.0 && ee > 0.0) ? traceless_contract(d1, d3, e1, e3) / std::sqrt(dd * ee) : 0.0;
  const double half = 0.5 * (1.0 + cos_phi);
  return half * half;
}

/**
 * @brief exp(-(t - t_last)/tau), exactly 0 once it underflows. The explicit cut makes
 * "temporary softening has decayed" a bitwise-exact condition that caches can rely on.
 */
STZ_HD_INLINE double temporary_softening_decay(double elapsed, double tau) {
  const double x = elapsed / tau;
  return x > 745.5 ? 0.0 : std::exp(-x);
}

/// eta(t) = eta_p + eta_t exp(-(t - t_last)/tau).
STZ_HD_INLINE double softening(double eta_p, double eta_t, double t_last, double t, double tau) {
  return eta_p + eta_t * temporary_softening_decay(t - t_last, tau);
}

/// A = dF exp(-D eta): the softened stress-free barrier (eV).
STZ_HD_INLINE double softened_barrier(double dF, double D, double eta) { return dF * std::exp(-D * eta); }

/**
 * @brief Resolved work density W = sigma : e = (sigma11 - sigma22) e1 + 2 sigma12 e3 (GPa),
 * written with the per-voxel combinations s1 = sigma11 - sigma22 and s3 = 2 sigma12.
 */
STZ_HD_INLINE double resolved_work(double s1, double s3, double e1, double e3) { return s1 * e1 + s3 * e3; }
/// The same in float (solver.precision = "mixed", docs/performance.md for its error budget).
STZ_HD_INLINE float resolved_work_f(float s1, float s3, float e1, float e3) { return s1 * e1 + s3 * e3; }

/// Q = A - V W / 2 (eV), with half_volume_ev = V/2 * (eV per GPa nm^3).
STZ_HD_INLINE double activation_barrier(double softened, double work, double half_volume_ev) {
  return softened - half_volume_ev * work;
}
STZ_HD_INLINE float activation_barrier_f(float softened, float work, float half_volume_ev) {
  return softened - half_volume_ev * work;
}

/// -(Q - Q_min)/kT: the exponent of the shifted rate (kept apart for passes that evaluate
/// all exponentials in one vector loop; the same expression, hence the same bits).
STZ_HD_INLINE double rate_exponent(double barrier, double min_barrier, double inv_kT) {
  return -(barrier - min_barrier) * inv_kT;
}
STZ_HD_INLINE float rate_exponent_f(float barrier, float min_barrier, float inv_kT) {
  return -(barrier - min_barrier) * inv_kT;
}

/// exp(-(Q - Q_min)/kT): the rate relative to the fastest mode (docs/model.md §4 shift).
STZ_HD_INLINE double shifted_rate(double barrier, double min_barrier, double inv_kT) {
  return exp_nonpositive(rate_exponent(barrier, min_barrier, inv_kT));
}

/// The mixed-precision pass's scale of a voxel's rate sum relative to its own minimum Q_v:
/// exp(-(Q_v - Q_min)/kT) in double (docs/performance.md, both backends).
STZ_HD_INLINE double voxel_scale(double voxel_min, double global_min, double inv_kT) {
  return exp_nonpositive(rate_exponent(voxel_min, global_min, inv_kT));
}

/// Softening state after a transformation with SFTS e (docs/model.md §5.5).
struct SofteningAfterTransformation {
  double eta_p, eta_t;
};

/**
 * @brief delta = e:e; eta_p = min(eta_p + kappa_p delta, eta_max); eta_t = kappa_t delta
 * (overwritten, not accumulated).
 */
STZ_HD_INLINE SofteningAfterTransformation soften_after_transformation(double eta_p, double e1, double e3,
                                                                       double kappa_p, double kappa_t, double eta_max) {
  const double delta = traceless_contract(e1, e3, e1, e3);
  const double permanent = eta_p + kappa_p * delta;
  return {permanent < eta_max ? permanent : eta_max, kappa_t * delta};
}

/**
 * @brief The per-voxel state update of a transformation in mode e = (e1, e3) at `time`
 * (docs/model.md §5.5): p += e, d = e, t_last = time, the softening update, one more generation.
 * Returns the new generation, with which the caller redraws the voxel's SFTS catalog.
 */
STZ_HD_INLINE std::uint32_t transform_voxel_state(float e1, float e3, double time, double kappa_p, double kappa_t,
                                                  double eta_max, double& p1, double& p3, float& d1, float& d3,
                                                  double& t_last, double& eta_p, double& eta_t,
                                                  std::uint32_t& generation) {
  p1 += e1;
  p3 += e3;
  d1 = e1;
  d3 = e3;
  t_last = time;
  const SofteningAfterTransformation soft = soften_after_transformation(eta_p, e1, e3, kappa_p, kappa_t, eta_max);
  eta_p = soft.eta_p;
  eta_t = soft.eta_t;
  return ++generation;
}

/// Local von Mises strain EqStrain = sqrt(p1^2 + p3^2) (docs/model.md §7).
STZ_HD_INLINE double equivalent_strain(double p1, double p3) { return std::sqrt(p1 * p1 + p3 * p3); }

}  // namespace stz
