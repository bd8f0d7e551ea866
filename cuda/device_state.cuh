#pragma once
/** @file
 * @brief Trivially copyable views of the device arrays (raw pointers only), passed by value to
 * kernels, and the small records that travel between host and device once per operation.
 *
 * Layouts follow include/stz/state.hpp and grid.hpp: voxel v = y N + x, voxel-mode k = v M + m.
 */
#include <cstddef>
#include <cstdint>

#include "stz/hd.hpp"
#include "stz/kmc_loop.hpp"
#include "stz/physics/fast_exp.hpp"  // bits_of, double_from_bits

namespace stz::cuda {

/// Every per-voxel and per-voxel-mode array of the backend.
struct DeviceView {
  int n;                    ///< grid side N
  int modes;                ///< M
  std::size_t voxels;       ///< N^2
  std::size_t rate_blocks;  ///< ceil(N^2 / rate_block_voxels)
  // Catalog, voxel-mode arrays.
  float* barrier;  ///< dF, eV
  float* e1;       ///< SFTS of the current generation
  float* e3;
  double* softened;  ///< cached A = dF exp(-D eta) (null in the mixed-precision pass)
  double* q;         ///< Q of the last barrier pass (null in the mixed-precision pass)
  /// solver.precision = "mixed" (docs/cuda.md, "Mixed precision"): A cached in float, and no Q
  /// array at all; null in double precision. Kernels tell the two passes apart by this pointer.
  float* softened_f;
  // Per voxel.
  double* p1;  ///< accumulated eigenstrain; p3 = p1 + voxels (one allocation, so
  double* p3;  ///<   a batched r2c transforms both)
  float* d1;
  float* d3;
  double* eta_p;
  double* eta_t;
  double* t_last;
  std::uint32_t* generation;
  double* s11;  ///< stress fluctuation; s22, s12 follow contiguously (batched c2r)
  double* s22;
  double* s12;
  double* cached_eta;  ///< eta that `softened` was computed with (NaN: stale)
  double* voxel_min;   ///< min_m Q
  std::uint32_t* voxel_argmin;
  double* voxel_rate;  ///< sum_m exp(-(Q - Q_min)/kT) in mode order (mixed: see barrier_kernel_mixed)
  double* block_rate;  ///< sums of voxel_rate over fixed blocks of rate_block_voxels
  double* block_incl;  ///< inclusive prefix sums of block_rate
  /// Rule "bounded": 1 where the voxel transformed since its rate bound was computed (null
  /// under the other rules).
  std::uint8_t* bound_stale;
};

/// The "bounded" rule's arrays (docs/model.md §5.6): the registry's bound_* fields and the
/// sums over the fixed rate blocks.
struct BoundView {
  double* s1;                  ///< resolved stress (s11 - s22) the bound was computed at
  double* s3;                  ///< 2 s12 at that time
  double* margin;              ///< GPa: the bound holds while the resolved stress stays this close
  double* rate;                ///< the bound on the voxel's total relative rate
  double* low;                 ///< the lowest barrier the bound allows
  double* block_sum;           ///< per rate block: sum of `rate` (fixed tree order)
  double* block_incl;          ///< inclusive prefix sums of block_sum
  std::uint32_t* block_watch;  ///< per rate block: voxels with low < 0 (watched)
};

/// The bounded rule's constants (from PhysicsConstants and the deck).
struct BoundParams {
  int modes;
  bool direction;
  double tau, slack, half_volume_ev, shift, inv_kT;
};

/// What one bounded-rule operation reports, in one transfer.
struct BoundResult {
  double bound_sum;                 ///< sum of every voxel's bound
  unsigned long long fraction_key;  ///< ordered_key of the smallest unstable fraction (atomicMin)
  unsigned long long refreshed;     ///< bounds computed again
  unsigned long long min_key;       ///< athermal: ordered_key of the lowest flippable barrier
  int any_unstable;                 ///< a watched barrier is below zero now
  int accepted;                     ///< candidate accepted
  int error;                  ///< 1: a rate above its bound, 2: no mode, 3: no selection, 4: device loop order (bugs)
  std::uint32_t voxel, mode;  ///< selected voxel; the accepted mode; a failed check's voxel
  double barrier;             ///< the accepted mode's Q
  double rate, bound;         ///< candidate: its exact rate and bound (for an error)
};

/// The six unit kernels K1_c, K3_c (c = 11, 22, 12), each N^2 doubles.
struct KernelView {
  const double* k1_11;
  const double* k1_22;
  const double* k1_12;
  const double* k3_11;
  const double* k3_22;
  const double* k3_12;
};

/// Result of one barrier pass, written on the device and copied back in one transfer.
struct PassResult {
  unsigned long long min_key;  ///< order-preserving key of the smallest Q (atomicMin target)
  double min_barrier;          ///< decoded min_key
  double shift;                ///< rates are exp(-(Q - shift)/kT): min_barrier, or the device loop's shift
  double shifted_rate_sum;     ///< S (0 when unstable)
  int any_unstable;            ///< min_barrier < 0
  /// The pass's resolved mean stress (mean.xx - mean.yy, 2 mean.xy), written by the
  /// mixed-precision barrier kernel: the selection forms the chosen voxel's float Q again from it.
  double mean_s1, mean_s3;
};

/// Result of select_thermal_event; e1, e3 let transform() skip a copy for this event.
struct Selection {
  std::uint32_t voxel;
  std::uint32_t mode;
  double barrier;
  float e1;
  float e3;
  int error;  ///< nonzero: no voxel-mode with a nonzero rate was found
};

/// One flipped voxel of an athermal pass (mirrors stz::Event, 16 bytes).
struct FlipRecord {
  std::uint32_t voxel;
  std::uint32_t mode;
  double barrier;
};

/**
 * @brief The control block of the device-resident loop (solver.gpu_loop = "device", docs/cuda.md):
 * the driver's scalars and the stretch's configuration (stz/kmc_loop.hpp), uploaded before a
 * stretch and copied back after it; in between only the kernels touch it. Every kernel of a
 * stretch does nothing once `running` is 0, so a captured graph of K passes can stop early.
 */
struct LoopBlock {
  PassScalars s;
  LoopConfig c;
  ThermalPlan plan;         ///< of the current pass (written by the selection kernel)
  double dated;             ///< the date of its transformation (event_date)
  double mean_s1, mean_s3;  ///< mean.xx - mean.yy and 2 mean.xy of the current pass
  double shift;             ///< rate shift of the current pass (the previous minimum less a margin)
  std::uint32_t use_shift;  ///< 0 on a stretch's first pass: rates relative to the exact minimum
  std::uint32_t running;    ///< 1 while passes go on
  std::uint32_t stop;       ///< a LoopStop once running = 0
  std::uint32_t passes;     ///< counted in this stretch
  std::uint32_t last_transformations;
  std::uint32_t events;  ///< LoopEvents written in this stretch
  std::uint32_t record;  ///< nonzero: write a LoopEvent per thermal event
  // Exhaustive rules: the last event's stress update, not yet applied (docs/cuda.md, "Device-
  // resident loop"): the next pass's barrier kernel adds it to each voxel's stress as it loads
  // it, the pass's scan clears the flag; a stretch that ends first has it applied after the
  // graph (launch_flush_pending_update).
  std::uint32_t pending;        ///< nonzero: an update is pending
  std::uint32_t pending_voxel;  ///< the transformed voxel
  double pending_a, pending_b;  ///< its SFTS (the eigenstrain increments)
  /// Exhaustive rules: rate blocks summed so far in this pass; sum_scan_select_kernel's last
  /// block (the one that brings it to rate_blocks) scans and selects, then resets it to 0.
  std::uint32_t blocks_done;
  // Rule "bounded" (launch_bounded_loop_pass): plan.event marks an accepted candidate, whose
  // voxel-mode goes into the Selection so that the exhaustive loop's transformation and stress
  // update kernels apply it.
  BoundedPlan bplan;             ///< this pass's plan (plan_loop_bounded_pass)
  double now_s1, now_s3;         ///< resolved mean stress now (as CudaBackend's resolved())
  double end_s1, end_s3, drift;  ///< at the end of the loading step, and the distance between
  std::uint32_t candidate;       ///< this pass has a candidate (else the loading moved on)
  std::uint32_t update_bounds;   ///< the bounds are computed again in this pass
  std::uint32_t bounds_pending;  ///< stopped (host) after an event that made a full solve due
};

/// Order-preserving map double -> uint64 (total order of non-NaN values), so that the global
/// minimum barrier is an exact, order-independent atomicMin.
STZ_HD_INLINE unsigned long long ordered_key(double x) {
  constexpr std::uint64_t sign = 0x8000000000000000ull;
  const std::uint64_t u = bits_of(x);
  return (u & sign) ? ~u : (u | sign);
}

STZ_HD_INLINE double from_ordered_key(unsigned long long k) {
  constexpr std::uint64_t sign = 0x8000000000000000ull;
  return double_from_bits((k & sign) ? (k & ~sign) : ~static_cast<std::uint64_t>(k));
}

}  // namespace stz::cuda
