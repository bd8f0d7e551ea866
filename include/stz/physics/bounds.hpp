#pragma once
/** @file
 * @brief Rate bounds of the "bounded" kinetics rule (docs/model.md §5.6), written once for every
 * backend: a voxel's exact rates at a time and stress, and an upper bound on its total rate that
 * stays valid while its resolved stress stays within a margin of a reference stress.
 *
 * Why the bound holds. Q_vm = A_vm(t) - (V/2) W_vm with W_vm = s1 e1 + s3 e3 (s1 = sigma11 -
 * sigma22, s3 = 2 sigma12 of the voxel, fluctuation + mean). Between transformations of the
 * voxel, A_vm only grows (temporary softening decays), and for a stress change ds,
 * |dW_vm| <= |ds| |e_vm| (Cauchy-Schwarz). So while |s - s_ref| <= margin,
 * Q_vm(t) >= Q_vm(t_ref, s_ref) - (V/2) |e_vm| margin = low_vm, and the voxel's total rate is
 * at most sum_m exp(-(low_vm - Q_shift)/kT) (times the prefactor and exp(-Q_shift/kT)).
 *
 * Rates are kept relative to the fixed reference barrier bound_shift(kT), so that every bound
 * and rate of a run is on one scale without a per-run minimum.
 */
#include <cmath>
#include <cstdint>

#include "stz/hd.hpp"
#include "stz/physics/barrier.hpp"

namespace stz {

/// The reference barrier of the bounded rule's relative rates: 200 kT below zero, so that
/// exp(-(Q - Q_shift)/kT) <= 1 for every barrier above -200 kT (an unstable voxel triggers an
/// athermal pass long before) and underflows only 500 kT above zero.
STZ_HD_INLINE double bound_shift(double kT) { return -200.0 * kT; }

/// exp(-(q - shift)/kT) for q >= shift (relative rate on the bounded rule's scale).
STZ_HD_INLINE double relative_rate(double q, double shift, double inv_kT) {
  return exp_nonpositive(-(q - shift) * inv_kT);
}

/// What a refresh computes for one voxel.
struct VoxelBound {
  double rate;  ///< sum_m exp(-(low_vm - shift)/kT)
  double low;   ///< min_m low_vm: no barrier of the voxel can be lower while the bound holds
};

/**
 * @brief The bound of one voxel with M modes: softened barriers from dF and the direction factor
 * at softening `eta` (the value at the refresh time), resolved stress (s1, s3) as reference,
 * margin `margin` (GPa, in the (s1, s3) norm).
 */
STZ_HD_INLINE VoxelBound voxel_bound(int modes, const float* dF, const float* e1, const float* e3, bool direction,
                                     double d1, double d3, double eta, double s1, double s3, double margin,
                                     double half_volume_ev, double shift, double inv_kT) {
  VoxelBound b{0.0, 1e300};
  for (int m = 0; m < modes; ++m) {
    const double a = softened_barrier(dF[m], direction_factor(direction, d1, d3, e1[m], e3[m]), eta);
    const double q = activation_barrier(a, resolved_work(s1, s3, e1[m], e3[m]), half_volume_ev);
    const double e_norm = std::sqrt(static_cast<double>(e1[m]) * e1[m] + static_cast<double>(e3[m]) * e3[m]);
    const double low = q - half_volume_ev * e_norm * margin;
    b.rate += relative_rate(low, shift, inv_kT);
    b.low = low < b.low ? low : b.low;
  }
  return b;
}

/// The stress margin (GPa) within which a voxel's barriers fall by at most `slack` eV: slack /
/// ((V/2) max_m |e_vm|).
STZ_HD_INLINE double slack_margin(int modes, const float* e1, const float* e3, double slack, double half_volume_ev) {
  double e_max = 0.0;
  for (int m = 0; m < modes; ++m) {
    const double e_norm = std::sqrt(static_cast<double>(e1[m]) * e1[m] + static_cast<double>(e3[m]) * e3[m]);
    e_max = e_norm > e_max ? e_norm : e_max;
  }
  return e_max > 0.0 ? slack / (half_volume_ev * e_max) : 1e300;
}

/**
 * @brief The exact barriers of one voxel at softening `eta` and resolved stress (s1, s3) into
 * q[0, modes), and its relative rates into rate[0, modes); returns their sum.
 */
STZ_HD_INLINE double voxel_rates(int modes, const float* dF, const float* e1, const float* e3, bool direction,
                                 double d1, double d3, double eta, double s1, double s3, double half_volume_ev,
                                 double shift, double inv_kT, double* q, double* rate) {
  double sum = 0.0;
  for (int m = 0; m < modes; ++m) {
    const double a = softened_barrier(dF[m], direction_factor(direction, d1, d3, e1[m], e3[m]), eta);
    q[m] = activation_barrier(a, resolved_work(s1, s3, e1[m], e3[m]), half_volume_ev);
    rate[m] = q[m] < shift ? 1.0 : relative_rate(q[m], shift, inv_kT);
    sum += rate[m];
  }
  return sum;
}

}  // namespace stz
