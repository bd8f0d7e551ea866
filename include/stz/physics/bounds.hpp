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

/**
 * @brief A = dF exp(-D eta) with the vectorizable exponential (fast_exp.hpp; within an ulp of
 * std::exp). The exhaustive rules cache A per voxel-mode and call softened_barrier(); this rule
 * computes A afresh in every refresh and candidate, M values at a time, so the exponential must
 * vectorize. Bounds and exact rates both use it (a bound is checked against this very A).
 */
STZ_HD_INLINE double bound_softened_barrier(double dF, double D, double eta) {
  return dF * exp_nonpositive(-(D * eta));
}

/// |e|^2 of an SFTS in the (e1, e3) norm of the bound (resolved work s1 e1 + s3 e3).
STZ_HD_INLINE double sfts_norm2(float e1, float e3) {
  return static_cast<double>(e1) * e1 + static_cast<double>(e3) * e3;
}

/**
 * @brief The stress margin (GPa) of a voxel whose largest |e_vm|^2 is `e_max2`: its barriers
 * may fall by at most `slack` (eV) within it, slack / ((V/2) max_m |e_vm|), and it covers at
 * least `drift` (how far the mean stress still moves in the current segment).
 */
STZ_HD_INLINE double bound_margin(double e_max2, double slack, double drift, double half_volume_ev) {
  const double by_slack = e_max2 > 0.0 ? slack / (half_volume_ev * std::sqrt(e_max2)) : 1e300;
  return by_slack > drift ? by_slack : drift;
}

/**
 * @brief The lowest barrier mode (e1, e3) can reach while the resolved stress stays within
 * `margin` of (s1, s3), from its softened barrier `a` at the refresh:
 * Q - (V/2) |e| margin with Q = a - (V/2) (s1 e1 + s3 e3).
 */
STZ_HD_INLINE double lowest_barrier(double a, double s1, double s3, float e1, float e3, double margin,
                                    double half_volume_ev) {
  const double q = activation_barrier(a, resolved_work(s1, s3, e1, e3), half_volume_ev);
  return q - half_volume_ev * std::sqrt(sfts_norm2(e1, e3)) * margin;
}

/// The relative rate of barrier q, at most 1 (q below the shift only in an unstable voxel).
STZ_HD_INLINE double capped_relative_rate(double q, double shift, double inv_kT) {
  return q < shift ? 1.0 : relative_rate(q, shift, inv_kT);
}

/// Athermal flips of the bounded rule update the stress by single-voxel kernels (O(N^2) each)
/// up to this many flips, and by a full FFT solve (O(N^2 log N), several times the cost of one
/// kernel update) beyond. Both give the same stress up to round-off (docs/model.md §3.4).
constexpr std::uint64_t bounded_kernel_flips = 8;

/// What a refresh computes for one voxel.
struct VoxelBound {
  double rate;    ///< sum_m exp(-(low_vm - shift)/kT), each term at most 1
  double low;     ///< min_m low_vm: no barrier of the voxel can be lower while the bound holds
  double margin;  ///< GPa: the bound holds while the resolved stress stays this close to (s1, s3)
};

/**
 * @brief The bound of one voxel with M modes at softening `eta` (its value at the refresh time)
 * and resolved stress (s1, s3), with the margin of bound_margin(). `terms` is scratch for M
 * values; the sum runs in mode order (the same bits on every instruction set). The CPU backend
 * computes the same expressions for many voxels at once (cpu_bounded.cpp).
 */
STZ_HD_FORCEINLINE VoxelBound voxel_bound(int modes, const float* dF, const float* e1, const float* e3, bool direction,
                                          double d1, double d3, double eta, double s1, double s3, double slack,
                                          double drift, double half_volume_ev, double shift, double inv_kT,
                                          double* terms) {
  double e_max2 = 0.0;
  for (int m = 0; m < modes; ++m) {
    const double e2 = sfts_norm2(e1[m], e3[m]);
    e_max2 = e2 > e_max2 ? e2 : e_max2;
  }
  const double margin = bound_margin(e_max2, slack, drift, half_volume_ev);
  double lowest = 1e300;
  for (int m = 0; m < modes; ++m) {
    const double a = bound_softened_barrier(dF[m], direction_factor(direction, d1, d3, e1[m], e3[m]), eta);
    const double low = lowest_barrier(a, s1, s3, e1[m], e3[m], margin, half_volume_ev);
    terms[m] = capped_relative_rate(low, shift, inv_kT);
    lowest = low < lowest ? low : lowest;
  }
  double rate = 0.0;
  for (int m = 0; m < modes; ++m) rate += terms[m];
  return {rate, lowest, margin};
}

/**
 * @brief The exact barriers of one voxel at softening `eta` and resolved stress (s1, s3) into
 * q[0, modes), and its relative rates into rate[0, modes); returns their sum.
 */
STZ_HD_FORCEINLINE double voxel_rates(int modes, const float* dF, const float* e1, const float* e3, bool direction,
                                      double d1, double d3, double eta, double s1, double s3, double half_volume_ev,
                                      double shift, double inv_kT, double* q, double* rate) {
#if !defined(__CUDA_ARCH__)
#pragma omp simd
#endif
  for (int m = 0; m < modes; ++m) {
    const double a = bound_softened_barrier(dF[m], direction_factor(direction, d1, d3, e1[m], e3[m]), eta);
    q[m] = activation_barrier(a, resolved_work(s1, s3, e1[m], e3[m]), half_volume_ev);
    rate[m] = capped_relative_rate(q[m], shift, inv_kT);
  }
  double sum = 0.0;  // in mode order: the same bits on every instruction set
  for (int m = 0; m < modes; ++m) sum += rate[m];
  return sum;
}

}  // namespace stz
