// Kernels of the CUDA backend. Physics comes only from include/stz/physics (barrier.hpp,
// elastic.hpp) and include/stz/rng.hpp; this file decides only how the work is laid out on the
// GPU and in which fixed order the reductions run.
#include "cuda/kernels.cuh"

#include <thrust/iterator/counting_iterator.h>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_select.cuh>

#include <algorithm>
#include <climits>
#include <limits>
#include <numeric>

#include "cuda/block_search.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/memory_plan.cuh"
#include "stz/grid.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/rng.hpp"

namespace stz::cuda {
namespace {

constexpr int threads_1d = 256;
/// Threads of the one-block kernels (scan, select); equal to the rate block so that in the
/// selection each thread owns one voxel of the chosen rate block.
constexpr int wide_block = rate_block_voxels;
static_assert(wide_block <= 1024, "one CUDA block");
/// Threads per transformed voxel: one warp redraws the M SFTS of a voxel in parallel.
constexpr int transform_threads = 32;
/// Threads and minimum chunk of the increment sum: up to this many entries one thread sums
/// them sequentially, in list order, exactly like the CPU backend.
constexpr int sum_threads = 256;
constexpr std::uint32_t sequential_sum_limit = 4096;

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

__device__ inline std::size_t min_size(std::size_t a, std::size_t b) { return b < a ? b : a; }

/**
 * @brief Voxel-mode kernels use blocks of whole voxels: `voxels_per_block` voxels x M modes
 * threads, one per voxel-mode, so catalog reads are coalesced and each voxel's M values meet
 * in shared memory for the per-voxel min/argmin and sum in mode order. The voxel count is
 * chosen so that a block is whole warps when possible (M = 20: 8 voxels, 160 threads).
 */
struct Tiling {
  int voxels_per_block;
  int threads;
};

Tiling voxel_mode_tiling(int modes) {
  const int whole_warps = 32 / std::gcd(modes, 32);  // voxels that fill whole warps
  int vpb = (256 / modes) / whole_warps * whole_warps;
  if (vpb < whole_warps) vpb = whole_warps;
  if (vpb * modes > 1024) vpb = std::max(1, 1024 / modes);
  return {vpb, vpb * modes};
}

// ---- Initialisation -------------------------------------------------------------------------

__global__ void init_catalog_kernel(DeviceView v, std::uint64_t seed, double mean, double std_dev, double gamma_star) {
  const std::size_t k = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (k >= v.voxels * static_cast<std::size_t>(v.modes)) return;
  const auto voxel = static_cast<std::uint32_t>(k / v.modes);
  const auto mode = static_cast<std::uint32_t>(k % v.modes);
  v.barrier[k] = rng::initial_barrier(seed, voxel, mode, mean, std_dev);
  const rng::SftsDraw e = rng::sfts(seed, voxel, 0u, mode, gamma_star);
  v.e1[k] = e.e1;
  v.e3[k] = e.e3;
  if (v.softened) v.softened[k] = 0.0;
  if (v.q) v.q[k] = 0.0;
  if (v.softened_f) v.softened_f[k] = 0.0f;
}

__global__ void init_voxels_kernel(DeviceView v, double t_last0) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= v.voxels) return;
  v.p1[i] = 0.0;
  v.p3[i] = 0.0;
  v.d1[i] = 0.0f;
  v.d3[i] = 0.0f;
  v.eta_p[i] = 0.0;
  v.eta_t[i] = 0.0;
  v.t_last[i] = t_last0;
  v.generation[i] = 0u;
  v.s11[i] = 0.0;
  v.s22[i] = 0.0;
  v.s12[i] = 0.0;
  v.cached_eta[i] = nan_value;
  v.voxel_min[i] = 0.0;
  v.voxel_argmin[i] = 0u;
  v.voxel_rate[i] = 0.0;
}

__global__ void invalidate_cache_kernel(DeviceView v) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < v.voxels) v.cached_eta[i] = nan_value;
}

// ---- Single-voxel stress update ------------------------------------------------------------

/// The stress change at voxel i of a transformation at (jx, jy) with eigenstrain increments
/// (a, b) (docs/model.md §3): s_c += a K1_c + b K3_c, each product and sum rounded on its own as
/// the CPU's add_kernel_response_rows computes it (-ffp-contract=off). One expression for the
/// update kernel and for the device loop's barrier kernels, which apply a pending update on the fly.
__device__ __forceinline__ void add_point_response(const DeviceView& v, const KernelView& kv, std::size_t i, int jx,
                                                   int jy, double a, double b) {
  const int n = v.n;
  const int x = static_cast<int>(i % n);
  const int y = static_cast<int>(i / n);
  const std::size_t kk = voxel_index(wrap_difference(x, jx, n), wrap_difference(y, jy, n), n);
  v.s11[i] = __dadd_rn(v.s11[i], __dadd_rn(__dmul_rn(a, kv.k1_11[kk]), __dmul_rn(b, kv.k3_11[kk])));
  v.s22[i] = __dadd_rn(v.s22[i], __dadd_rn(__dmul_rn(a, kv.k1_22[kk]), __dmul_rn(b, kv.k3_22[kk])));
  v.s12[i] = __dadd_rn(v.s12[i], __dadd_rn(__dmul_rn(a, kv.k1_12[kk]), __dmul_rn(b, kv.k3_12[kk])));
}

/// The device loop's pending update (LoopBlock::pending) applied to voxel i, by the thread that
/// is about to load its stress.
__device__ __forceinline__ void apply_pending_update(const DeviceView& v, const KernelView& kv, const LoopBlock* loop,
                                                     std::size_t i) {
  const auto n = static_cast<std::uint32_t>(v.n);
  add_point_response(v, kv, i, static_cast<int>(loop->pending_voxel % n), static_cast<int>(loop->pending_voxel / n),
                     loop->pending_a, loop->pending_b);
}

// ---- Barrier pass ---------------------------------------------------------------------------

/// Margin of the device loop's rate shift below the previous pass's minimum barrier, in kT: the
/// minimum may fall this far between two passes before the rates must be computed again.
constexpr double loop_shift_margin_kT = 64.0;
/// Beyond this many kT between the shift and the minimum, shifted rates could underflow.
constexpr double loop_shift_limit_kT = 600.0;

/**
 * The device loop's fused pass (docs/cuda.md, "Device-resident loop"): its rates were computed
 * by the barrier kernel relative to loop->shift (the previous pass's minimum less a margin) when
 * that shift lies at or below this pass's exact minimum (so every exponent is <= 0) and not so
 * far below it that rates could underflow; otherwise rate_kernel computes them relative to the
 * exact minimum, as the host-driven pass always does.
 */
__device__ inline bool fused_rates_valid(const DeviceView& v, const LoopBlock* loop, double min_barrier,
                                         double inv_kT) {
  return !v.softened_f && loop && loop->use_shift && min_barrier >= loop->shift &&
         (min_barrier - loop->shift) * inv_kT <= loop_shift_limit_kT;
}

/// Q = A - (V/2)(s1 e1 + s3 e3) of one voxel-mode (activation_barrier of resolved_work) — the
/// one expression of every kernel that forms Q, with every rounding pinned by intrinsics (the
/// contraction nvcc chose for the plain expression: s3 e3 rounded, then two fused multiply-adds),
/// so that a Q formed again (below) has the bits of the barrier pass's whatever ptxas decides.
__device__ __forceinline__ double voxel_mode_barrier(double a, double s1, double s3, float e1, float e3,
                                                     double half_volume_ev) {
  return __fma_rn(-half_volume_ev, __fma_rn(s1, static_cast<double>(e1), __dmul_rn(s3, static_cast<double>(e3))), a);
}

/// The device loop's fused passes do not store Q (loop->use_shift: their rates come from the
/// barriers in shared memory); a kernel that needs some Q of such a pass forms it again from the
/// stored A (v.softened) and the stress, with the barrier kernel's expressions.
__device__ inline bool q_stored(const LoopBlock* loop) { return !(loop && loop->use_shift); }

__device__ inline double formed_barrier(const DeviceView& v, std::size_t vox, std::size_t k, double mean_s1,
                                        double mean_s3, double half_volume_ev) {
  const double s1 = (v.s11[vox] - v.s22[vox]) + mean_s1;
  const double s3 = 2.0 * v.s12[vox] + mean_s3;
  return voxel_mode_barrier(v.softened[k], s1, s3, v.e1[k], v.e3[k], half_volume_ev);
}

/// The device loop's pass takes its time and mean stress from the control block; false once
/// the loop has stopped (the kernel then does nothing). Both barrier kernels start with it.
__device__ __forceinline__ bool loop_pass_inputs(const LoopBlock* loop, double& time, double& mean_s1,
                                                 double& mean_s3) {
  if (!loop) return true;
  if (!loop->running) return false;
  time = loop->s.time;
  mean_s1 = loop->mean_s1;
  mean_s3 = loop->mean_s3;
  return true;
}

/// A voxel's softening now and whether its cached A must be computed again: the cache holds
/// while eta is bitwise the one A was computed with (NaN: never equal).
__device__ __forceinline__ double voxel_softening(const DeviceView& v, const PhysicsConstants& pc, std::size_t vox,
                                                  double time, bool use_cache, int& refresh) {
  const double eta = softening(v.eta_p[vox], v.eta_t[vox], v.t_last[vox], time, pc.tau);
  refresh = (!use_cache || !(eta == v.cached_eta[vox])) ? 1 : 0;
  return eta;
}

/// The smallest of a voxel's M barriers and its mode, the first index winning ties (as on the
/// CPU), in the pass's arithmetic (double, or float in the mixed pass).
template <typename Real>
__device__ __forceinline__ Real voxel_minimum(const Real* q, int modes, std::uint32_t& argmin) {
  Real mn = q[0];
  argmin = 0;
  for (int m = 1; m < modes; ++m)
    if (q[m] < mn) {  // strict: the first index wins ties
      mn = q[m];
      argmin = static_cast<std::uint32_t>(m);
    }
  return mn;
}

/**
 * Q of every voxel-mode, per-voxel min and argmin (first index on ties), the global min (an
 * exact atomicMin of order-preserving keys, first per block in shared memory). The per-voxel
 * expressions are those of CpuBackend::compute_barriers_and_rates, term for term. With
 * `FusedRates` (the device loop) also the rates shifted by loop->shift and their per-voxel sums,
 * from the barriers still in shared memory (no second sweep over Q), when the loop has a shift.
 */
template <bool FusedRates>
__global__ void __launch_bounds__(1024)
    barrier_kernel(DeviceView v, PhysicsConstants pc, double time, double mean_s1, double mean_s3, bool use_cache,
                   int vpb, PassResult* result, const LoopBlock* loop, KernelView kv) {
  if (!loop_pass_inputs(loop, time, mean_s1, mean_s3)) return;
  extern __shared__ double smem[];
  const int modes = v.modes;
  double* q_s = smem;                 // vpb * modes barriers
  double* eta_s = q_s + vpb * modes;  // per voxel of the block
  double* s1_s = eta_s + vpb;
  double* s3_s = s1_s + vpb;
  double* d1_s = s3_s + vpb;
  double* d3_s = d1_s + vpb;
  int* refresh_s = reinterpret_cast<int*>(d3_s + vpb);
  __shared__ unsigned long long block_key;

  const int tid = threadIdx.x;
  const std::size_t v0 = static_cast<std::size_t>(blockIdx.x) * vpb;
  const int nv = static_cast<int>(min_size(static_cast<std::size_t>(vpb), v.voxels - v0));
  if (tid == 0) block_key = ~0ull;
  if (tid < nv) {
    const std::size_t vox = v0 + tid;
    if (FusedRates && loop->pending) apply_pending_update(v, kv, loop, vox);  // the last event's
    eta_s[tid] = voxel_softening(v, pc, vox, time, use_cache, refresh_s[tid]);
    s1_s[tid] = (v.s11[vox] - v.s22[vox]) + mean_s1;
    s3_s[tid] = 2.0 * v.s12[vox] + mean_s3;
    d1_s[tid] = v.d1[vox];
    d3_s[tid] = v.d3[vox];
  }
  __syncthreads();

  const int lv = tid / modes;
  if (lv < nv) {
    const std::size_t k = v0 * modes + tid;  // = voxel_mode_index(v0 + lv, tid - lv * modes)
    const float e1 = v.e1[k];
    const float e3 = v.e3[k];
    double a;
    if (refresh_s[lv]) {
      a = softened_barrier(v.barrier[k], direction_factor(pc.direction_factor, d1_s[lv], d3_s[lv], e1, e3), eta_s[lv]);
      v.softened[k] = a;
    } else {
      a = v.softened[k];
    }
    const double qm = voxel_mode_barrier(a, s1_s[lv], s3_s[lv], e1, e3, pc.half_volume_ev);
    // (A fused pass of the device loop keeps Q in shared memory only: 8 B per voxel-mode less.)
    if (!FusedRates || q_stored(loop)) v.q[k] = qm;
    q_s[tid] = qm;
  }
  __syncthreads();

  if (tid < nv) {
    const std::size_t vox = v0 + tid;
    std::uint32_t am = 0;
    const double mn = voxel_minimum(q_s + tid * modes, modes, am);
    v.voxel_min[vox] = mn;
    v.voxel_argmin[vox] = am;
    if (refresh_s[tid]) v.cached_eta[vox] = eta_s[tid];
    atomicMin(&block_key, ordered_key(mn));
  }
  if constexpr (FusedRates) {
    if (loop->use_shift) {
      const double shift = loop->shift;
      __syncthreads();  // the minima above have read q_s
      // A barrier below the shift makes this pass take the exact path (fused_rates_valid); the
      // clamp only keeps the unused placeholder finite.
      if (lv < nv) q_s[tid] = shifted_rate(fmax(q_s[tid], shift), shift, pc.inv_kT);
      __syncthreads();
      if (tid < nv) {
        const double* r = q_s + tid * modes;
        double sum = 0.0;
        for (int m = 0; m < modes; ++m) sum += r[m];  // mode order, as rate_kernel
        v.voxel_rate[v0 + tid] = sum;
      }
    }
  }
  __syncthreads();
  if (tid == 0) atomicMin(&result->min_key, block_key);
}

// ---- The mixed-precision pass (solver.precision = "mixed") ------------------------------------

/// The resolved stress of a voxel in float, as the CPU's tile_resolved_stress<float> forms it
/// (in double, then rounded once; 2 s12 is exact, so a contraction cannot change the sum).
__device__ __forceinline__ float mixed_resolved_s1(const DeviceView& v, std::size_t vox, double mean_s1) {
  return static_cast<float>(__dadd_rn(__dsub_rn(v.s11[vox], v.s22[vox]), mean_s1));
}
__device__ __forceinline__ float mixed_resolved_s3(const DeviceView& v, std::size_t vox, double mean_s3) {
  return static_cast<float>(__dadd_rn(__dmul_rn(2.0, v.s12[vox]), mean_s3));
}

/// Q in float of one voxel-mode: the CPU's tile_barrier<float> (activation_barrier_f of
/// resolved_work_f) with every product and sum rounded on its own, as the host build computes
/// it (-ffp-contract=off), so the same float A and stresses give the same bits on both backends
/// (A itself, formed in double by softening/direction_factor/exp, may differ in its last bits
/// where nvcc contracts and the GPU's exp rounds otherwise, and so round to the neighbouring float).
__device__ __forceinline__ float mixed_voxel_mode_barrier(float a, float s1, float s3, float e1, float e3,
                                                          float half_volume_ev) {
  const float work = __fadd_rn(__fmul_rn(s1, e1), __fmul_rn(s3, e3));
  return __fsub_rn(a, __fmul_rn(half_volume_ev, work));
}

/// The rate of a voxel-mode relative to its voxel's fastest, exp(-(Q - Q_v)/kT) in float (the
/// CPU's tile_exp(tile_exponent(...)); neither expression has a product to contract into a sum).
__device__ __forceinline__ float mixed_relative_rate(float q, float voxel_min, float inv_kT) {
  return exp_nonpositive_f(rate_exponent_f(q, voxel_min, inv_kT));
}

/**
 * The mixed-precision pass (docs/cuda.md, "Mixed precision"; the CPU's exhaustive_pass_mixed):
 * A cached in float (refreshed where eta changed), the float Q of every voxel-mode in shared
 * memory only, the voxel's minimum Q_v (first index on ties) and r_v = sum_m exp(-(Q - Q_v)/kT)
 * in float and mode order — relative to the voxel's own minimum, so no global minimum, shift or
 * second sweep is needed: block_sum_kernel scales r_v by exp(-(Q_v - Q_min)/kT) in double once
 * the minimum is known. Both loops (host-driven and device) run this kernel; nothing per
 * voxel-mode is written but A where it changed. Also records the pass's mean stress for the
 * selection, which forms the chosen voxel's Q again.
 */
__global__ void __launch_bounds__(1024)
    barrier_kernel_mixed(DeviceView v, PhysicsConstants pc, double time, double mean_s1, double mean_s3, bool use_cache,
                         int vpb, PassResult* result, const LoopBlock* loop, KernelView kv) {
  if (!loop_pass_inputs(loop, time, mean_s1, mean_s3)) return;
  extern __shared__ double smem[];
  const int modes = v.modes;
  double* eta_s = smem;  // per voxel of the block
  float* s1_s = reinterpret_cast<float*>(eta_s + vpb);
  float* s3_s = s1_s + vpb;
  float* d1_s = s3_s + vpb;
  float* d3_s = d1_s + vpb;
  float* min_s = d3_s + vpb;
  int* refresh_s = reinterpret_cast<int*>(min_s + vpb);
  float* q_s = reinterpret_cast<float*>(refresh_s + vpb);  // vpb * modes barriers, then rates
  __shared__ unsigned long long block_key;

  const int tid = threadIdx.x;
  const std::size_t v0 = static_cast<std::size_t>(blockIdx.x) * vpb;
  const int nv = static_cast<int>(min_size(static_cast<std::size_t>(vpb), v.voxels - v0));
  if (tid == 0) block_key = ~0ull;
  if (tid == 0 && blockIdx.x == 0) {
    result->mean_s1 = mean_s1;
    result->mean_s3 = mean_s3;
  }
  if (tid < nv) {
    const std::size_t vox = v0 + tid;
    if (loop && loop->pending) apply_pending_update(v, kv, loop, vox);  // the last event's
    eta_s[tid] = voxel_softening(v, pc, vox, time, use_cache, refresh_s[tid]);
    s1_s[tid] = mixed_resolved_s1(v, vox, mean_s1);
    s3_s[tid] = mixed_resolved_s3(v, vox, mean_s3);
    d1_s[tid] = v.d1[vox];
    d3_s[tid] = v.d3[vox];
  }
  __syncthreads();

  const int lv = tid / modes;
  const float half_volume_ev = static_cast<float>(pc.half_volume_ev);
  if (lv < nv) {
    const std::size_t k = v0 * modes + tid;  // = voxel_mode_index(v0 + lv, tid - lv * modes)
    const float e1 = v.e1[k];
    const float e3 = v.e3[k];
    float a;
    if (refresh_s[lv]) {
      // The CPU's refresh_softened_barriers: A in double, rounded once to float.
      a = static_cast<float>(
          softened_barrier(v.barrier[k], direction_factor(pc.direction_factor, d1_s[lv], d3_s[lv], e1, e3), eta_s[lv]));
      v.softened_f[k] = a;
    } else {
      a = v.softened_f[k];
    }
    q_s[tid] = mixed_voxel_mode_barrier(a, s1_s[lv], s3_s[lv], e1, e3, half_volume_ev);
  }
  __syncthreads();

  if (tid < nv) {
    const std::size_t vox = v0 + tid;
    std::uint32_t am = 0;
    const float mn = voxel_minimum(q_s + tid * modes, modes, am);
    min_s[tid] = mn;
    v.voxel_min[vox] = mn;
    v.voxel_argmin[vox] = am;
    if (refresh_s[tid]) v.cached_eta[vox] = eta_s[tid];
    atomicMin(&block_key, ordered_key(static_cast<double>(mn)));
  }
  __syncthreads();
  const float inv_kT = static_cast<float>(pc.inv_kT);
  if (lv < nv) q_s[tid] = mixed_relative_rate(q_s[tid], min_s[lv], inv_kT);
  __syncthreads();
  if (tid < nv) {
    const float* r = q_s + tid * modes;
    float sum = 0.0f;
    for (int m = 0; m < modes; ++m) sum += r[m];  // mode order, in float, as the CPU
    v.voxel_rate[v0 + tid] = sum;                 // relative to the voxel's minimum until scaled
  }
  if (tid == 0) atomicMin(&result->min_key, block_key);
}

/// Shifted rates and their per-voxel sums, added in mode order (Q formed again where the device
/// loop's fused pass did not store it and its shift could not be used).
__global__ void __launch_bounds__(1024) rate_kernel(DeviceView v, double inv_kT, double half_volume_ev, int vpb,
                                                    const PassResult* result, const LoopBlock* loop) {
  if (loop && !loop->running) return;
  const double min_barrier = from_ordered_key(result->min_key);
  if (min_barrier < 0.0) return;  // unstable: an athermal pass follows, no rates (as on the CPU)
  if (v.softened_f) return;       // the mixed-precision barrier kernel made them (block_sum_kernel scales them)
  if (fused_rates_valid(v, loop, min_barrier, inv_kT)) return;  // the barrier kernel made them
  extern __shared__ double smem[];
  const int modes = v.modes;
  const int tid = threadIdx.x;
  const std::size_t v0 = static_cast<std::size_t>(blockIdx.x) * vpb;
  const int nv = static_cast<int>(min_size(static_cast<std::size_t>(vpb), v.voxels - v0));
  if (tid / modes < nv) {
    const std::size_t k = v0 * modes + tid;
    const double q =
        q_stored(loop) ? v.q[k] : formed_barrier(v, v0 + tid / modes, k, loop->mean_s1, loop->mean_s3, half_volume_ev);
    smem[tid] = shifted_rate(q, min_barrier, inv_kT);
  }
  __syncthreads();
  if (tid < nv) {
    const double* r = smem + tid * modes;
    double sum = 0.0;
    for (int m = 0; m < modes; ++m) sum += r[m];
    v.voxel_rate[v0 + tid] = sum;
  }
}

/// Sum of the voxel rates of each fixed block of rate_block_voxels voxels (fixed tree order).
/// In the mixed-precision pass each voxel's sum, relative to its own minimum, is first scaled
/// to the global minimum (the CPU's voxel_scale, in double) and written back for the selection.
__device__ __forceinline__ void block_sum_body(const DeviceView& v, double inv_kT, const PassResult* result,
                                               const LoopBlock* loop) {
  if (loop && !loop->running) return;
  const double min_barrier = from_ordered_key(result->min_key);
  if (min_barrier < 0.0) return;
  using Reduce = cub::BlockReduce<double, wide_block>;
  __shared__ typename Reduce::TempStorage temp;
  const std::size_t vox = static_cast<std::size_t>(blockIdx.x) * wide_block + threadIdx.x;
  double r = vox < v.voxels ? v.voxel_rate[vox] : 0.0;
  if (v.softened_f && vox < v.voxels) {
    r *= voxel_scale(v.voxel_min[vox], min_barrier, inv_kT);
    v.voxel_rate[vox] = r;
  }
  const double sum = Reduce(temp).Sum(r);
  if (threadIdx.x == 0) v.block_rate[blockIdx.x] = sum;
}
__global__ void __launch_bounds__(wide_block)
    block_sum_kernel(DeviceView v, double inv_kT, const PassResult* result, const LoopBlock* loop) {
  block_sum_body(v, inv_kT, result, loop);
}

/// Inclusive prefix sums of the block sums (one block: each thread a contiguous chunk in order,
/// chunks offset by a block-wide exclusive scan) and the pass summary.
__device__ __forceinline__ void block_scan_body(const DeviceView& v, double inv_kT, PassResult* result,
                                                LoopBlock* loop) {
  if (loop && !loop->running) return;
  // The barrier kernel has applied the pending stress update to every voxel.
  if (loop && threadIdx.x == 0) loop->pending = 0;
  const double min_barrier = from_ordered_key(result->min_key);
  if (min_barrier < 0.0) {
    if (threadIdx.x == 0) {
      result->min_barrier = min_barrier;
      result->shift = min_barrier;
      result->shifted_rate_sum = 0.0;
      result->any_unstable = 1;
    }
    return;
  }
  __shared__ SearchScan::TempStorage temp;
  const std::size_t nb = v.rate_blocks;
  block_prefix_sums(v.block_rate, v.block_incl, nb, temp);
  if (threadIdx.x == 0) {
    result->min_barrier = min_barrier;
    result->shift = fused_rates_valid(v, loop, min_barrier, inv_kT) ? loop->shift : min_barrier;
    result->shifted_rate_sum = v.block_incl[nb - 1];
    result->any_unstable = 0;
  }
}
__global__ void __launch_bounds__(wide_block)
    block_scan_kernel(DeviceView v, double inv_kT, PassResult* result, LoopBlock* loop) {
  block_scan_body(v, inv_kT, result, loop);
}

// ---- Selection ------------------------------------------------------------------------------

/**
 * The first voxel-mode whose cumulative shifted rate exceeds target = u S, in three levels:
 * the first rate block whose inclusive prefix exceeds the target, then the first voxel of
 * that block (exclusive scan of its voxel rates), then the CPU's own walk over the modes.
 * Only blocks and voxels with a nonzero rate are candidates. Round-off fallbacks (u S
 * rounding up to S, partial sums that differ by an ulp between levels): the last block with a
 * nonzero rate, the last voxel of the block with a nonzero rate, and, as on the CPU, the last
 * mode with a nonzero rate.
 */
__device__ __forceinline__ void select_body(const DeviceView& v, double inv_kT, double half_volume_ev, double u,
                                            const PassResult* result, Selection* sel, LoopBlock* loop) {
  __shared__ SearchTemp temp;
  __shared__ double s_before[wide_block];
  extern __shared__ double s_rates[];  // M shifted rates of the chosen voxel, then its M barriers
  __shared__ int s_go;
  __shared__ double s_u;

  const int tid = threadIdx.x;
  if (loop) {
    // The device loop: the thermal decision of this pass (stz/kmc_loop.hpp), then the selection
    // with its draw when it is an event.
    if (tid == 0) {
      s_go = 0;
      if (loop->running) {
        if (result->any_unstable) {
          loop->running = 0;  // the host runs this pass (an athermal pass)
          loop->stop = static_cast<std::uint32_t>(LoopStop::unstable);
        } else {
          const ThermalPlan plan = plan_loop_pass(loop->s, loop->c, result->shift, result->shifted_rate_sum);
          loop->plan = plan;
          loop->dated = event_date(loop->s, loop->c, plan);
          s_go = plan.event ? 1 : 0;
          s_u = plan.u_select;
        }
      }
    }
    __syncthreads();
    if (!s_go) return;
    u = s_u;
  }
  const double total = result->shifted_rate_sum;
  const double shift = result->shift;  // the rates' shift: the minimum, or the device loop's
  const double target = u * total;

  // 1. Rate block, 2. voxel within it (block_search.cuh: CpuBackend's rule and fallbacks).
  double cum0 = 0.0;
  const int block = find_block(v.block_rate, v.block_incl, v.rate_blocks, target, temp, cum0);
  if (block < 0) {  // S = 0 or not finite: nothing can be selected
    if (tid == 0) {
      *sel = Selection{0u, 0u, 0.0, 0.0f, 0.0f, 1};
      if (loop) loop->running = 0, loop->stop = static_cast<std::uint32_t>(LoopStop::error);
    }
    return;
  }

  const std::size_t vox = static_cast<std::size_t>(block) * wide_block + tid;
  const bool valid = vox < v.voxels;
  double before = 0.0;
  const int t = find_item(valid ? v.voxel_rate[vox] : 0.0, valid, cum0, target, temp, before);
  s_before[tid] = before;  // read by thread 0's mode walk below, after the next barrier
  if (t < 0) {
    if (tid == 0) {
      *sel = Selection{0u, 0u, 0.0, 0.0f, 0.0f, 1};
      if (loop) loop->running = 0, loop->stop = static_cast<std::uint32_t>(LoopStop::error);
    }
    return;
  }

  // 3. Mode: the rates in parallel, the walk in order (CpuBackend::select_thermal_event).
  const std::size_t chosen_voxel = static_cast<std::size_t>(block) * wide_block + t;
  const int modes = v.modes;
  const bool mixed = v.softened_f != nullptr;
  double* q = s_rates + modes;
  if (mixed) {
    // The mixed-precision pass stores no Q: the chosen voxel's float barriers formed again with
    // the pass's expressions, their rates relative to the voxel's minimum (exact in float).
    const float s1 = mixed_resolved_s1(v, chosen_voxel, result->mean_s1);
    const float s3 = mixed_resolved_s3(v, chosen_voxel, result->mean_s3);
    const auto voxel_min = static_cast<float>(v.voxel_min[chosen_voxel]);
    for (int m = tid; m < modes; m += wide_block) {
      const std::size_t k = chosen_voxel * modes + m;
      const float qf =
          mixed_voxel_mode_barrier(v.softened_f[k], s1, s3, v.e1[k], v.e3[k], static_cast<float>(half_volume_ev));
      q[m] = qf;
      s_rates[m] = mixed_relative_rate(qf, voxel_min, static_cast<float>(inv_kT));
    }
  } else {
    for (int m = tid; m < modes; m += wide_block) {
      const std::size_t k = chosen_voxel * modes + m;
      q[m] = q_stored(loop) ? v.q[k] : formed_barrier(v, chosen_voxel, k, loop->mean_s1, loop->mean_s3, half_volume_ev);
      s_rates[m] = shifted_rate(q[m], shift, inv_kT);
    }
  }
  __syncthreads();
  if (tid == 0) {
    double cum = s_before[t];
    int chosen = -1;
    if (mixed) {
      // CpuBackend::select_thermal_event's mixed walk: a float sum in mode order, scaled (the
      // product rounded on its own, as on the CPU).
      const double scale = voxel_scale(v.voxel_min[chosen_voxel], shift, inv_kT);
      float partial = 0.0f;
      for (int m = 0; m < modes; ++m) {
        const auto relative = static_cast<float>(s_rates[m]);
        partial += relative;
        if (relative > 0.0f) chosen = m;
        if (__dadd_rn(cum, __dmul_rn(static_cast<double>(partial), scale)) > target && relative > 0.0f) break;
      }
    } else {
      for (int m = 0; m < modes; ++m) {
        const double k = s_rates[m];
        if (k > 0.0) chosen = m;  // round-off fallback: the last mode with a nonzero rate
        cum += k;
        if (cum > target && k > 0.0) break;
      }
    }
    if (chosen < 0) {
      *sel = Selection{0u, 0u, 0.0, 0.0f, 0.0f, 1};
      if (loop) loop->running = 0, loop->stop = static_cast<std::uint32_t>(LoopStop::error);
    } else {
      const std::size_t k = chosen_voxel * modes + chosen;
      *sel = Selection{
          static_cast<std::uint32_t>(chosen_voxel), static_cast<std::uint32_t>(chosen), q[chosen], v.e1[k], v.e3[k], 0};
    }
  }
}
__global__ void __launch_bounds__(wide_block)
    select_kernel(DeviceView v, double inv_kT, double half_volume_ev, double u, const PassResult* result,
                  Selection* sel, LoopBlock* loop) {
  select_body(v, inv_kT, half_volume_ev, u, result, sel, loop);
}

/**
 * The device loop's block sums, scan and selection in one launch: every block sums its rate
 * block; the last block to finish (a device-wide counter, each block's writes fenced before it
 * counts) scans the block sums and selects, as block_scan_kernel and select_kernel do; it then
 * resets the counter for the next pass. Saves two launches per pass.
 */
__global__ void __launch_bounds__(wide_block)
    sum_scan_select_kernel(DeviceView v, double inv_kT, double half_volume_ev, PassResult* result, Selection* sel,
                           LoopBlock* loop) {
  if (!loop->running) return;  // the same for every block: none counts
  block_sum_body(v, inv_kT, result, loop);
  __shared__ int s_last;
  // One fence per block (fences are cumulative: after the barrier, thread 0's fence orders the
  // whole block's writes, the block sum and in mixed precision the scaled voxel rates) before
  // the block counts; the last block fences again before it reads the others' writes.
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    const bool last = atomicAdd(&loop->blocks_done, 1u) == gridDim.x - 1;
    if (last) __threadfence();
    s_last = last ? 1 : 0;
  }
  __syncthreads();
  if (!s_last) return;
  block_scan_body(v, inv_kT, result, loop);
  __syncthreads();  // the pass summary (thread 0's global writes) before the selection reads it
  select_body(v, inv_kT, half_volume_ev, 0.0, result, sel, loop);
  if (threadIdx.x == 0) loop->blocks_done = 0;
}

// ---- Transformations ------------------------------------------------------------------------

/// One block (a warp) per transformed voxel: the state update of docs/model.md §5.5 by thread 0, the
/// redraw of the M SFTS of the new generation by all threads.
__global__ void transform_kernel(DeviceView v, PhysicsConstants pc, std::uint64_t seed, double time,
                                 const std::uint32_t* list, std::uint32_t voxel1, std::uint32_t mode1, double* da,
                                 double* db, FlipRecord* records, const LoopBlock* loop, const Selection* sel) {
  if (loop) {  // the device loop: the selected voxel-mode, dated by the plan, only on an event
    if (!loop->running || !loop->plan.event) return;
    voxel1 = sel->voxel;
    mode1 = sel->mode;
    time = loop->dated;
  }
  const unsigned i = blockIdx.x;
  const std::uint32_t vox = list ? list[i] : voxel1;
  const std::uint32_t mode = list ? v.voxel_argmin[vox] : mode1;
  const int modes = v.modes;
  const std::size_t k = voxel_mode_index(vox, static_cast<int>(mode), modes);
  const float e1 = v.e1[k];
  const float e3 = v.e3[k];
  const std::uint32_t generation = v.generation[vox] + 1u;
  __syncthreads();  // every thread has read the chosen SFTS and generation before they change
  if (threadIdx.x == 0) {
    if (records) records[i] = FlipRecord{vox, mode, v.voxel_min[vox]};
    transform_voxel_state(e1, e3, time, pc.kappa_p, pc.kappa_t, pc.eta_max, v.p1[vox], v.p3[vox], v.d1[vox], v.d3[vox],
                          v.t_last[vox], v.eta_p[vox], v.eta_t[vox], v.generation[vox]);
    v.cached_eta[vox] = nan_value;
    if (v.bound_stale) v.bound_stale[vox] = 1;  // rule bounded: its bound no longer holds
    da[i] = e1;
    db[i] = e3;
  }
  for (int m = threadIdx.x; m < modes; m += blockDim.x) {
    const rng::SftsDraw d = rng::sfts(seed, vox, generation, static_cast<std::uint32_t>(m), pc.gamma_star);
    const std::size_t km = voxel_mode_index(vox, m, modes);
    v.e1[km] = d.e1;
    v.e3[km] = d.e3;
  }
}

/// The single-voxel real-space update (docs/model.md §3), the CPU's add_kernel_response per voxel.
__global__ void stress_update_kernel(DeviceView v, KernelView kv, int jx, int jy, const double* da, const double* db,
                                     const LoopBlock* loop, const Selection* sel) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= v.voxels) return;
  const int n = v.n;
  if (loop) {  // the device loop: the selected voxel, only on an event
    if (!loop->running || !loop->plan.event) return;
    jx = static_cast<int>(sel->voxel % static_cast<std::uint32_t>(n));
    jy = static_cast<int>(sel->voxel / static_cast<std::uint32_t>(n));
  }
  add_point_response(v, kv, i, jx, jy, *da, *db);
}

/// launch_flush_pending_update: the pending update over the whole grid, or nothing.
__global__ void flush_pending_kernel(DeviceView v, KernelView kv, const LoopBlock* loop) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= v.voxels || !loop->pending) return;
  apply_pending_update(v, kv, loop, i);
}

__global__ void __launch_bounds__(sum_threads)
    sum_increments_kernel(const double* da, const double* db, std::uint32_t count, double* out) {
  __shared__ double part_a[sum_threads];
  __shared__ double part_b[sum_threads];
  const std::uint64_t chunk = std::max<std::uint64_t>(
      sequential_sum_limit, (static_cast<std::uint64_t>(count) + sum_threads - 1) / sum_threads);
  const std::uint64_t i0 = std::min<std::uint64_t>(count, threadIdx.x * chunk);
  const std::uint64_t i1 = std::min<std::uint64_t>(count, i0 + chunk);
  double sa = 0.0, sb = 0.0;
  for (std::uint64_t i = i0; i < i1; ++i) {
    sa += da[i];
    sb += db[i];
  }
  part_a[threadIdx.x] = sa;
  part_b[threadIdx.x] = sb;
  __syncthreads();
  if (threadIdx.x == 0) {
    // Adding the empty chunks' exact zeros leaves a single chunk's sum bitwise unchanged.
    double ta = 0.0, tb = 0.0;
    for (int t = 0; t < sum_threads; ++t) {
      ta += part_a[t];
      tb += part_b[t];
    }
    out[0] = ta;
    out[1] = tb;
  }
}

struct BelowThreshold {
  const double* voxel_min;
  double threshold;
  __device__ bool operator()(std::uint32_t v) const { return voxel_min[v] < threshold; }
};

__global__ void first_minimum_kernel(DeviceView v, const PassResult* result, std::uint32_t* first) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < v.voxels && v.voxel_min[i] == result->min_barrier) atomicMin(first, static_cast<std::uint32_t>(i));
}

// ---- The device loop -------------------------------------------------------------------------

/// The mean stress of the pass about to run and a fresh minimum (one thread).
__device__ void prepare_loop_pass(LoopBlock* loop, PassResult* result) {
  const Sym2 sigma = loop_mean_stress(loop->s, loop->c);
  // The combinations exactly as CudaBackend::compute_barriers_and_rates forms them.
  loop->mean_s1 = sigma.xx - sigma.yy;
  loop->mean_s3 = 2.0 * sigma.xy;
  result->min_key = ~0ull;
}

__global__ void loop_start_kernel(LoopBlock* loop, PassResult* result) {
  if (threadIdx.x == 0 && blockIdx.x == 0 && loop->running) prepare_loop_pass(loop, result);
}

/// The rest of a pass on one thread (stz/kmc_loop.hpp): the event record, the scalars, the
/// stop test; then the next pass prepared or the loop stopped.
__device__ void finish_loop_pass(LoopBlock* loop, PassResult* result, const Selection* sel, LoopEvent* events) {
  if (!loop->running) return;
  const ThermalPlan plan = loop->plan;
  double da = 0.0, db = 0.0;
  if (plan.event) {
    // The SFTS the transformation applied (CudaBackend::transform returns the same floats).
    da = sel->e1;
    db = sel->e3;
    if (loop->record) events[loop->events++] = LoopEvent{loop->dated, sel->voxel, sel->mode, sel->barrier};
    // Its stress update is left to the next pass's barrier kernel (or to the flush after the
    // graph).
    loop->pending = 1;
    loop->pending_voxel = sel->voxel;
    loop->pending_a = da;
    loop->pending_b = db;
  }
  commit_loop_pass(loop->s, loop->c, plan, da, db);
  ++loop->passes;
  // The next pass's rates relative to this pass's minimum less a margin (fused_rates_valid).
  loop->shift = result->min_barrier - loop_shift_margin_kT / loop->c.inv_kT;
  loop->use_shift = 1;
  loop->last_transformations = plan.event ? 1u : 0u;
  if (close_loop_pass(loop->s, loop->c, loop->last_transformations) == LoopStop::host) {
    loop->running = 0;
    loop->stop = static_cast<std::uint32_t>(LoopStop::host);
  } else if (loop->passes >= loop->c.max_passes) {
    loop->running = 0;
    loop->stop = static_cast<std::uint32_t>(LoopStop::chunk);
  } else {
    prepare_loop_pass(loop, result);
  }
}

__global__ void loop_finish_kernel(LoopBlock* loop, PassResult* result, const Selection* sel, LoopEvent* events,
                                   cudaGraphConditionalHandle while_handle, int in_while_graph) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  finish_loop_pass(loop, result, sel, events);
  // The body of a conditional WHILE node runs again while the loop goes on.
#if CUDART_VERSION >= 12040
  if (in_while_graph) cudaGraphSetConditional(while_handle, loop->running ? 1u : 0u);
#else
  (void)while_handle, (void)in_while_graph;
#endif
}

// ---- Elasticity -----------------------------------------------------------------------------

__global__ void spectral_kernel(const cufftDoubleComplex* a, const cufftDoubleComplex* b, cufftDoubleComplex* out,
                                int n, double e_star, bool keep_corner, double norm) {
  const int nh = n / 2 + 1;
  const std::size_t spectrum = static_cast<std::size_t>(n) * nh;
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= spectrum) return;
  const int iy = static_cast<int>(i / nh);
  const int ix = static_cast<int>(i % nh);
  const FourierResponse f = fourier_response(ix, signed_frequency(iy, n), n, e_star, keep_corner);
  const cufftDoubleComplex p1 = a[i];
  const cufftDoubleComplex p3 = b[i];
  // Same expression as FftElasticSolver::solve: (c1 P1 + c3 P3) * norm, real and imaginary.
  out[i] = {(f.s11_e1 * p1.x + f.s11_e3 * p3.x) * norm, (f.s11_e1 * p1.y + f.s11_e3 * p3.y) * norm};
  out[spectrum + i] = {(f.s22_e1 * p1.x + f.s22_e3 * p3.x) * norm, (f.s22_e1 * p1.y + f.s22_e3 * p3.y) * norm};
  out[2 * spectrum + i] = {(f.s12_e1 * p1.x + f.s12_e3 * p3.x) * norm, (f.s12_e1 * p1.y + f.s12_e3 * p3.y) * norm};
}

__global__ void point_source_kernel(double* p1, double* p3, std::size_t voxels, double a, double b) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= voxels) return;
  p1[i] = i == 0 ? a : 0.0;
  p3[i] = i == 0 ? b : 0.0;
}

}  // namespace

// ---- Launchers ------------------------------------------------------------------------------

void launch_initialize(const DeviceView& v, const PhysicsConstants& pc, std::uint64_t seed, double t_last0,
                       cudaStream_t stream) {
  const std::size_t vm = v.voxels * static_cast<std::size_t>(v.modes);
  init_catalog_kernel<<<blocks_for(vm, threads_1d), threads_1d, 0, stream>>>(v, seed, pc.barrier_mean, pc.barrier_std,
                                                                             pc.gamma_star);
  STZ_CUDA_CHECK_LAUNCH();
  init_voxels_kernel<<<blocks_for(v.voxels, threads_1d), threads_1d, 0, stream>>>(v, t_last0);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_invalidate_cache(const DeviceView& v, cudaStream_t stream) {
  invalidate_cache_kernel<<<blocks_for(v.voxels, threads_1d), threads_1d, 0, stream>>>(v);
  STZ_CUDA_CHECK_LAUNCH();
}

namespace {
/// The barrier kernel of either precision and, in double, the rate kernel: the first part of a
/// pass, host-driven (no loop) or the device loop's (which applies its pending stress update
/// with the unit kernels `kv`; the host-driven pass never has one).
void launch_barriers_and_rates(const DeviceView& v, const PhysicsConstants& pc, double time, double mean_s1,
                               double mean_s3, bool use_cache, PassResult* result, cudaStream_t stream,
                               const LoopBlock* loop, const KernelView& kv) {
  const Tiling t = voxel_mode_tiling(v.modes);
  const unsigned blocks = blocks_for(v.voxels, t.voxels_per_block);
  const std::size_t q_bytes = static_cast<std::size_t>(t.threads) * sizeof(double);
  const std::size_t barrier_smem = q_bytes + 5 * t.voxels_per_block * sizeof(double) + t.voxels_per_block * sizeof(int);
  if (v.softened_f) {
    // Mixed precision: one kernel makes barriers, minima and relative rates; the block sums
    // scale them (no rate kernel).
    const std::size_t mixed_smem = static_cast<std::size_t>(t.threads) * sizeof(float) +
                                   t.voxels_per_block * (sizeof(double) + 5 * sizeof(float) + sizeof(int));
    barrier_kernel_mixed<<<blocks, t.threads, mixed_smem, stream>>>(v, pc, time, mean_s1, mean_s3, use_cache,
                                                                    t.voxels_per_block, result, loop, kv);
    STZ_CUDA_CHECK_LAUNCH();
  } else {
    if (loop)
      barrier_kernel<true><<<blocks, t.threads, barrier_smem, stream>>>(v, pc, time, mean_s1, mean_s3, use_cache,
                                                                        t.voxels_per_block, result, loop, kv);
    else
      barrier_kernel<false><<<blocks, t.threads, barrier_smem, stream>>>(v, pc, time, mean_s1, mean_s3, use_cache,
                                                                         t.voxels_per_block, result, nullptr, kv);
    STZ_CUDA_CHECK_LAUNCH();
    rate_kernel<<<blocks, t.threads, q_bytes, stream>>>(v, pc.inv_kT, pc.half_volume_ev, t.voxels_per_block, result,
                                                        loop);
    STZ_CUDA_CHECK_LAUNCH();
  }
}
}  // namespace

void launch_barrier_pass(const DeviceView& v, const PhysicsConstants& pc, double time, double mean_s1, double mean_s3,
                         bool use_cache, PassResult* result, cudaStream_t stream) {
  // All ones: the largest key, the neutral element of atomicMin (the device loop resets it
  // itself when it prepares a pass).
  STZ_CUDA_TRY(cudaMemsetAsync(&result->min_key, 0xff, sizeof result->min_key, stream));
  launch_barriers_and_rates(v, pc, time, mean_s1, mean_s3, use_cache, result, stream, nullptr, KernelView{});
  block_sum_kernel<<<static_cast<unsigned>(v.rate_blocks), wide_block, 0, stream>>>(v, pc.inv_kT, result, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
  block_scan_kernel<<<1, wide_block, 0, stream>>>(v, pc.inv_kT, result, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_select(const DeviceView& v, const PhysicsConstants& pc, double u, const PassResult* result,
                   Selection* selection, cudaStream_t stream) {
  select_kernel<<<1, wide_block, 2 * v.modes * sizeof(double), stream>>>(v, pc.inv_kT, pc.half_volume_ev, u, result,
                                                                         selection, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_transformations(const DeviceView& v, const PhysicsConstants& pc, std::uint64_t seed, double time,
                            const std::uint32_t* list, std::uint32_t count, std::uint32_t voxel, std::uint32_t mode,
                            double* da, double* db, FlipRecord* records, cudaStream_t stream) {
  if (count == 0) return;
  transform_kernel<<<count, transform_threads, 0, stream>>>(v, pc, seed, time, list, voxel, mode, da, db, records,
                                                            nullptr, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_stress_update(const DeviceView& v, const KernelView& k, std::uint32_t voxel, const double* da,
                          const double* db, cudaStream_t stream) {
  const int jx = static_cast<int>(voxel % static_cast<std::uint32_t>(v.n));
  const int jy = static_cast<int>(voxel / static_cast<std::uint32_t>(v.n));
  stress_update_kernel<<<blocks_for(v.voxels, threads_1d), threads_1d, 0, stream>>>(v, k, jx, jy, da, db, nullptr,
                                                                                    nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_sum_increments(const double* da, const double* db, std::uint32_t count, double* out, cudaStream_t stream) {
  sum_increments_kernel<<<1, sum_threads, 0, stream>>>(da, db, count, out);
  STZ_CUDA_CHECK_LAUNCH();
}

std::size_t athermal_select_temp_bytes(std::size_t voxels) {
  std::size_t bytes = 0;
  STZ_CUDA_TRY(cub::DeviceSelect::If(nullptr, bytes, thrust::counting_iterator<std::uint32_t>(0),
                                     static_cast<std::uint32_t*>(nullptr), static_cast<std::uint32_t*>(nullptr),
                                     static_cast<std::int64_t>(voxels), BelowThreshold{nullptr, 0.0}));
  return bytes;
}

void launch_athermal_select(void* temp, std::size_t temp_bytes, const DeviceView& v, double threshold,
                            std::uint32_t* list, std::uint32_t* count, cudaStream_t stream) {
  // DeviceSelect keeps the input order: the list comes out in voxel order, like the CPU's.
  STZ_CUDA_TRY(cub::DeviceSelect::If(temp, temp_bytes, thrust::counting_iterator<std::uint32_t>(0), list, count,
                                     static_cast<std::int64_t>(v.voxels), BelowThreshold{v.voxel_min, threshold},
                                     stream));
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_first_minimum(const DeviceView& v, const PassResult* result, std::uint32_t* first, cudaStream_t stream) {
  STZ_CUDA_TRY(cudaMemsetAsync(first, 0xff, sizeof *first, stream));
  first_minimum_kernel<<<blocks_for(v.voxels, threads_1d), threads_1d, 0, stream>>>(v, result, first);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_spectral_multiply(const cufftDoubleComplex* p1_hat, const cufftDoubleComplex* p3_hat,
                              cufftDoubleComplex* out, int n, double e_star, bool keep_corner, cudaStream_t stream) {
  const std::size_t spectrum = static_cast<std::size_t>(n) * (n / 2 + 1);
  // The CPU's normalisation, 1 / N^2, computed the same way.
  const double norm = 1.0 / static_cast<double>(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  spectral_kernel<<<blocks_for(spectrum, threads_1d), threads_1d, 0, stream>>>(p1_hat, p3_hat, out, n, e_star,
                                                                               keep_corner, norm);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_point_source(double* p1, double* p3, std::size_t voxels, double a, double b, cudaStream_t stream) {
  point_source_kernel<<<blocks_for(voxels, threads_1d), threads_1d, 0, stream>>>(p1, p3, voxels, a, b);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_loop_start(LoopBlock* loop, PassResult* result, cudaStream_t stream) {
  loop_start_kernel<<<1, 1, 0, stream>>>(loop, result);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_loop_pass(const DeviceView& v, const KernelView& k, const PhysicsConstants& pc, std::uint64_t seed,
                      bool use_cache, LoopBlock* loop, PassResult* result, Selection* selection, double* da, double* db,
                      LoopEvent* events, const cudaGraphConditionalHandle* while_handle, cudaStream_t stream) {
  launch_barriers_and_rates(v, pc, 0.0, 0.0, 0.0, use_cache, result, stream, loop, k);
  sum_scan_select_kernel<<<static_cast<unsigned>(v.rate_blocks), wide_block, 2 * v.modes * sizeof(double), stream>>>(
      v, pc.inv_kT, pc.half_volume_ev, result, selection, loop);
  STZ_CUDA_CHECK_LAUNCH();
  // The transformation only: its stress update waits for the next pass's barrier kernel.
  transform_kernel<<<1, transform_threads, 0, stream>>>(v, pc, seed, 0.0, nullptr, 0u, 0u, da, db, nullptr, loop,
                                                        selection);
  STZ_CUDA_CHECK_LAUNCH();
  loop_finish_kernel<<<1, 1, 0, stream>>>(loop, result, selection, events,
                                          while_handle ? *while_handle : cudaGraphConditionalHandle{},
                                          while_handle ? 1 : 0);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_loop_event(const DeviceView& v, const KernelView& k, const PhysicsConstants& pc, std::uint64_t seed,
                       const LoopBlock* loop, const Selection* selection, double* da, double* db, cudaStream_t stream) {
  transform_kernel<<<1, transform_threads, 0, stream>>>(v, pc, seed, 0.0, nullptr, 0u, 0u, da, db, nullptr, loop,
                                                        selection);
  STZ_CUDA_CHECK_LAUNCH();
  stress_update_kernel<<<blocks_for(v.voxels, threads_1d), threads_1d, 0, stream>>>(v, k, 0, 0, da, db, loop,
                                                                                    selection);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_flush_pending_update(const DeviceView& v, const KernelView& k, const LoopBlock* loop, cudaStream_t stream) {
  flush_pending_kernel<<<blocks_for(v.voxels, threads_1d), threads_1d, 0, stream>>>(v, k, loop);
  STZ_CUDA_CHECK_LAUNCH();
}

cudaError_t probe_kernel_image() {
  cudaFuncAttributes attr{};
  return cudaFuncGetAttributes(&attr, init_voxels_kernel);
}

}  // namespace stz::cuda
