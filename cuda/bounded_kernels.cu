// Kernels of the "bounded" kinetics rule (bounded_kernels.cuh). Never yet run on a GPU: the
// [bounded] tests run them through `stz_tests --backend cuda "[bounded]"` (ctest bounded_cuda).
#include "cuda/bounded_kernels.cuh"

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include <climits>

#include "cuda/block_search.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/memory_plan.cuh"
#include "stz/physics/barrier.hpp"
#include "stz/physics/bounds.hpp"

namespace stz::cuda {
namespace {

constexpr int wide_block = rate_block_voxels;   // one thread per voxel of a rate block
constexpr std::size_t smem_budget = 48 * 1024;  // default dynamic shared memory per block

/// Threads per block of the per-voxel kernels: each thread holds `arrays` x M doubles of
/// scratch in shared memory (whole warps where they fit, at most 256).
int scratch_threads(int modes, int arrays) {
  const std::size_t per_thread = static_cast<std::size_t>(arrays) * modes * sizeof(double);
  std::size_t t = smem_budget / per_thread;
  if (t > 256) t = 256;
  if (t >= 32) t -= t % 32;
  return t < 1 ? 1 : static_cast<int>(t);
}

/// The device loop's gate of the bounds' update kernels: they run only while the loop runs and
/// the pass has its bounds due.
__device__ inline bool update_skipped(const LoopBlock* loop) {
  return loop && (!loop->running || !loop->update_bounds);
}

__device__ inline void stop_loop(LoopBlock* loop, LoopStop why) {
  loop->running = 0;
  loop->stop = static_cast<std::uint32_t>(why);
}

/// Clears the counters, minima and flags (not the bound sum, which the selection reads).
__device__ void reset_result(BoundResult* r) {
  r->refreshed = 0;
  r->any_unstable = 0;
  r->fraction_key = ordered_key(2.0);  // >= 1: no watched barrier reaches zero in the segment
  r->min_key = ~0ull;
  r->accepted = 0;
  r->error = 0;
  r->voxel = 0;
  r->mode = 0;
  r->rate = 0.0;
  r->bound = 0.0;
}

__global__ void bound_reset_kernel(BoundResult* r) { reset_result(r); }

/// The eta of voxel i at `time` and its exact barriers and relative rates into q, rate.
__device__ double exact_rates(const DeviceView& v, const BoundParams& p, std::size_t i, double time, double s1,
                              double s3, double* q, double* rate) {
  const std::size_t base = i * static_cast<std::size_t>(p.modes);
  const double eta = softening(v.eta_p[i], v.eta_t[i], v.t_last[i], time, p.tau);
  return voxel_rates(p.modes, v.barrier + base, v.e1 + base, v.e3 + base, p.direction, v.d1[i], v.d3[i], eta, s1, s3,
                     p.half_volume_ev, p.shift, p.inv_kT, q, rate);
}

/// The bound of voxel i at `time` around (s1, s3), written to the state (cpu_bounded.cpp's
/// refresh_listed_bounds computes the same expressions).
__device__ void refresh_bound(const DeviceView& v, const BoundView& b, const BoundParams& p, std::size_t i, double time,
                              double s1, double s3, double drift, double* terms) {
  const std::size_t base = i * static_cast<std::size_t>(p.modes);
  const double eta = softening(v.eta_p[i], v.eta_t[i], v.t_last[i], time, p.tau);
  const VoxelBound vb = voxel_bound(p.modes, v.barrier + base, v.e1 + base, v.e3 + base, p.direction, v.d1[i], v.d3[i],
                                    eta, s1, s3, p.slack, drift, p.half_volume_ev, p.shift, p.inv_kT, terms);
  b.s1[i] = s1;
  b.s3[i] = s3;
  b.margin[i] = vb.margin;
  b.rate[i] = vb.rate;
  b.low[i] = vb.low;
  v.bound_stale[i] = 0;
}

__global__ void bound_refresh_kernel(DeviceView v, BoundView b, BoundParams p, double time, double now_s1,
                                     double now_s3, double end_s1, double end_s3, double drift, int all, BoundResult* r,
                                     const LoopBlock* loop) {
  extern __shared__ double scratch[];
  if (loop) {  // the device loop: the segment from its block (never all)
    if (update_skipped(loop)) return;
    time = loop->s.time;
    now_s1 = loop->now_s1, now_s3 = loop->now_s3, end_s1 = loop->end_s1, end_s3 = loop->end_s3;
    drift = loop->drift;
    all = 0;
  }
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  bool refresh = false;
  double f1 = 0.0, f3 = 0.0;
  if (i < v.voxels) {
    // cpu_bounded.cpp margin_check: inside at both ends of the segment (the deviation is convex
    // along the linear drift).
    f1 = v.s11[i] - v.s22[i];
    f3 = 2.0 * v.s12[i];
    const double a1 = f1 + now_s1 - b.s1[i], a3 = f3 + now_s3 - b.s3[i];
    const double b1 = f1 + end_s1 - b.s1[i], b3 = f3 + end_s3 - b.s3[i];
    const double m2 = b.margin[i] * b.margin[i];
    const bool inside = a1 * a1 + a3 * a3 <= m2 && b1 * b1 + b3 * b3 <= m2;
    refresh = all || v.bound_stale[i] || !inside;
  }
  // One atomic per warp for the count (update_bounds(all) refreshes every voxel). Every thread of
  // the block gets here; a block narrower than a warp (large M) has only its first lanes.
  const unsigned lanes = blockDim.x >= 32u ? 0xffffffffu : (1u << blockDim.x) - 1u;
  const unsigned mask = __ballot_sync(lanes, refresh);
  if ((threadIdx.x & 31u) == 0 && mask) atomicAdd(&r->refreshed, static_cast<unsigned long long>(__popc(mask)));
  if (refresh) refresh_bound(v, b, p, i, time, f1 + now_s1, f3 + now_s3, drift, scratch + threadIdx.x * p.modes);
}

using BoundSumReduce = cub::BlockReduce<double, wide_block>;
using WatchCountReduce = cub::BlockReduce<unsigned, wide_block>;
union BlockSumTemp {
  typename BoundSumReduce::TempStorage sum;
  typename WatchCountReduce::TempStorage count;
};

/// The sum of the bounds and the watch count of rate block `block` (fixed tree), by all
/// wide_block threads of a block.
__device__ void bound_block_sum(const DeviceView& v, const BoundView& b, std::size_t block, BlockSumTemp& temp) {
  using SumReduce = BoundSumReduce;
  using CountReduce = WatchCountReduce;
  const std::size_t i = block * wide_block + threadIdx.x;
  const bool valid = i < v.voxels;
  const double sum = SumReduce(temp.sum).Sum(valid ? b.rate[i] : 0.0);
  __syncthreads();
  const unsigned watched = CountReduce(temp.count).Sum(valid && b.low[i] < 0.0 ? 1u : 0u);
  if (threadIdx.x == 0) {
    b.block_sum[block] = sum;
    b.block_watch[block] = watched;
  }
}

/// `loop`: the bounds' update of the device loop (every block, when due).
__global__ void __launch_bounds__(wide_block)
    bound_block_kernel(DeviceView v, BoundView b, std::size_t first, const LoopBlock* loop) {
  if (update_skipped(loop)) return;
  __shared__ BlockSumTemp temp;
  bound_block_sum(v, b, first + blockIdx.x, temp);
}

/// The prefix sums of every block sum and the total into r->bound_sum (all threads of a block).
__device__ void bound_total(const DeviceView& v, const BoundView& b, BoundResult* r, SearchScan::TempStorage& temp) {
  const std::size_t nb = v.rate_blocks;
  block_prefix_sums(b.block_sum, b.block_incl, nb, temp);
  if (threadIdx.x == 0) r->bound_sum = b.block_incl[nb - 1];
}

/// Inclusive prefix sums of the block sums (block_scan_kernel's chunked order) and the total.
__global__ void __launch_bounds__(wide_block)
    bound_total_kernel(DeviceView v, BoundView b, BoundResult* r, const LoopBlock* loop) {
  __shared__ SearchScan::TempStorage temp;
  if (update_skipped(loop)) return;
  bound_total(v, b, r, temp);
}

__global__ void bound_watch_kernel(DeviceView v, BoundView b, BoundParams p, double time, double now_s1, double now_s3,
                                   double ds1, double ds3, BoundResult* r, const LoopBlock* loop) {
  extern __shared__ double scratch[];
  if (loop) {  // the device loop: the segment from its block
    if (update_skipped(loop)) return;
    time = loop->s.time;
    now_s1 = loop->now_s1, now_s3 = loop->now_s3;
    ds1 = loop->end_s1 - loop->now_s1, ds3 = loop->end_s3 - loop->now_s3;
  }
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= v.voxels || b.block_watch[i / wide_block] == 0 || !(b.low[i] < 0.0)) return;
  double* q = scratch + 2 * threadIdx.x * p.modes;
  double* rate = q + p.modes;
  exact_rates(v, p, i, time, (v.s11[i] - v.s22[i]) + now_s1, 2.0 * v.s12[i] + now_s3, q, rate);
  const std::size_t base = i * static_cast<std::size_t>(p.modes);
  double fraction = 2.0;
  int unstable = 0;
  for (int m = 0; m < p.modes; ++m) {
    if (q[m] < 0.0) unstable = 1;
    // Q falls linearly with the drift, by at most (V/2) (e . ds) over the segment.
    const double fall = p.half_volume_ev * resolved_work(ds1, ds3, v.e1[base + m], v.e3[base + m]);
    if (fall > 0.0 && q[m] >= 0.0) fraction = fmin(fraction, q[m] / fall);
  }
  if (unstable) atomicExch(&r->any_unstable, 1);
  if (fraction < 2.0) atomicMin(&r->fraction_key, ordered_key(fraction));
}

/// select_kernel's first two levels over the bounds (CpuBackend::select_bounded_voxel's rule:
/// the first block, then voxel, with a nonzero bound whose cumulative sum exceeds u S).
/// All wide_block threads of a block; `loop`: a failure also stops the device loop.
__device__ void select_bounded(const DeviceView& v, const BoundView& b, double u, BoundResult* r, LoopBlock* loop,
                               SearchTemp& temp) {
  const double target = u * r->bound_sum;
  double cum0 = 0.0;
  const int block = find_block(b.block_sum, b.block_incl, v.rate_blocks, target, temp, cum0);
  if (block < 0) {  // no voxel has a bound: the driver never asks then (its wait is infinite)
    if (threadIdx.x == 0) {
      r->error = 3;
      if (loop) stop_loop(loop, LoopStop::error);
    }
    return;
  }
  const std::size_t i = static_cast<std::size_t>(block) * wide_block + threadIdx.x;
  const bool valid = i < v.voxels;
  double before = 0.0;
  const int t = find_item(valid ? b.rate[i] : 0.0, valid, cum0, target, temp, before);
  if (threadIdx.x == 0) {
    if (t < 0) {
      r->error = 3;
      if (loop) stop_loop(loop, LoopStop::error);
    } else
      r->voxel = static_cast<std::uint32_t>(static_cast<std::size_t>(block) * wide_block + t);
  }
}

__global__ void __launch_bounds__(wide_block)
    select_bounded_kernel(DeviceView v, BoundView b, double u, BoundResult* r) {
  __shared__ SearchTemp temp;
  select_bounded(v, b, u, r, nullptr, temp);
}

/// CpuBackend::bounded_candidate on one thread (`scratch`: 2 M doubles of shared memory).
/// `loop`: an error also stops the device loop, and an accepted candidate marks the pass's event
/// and goes into `sel` for the loop's transformation kernels.
__device__ void bounded_candidate(const DeviceView& v, const BoundView& b, const BoundParams& p, std::uint32_t voxel,
                                  double u_accept, double u_mode, double time, double now_s1, double now_s3,
                                  double drift, BoundResult* r, LoopBlock* loop, Selection* sel, double* scratch) {
  double* q = scratch;
  double* rate = q + p.modes;
  const std::size_t i = voxel;
  const double s1 = v.s11[i] - v.s22[i] + now_s1, s3 = 2.0 * v.s12[i] + now_s3;
  const double total = exact_rates(v, p, i, time, s1, s3, q, rate);
  const double bound = b.rate[i];
  r->voxel = voxel;
  r->rate = total;
  r->bound = bound;
  // The bound must hold (docs/model.md §5.6); the slack of one part in 1e12 is round-off.
  if (total > bound * (1.0 + 1e-12)) {
    r->error = 1;
    if (loop) stop_loop(loop, LoopStop::error);
    return;
  }
  r->accepted = u_accept * bound < total ? 1 : 0;
  if (r->accepted) {
    const double target = u_mode * total;
    double cum = 0.0;
    int chosen = -1;
    for (int m = 0; m < p.modes; ++m) {
      if (rate[m] > 0.0) chosen = m;
      cum += rate[m];
      if (cum > target && rate[m] > 0.0) break;
    }
    if (chosen < 0) {
      r->error = 2;  // no mode with a nonzero rate (the host names it)
      if (loop) stop_loop(loop, LoopStop::error);
      return;
    }
    r->mode = static_cast<std::uint32_t>(chosen);
    r->barrier = q[chosen];
    if (loop) {
      const std::size_t k = i * static_cast<std::size_t>(p.modes) + static_cast<std::size_t>(chosen);
      *sel = Selection{voxel, r->mode, r->barrier, v.e1[k], v.e3[k], 0};
      loop->plan.event = true;
    }
    return;
  }
  // A rejected candidate's bound was too loose: computed again from now (it then covers the
  // rest of the segment).
  refresh_bound(v, b, p, i, time, s1, s3, drift, q);
}

__global__ void bounded_candidate_kernel(DeviceView v, BoundView b, BoundParams p, std::uint32_t voxel, double u_accept,
                                         double u_mode, double time, double now_s1, double now_s3, double drift,
                                         BoundResult* r) {
  extern __shared__ double scratch[];
  if (threadIdx.x == 0)
    bounded_candidate(v, b, p, voxel, u_accept, u_mode, time, now_s1, now_s3, drift, r, nullptr, nullptr, scratch);
}

__global__ void bounded_athermal_scan_kernel(DeviceView v, BoundView b, BoundParams p, double time, double now_s1,
                                             double now_s3, double level, BoundResult* r) {
  extern __shared__ double scratch[];
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= v.voxels) return;
  v.voxel_min[i] = HUGE_VAL;
  v.voxel_argmin[i] = 0u;
  if (!(b.low[i] < level)) return;  // no barrier of this voxel can lie below the level
  double* q = scratch + 2 * threadIdx.x * p.modes;
  double* rate = q + p.modes;
  exact_rates(v, p, i, time, (v.s11[i] - v.s22[i]) + now_s1, 2.0 * v.s12[i] + now_s3, q, rate);
  int best = 0;
  for (int m = 1; m < p.modes; ++m)
    if (q[m] < q[best]) best = m;  // strict: the first index wins ties
  v.voxel_min[i] = q[best];
  v.voxel_argmin[i] = static_cast<std::uint32_t>(best);
  if (q[best] < level) atomicMin(&r->min_key, ordered_key(q[best]));
}

__global__ void bounded_first_minimum_kernel(DeviceView v, const BoundResult* r, std::uint32_t* first) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < v.voxels && r->min_key != ~0ull && v.voxel_min[i] == from_ordered_key(r->min_key))
    atomicMin(first, static_cast<std::uint32_t>(i));
}

__global__ void check_bounds_kernel(DeviceView v, BoundView b, BoundParams p, double time, double now_s1, double now_s3,
                                    BoundResult* r) {
  extern __shared__ double scratch[];
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= v.voxels) return;
  double* q = scratch + 2 * threadIdx.x * p.modes;
  double* rate = q + p.modes;
  const double total = exact_rates(v, p, i, time, v.s11[i] - v.s22[i] + now_s1, 2.0 * v.s12[i] + now_s3, q, rate);
  bool bad = total > b.rate[i] * (1.0 + 1e-12);
  const double low = b.low[i], round_off = 1e-12 * (1.0 + fabs(low));
  for (int m = 0; m < p.modes; ++m) bad = bad || q[m] < low - round_off;
  if (bad) {
    atomicExch(&r->error, 1);
    atomicMin(&r->voxel, static_cast<std::uint32_t>(i));
  }
}

// ---- The device loop (launch_bounded_loop_pass) ----------------------------------------------

/// The bounds' segment of the scalars now: the resolved mean stress now and at the end of the
/// loading step, and the distance between them (CudaBackend::update_bounds forms them so).
__device__ void loop_segment(LoopBlock* loop) {
  const Sym2 now = loop_mean_stress(loop->s, loop->c);
  const Sym2 end = loop_segment_end_stress(loop->s, loop->c);
  loop->now_s1 = now.xx - now.yy;
  loop->now_s3 = 2.0 * now.xy;
  loop->end_s1 = end.xx - end.yy;
  loop->end_s3 = 2.0 * end.xy;
  loop->drift = hypot(loop->end_s1 - loop->now_s1, loop->end_s3 - loop->now_s3);
}

/// The pass's plan (Driver::bounded_pass up to its candidate), on one thread: an athermal pass
/// due stops the loop; else the loading moves to the candidate or to the horizon. True when a
/// candidate follows.
__device__ bool plan_bounded_loop_pass(LoopBlock* loop, BoundResult* r) {
  loop->plan = ThermalPlan{};
  loop->candidate = 0;
  loop->update_bounds = 0;
  if (loop->s.bounded.unstable) {  // the driver's own pass flips it (not counted here)
    stop_loop(loop, LoopStop::unstable);
    return false;
  }
  loop->last_transformations = 0;
  reset_result(r);
  const BoundedPlan plan = plan_loop_bounded_pass(loop->s, loop->c);
  loop->bplan = plan;
  if (!plan.candidate) {
    commit_bounded_stop(loop->s, loop->c, plan);
    loop->update_bounds = 1;
    return false;
  }
  commit_bounded_wait(loop->s, loop->c, plan.dt);
  loop->candidate = 1;
  loop->dated = bounded_event_date(loop->s, loop->c);
  loop_segment(loop);
  return true;
}

/**
 * The candidates of the device loop in ONE block (wide_block threads), pass after pass, as long
 * as they are rejected: a rejected candidate touches one voxel's bound, its block's sum and the
 * total, so it needs no full-grid kernel and no launch of its own. Each rejected candidate is a
 * counted pass (commit_bounded_rejection, close_loop_pass), as in Driver::bounded_pass. The
 * kernel leaves, for the rest of the body, the pass that ends in a loading stop (bounds due), an
 * accepted candidate (its event, then the bounds), or a stop of the loop. The selection, the
 * candidate, the block sum and the total are the host-driven kernels' own device functions.
 */
__global__ void __launch_bounds__(wide_block)
    bounded_loop_candidates_kernel(DeviceView v, BoundView b, BoundParams p, LoopBlock* loop, BoundResult* r,
                                   Selection* sel) {
  extern __shared__ double scratch[];  // the candidate's 2 M doubles
  __shared__ union {
    SearchTemp search;
    BlockSumTemp block;
    SearchScan::TempStorage scan;
  } temp;
  // Thread 0 alone writes the loop block; it publishes each decision in its own flag, read by
  // every thread after the next barrier (no thread reads a word thread 0 may be writing).
  __shared__ int s_planned, s_selected, s_tried, s_rejected;
  for (;;) {
    if (threadIdx.x == 0) s_planned = loop->running && plan_bounded_loop_pass(loop, r) ? 1 : 0;
    __syncthreads();
    if (!s_planned) return;  // a loading stop (bounds due) or a stop of the loop
    select_bounded(v, b, loop->bplan.u_voxel, r, loop, temp.search);
    if (threadIdx.x == 0) s_selected = loop->running ? 1 : 0;
    __syncthreads();
    if (!s_selected) return;  // no candidate could be selected (an error, named by the host)
    if (threadIdx.x == 0) {
      bounded_candidate(v, b, p, r->voxel, loop->bplan.u_accept, loop->bplan.u_mode, loop->s.time, loop->now_s1,
                        loop->now_s3, loop->drift, r, loop, sel, scratch);
      s_tried = loop->running ? 1 : 0;
    }
    __syncthreads();
    if (!s_tried) return;  // a rate above its bound, or no mode (errors)
    // The candidate's block again (unchanged bits when it was accepted) and the total.
    bound_block_sum(v, b, r->voxel / wide_block, temp.block);
    __syncthreads();
    bound_total(v, b, r, temp.scan);
    __syncthreads();
    if (loop->plan.event) return;  // accepted: its transformation, then the bounds
    if (threadIdx.x == 0) {
      loop->s.bounded.bound_sum = r->bound_sum;
      commit_bounded_rejection(loop->s);
      ++loop->s.passes;
      ++loop->passes;
      loop->last_transformations = 0;
      if (close_loop_pass(loop->s, loop->c, 0u) == LoopStop::host)
        stop_loop(loop, LoopStop::host);
      else if (loop->passes >= loop->c.max_passes)
        stop_loop(loop, LoopStop::chunk);
      s_rejected = loop->running ? 1 : 0;
    }
    __syncthreads();
    if (!s_rejected) return;
  }
}

/// After the candidates kernel (and the transformation): the scalars of an accepted candidate; a
/// full solve due stops the loop before the bounds (the driver's order); else the bounds' update
/// is prepared when it is due (an accepted candidate or a loading stop).
__global__ void bounded_loop_commit_kernel(LoopBlock* loop, BoundResult* r, const Selection* sel, LoopEvent* events) {
  if (threadIdx.x != 0 || blockIdx.x != 0 || !loop->running) return;
  if (loop->candidate) {
    loop->s.bounded.bound_sum = r->bound_sum;  // the candidate's block summed again
    if (loop->plan.event) {
      if (loop->record) events[loop->events++] = LoopEvent{loop->s.time, sel->voxel, sel->mode, sel->barrier};
      // The SFTS the transformation applied (CudaBackend::transform's increments).
      commit_bounded_event(loop->s, loop->c, sel->e1, sel->e3);
      loop->last_transformations = 1;
      if (loop->s.events_since_full_solve >= loop->c.full_solve_interval) {
        ++loop->s.passes;
        ++loop->passes;
        loop->bounds_pending = 1;
        stop_loop(loop, LoopStop::host);
        return;
      }
      loop->update_bounds = 1;
    } else {
      // A rejected candidate never gets here (the candidates kernel counted it): a bug, named by
      // the host, rather than a pass counted twice.
      r->error = 4;
      stop_loop(loop, LoopStop::error);
      return;
    }
  }
  if (loop->update_bounds) {
    reset_result(r);
    loop_segment(loop);
  }
}

/// The bounds' summary into the scalars, the pass counted, and the stop test (close_loop_pass).
__global__ void bounded_loop_finish_kernel(LoopBlock* loop, const BoundResult* r,
                                           cudaGraphConditionalHandle while_handle, int in_while_graph) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  if (loop->running) {
    if (loop->update_bounds)
      take_bound_update(loop->s, loop->c, r->bound_sum, r->refreshed, r->any_unstable != 0,
                        from_ordered_key(r->fraction_key));
    ++loop->s.passes;
    ++loop->passes;
    if (close_loop_pass(loop->s, loop->c, loop->last_transformations) == LoopStop::host)
      stop_loop(loop, LoopStop::host);
    else if (loop->passes >= loop->c.max_passes)
      stop_loop(loop, LoopStop::chunk);
  }
#if CUDART_VERSION >= 12040
  if (in_while_graph) cudaGraphSetConditional(while_handle, loop->running ? 1u : 0u);
#else
  (void)while_handle, (void)in_while_graph;
#endif
}

}  // namespace

void launch_bounded_loop_pass(const DeviceView& v, const BoundView& b, const BoundParams& p, const KernelView& k,
                              const PhysicsConstants& pc, std::uint64_t seed, LoopBlock* loop, BoundResult* result,
                              Selection* selection, double* da, double* db, LoopEvent* events,
                              const cudaGraphConditionalHandle* while_handle, cudaStream_t stream) {
  // Plans and candidates until one is accepted, the loading stops, or the loop does.
  bounded_loop_candidates_kernel<<<1, wide_block, 2 * p.modes * sizeof(double), stream>>>(v, b, p, loop, result,
                                                                                          selection);
  STZ_CUDA_CHECK_LAUNCH();
  // An accepted candidate's transformation and single-voxel stress update.
  launch_loop_event(v, k, pc, seed, loop, selection, da, db, stream);
  bounded_loop_commit_kernel<<<1, 1, 0, stream>>>(loop, result, selection, events);
  STZ_CUDA_CHECK_LAUNCH();
  // The bounds for the rest of the step, when due (CudaBackend::update_bounds' kernels).
  const int refresh_threads = scratch_threads(p.modes, 1);
  bound_refresh_kernel<<<blocks_for(v.voxels, refresh_threads), refresh_threads,
                         refresh_threads * p.modes * sizeof(double), stream>>>(v, b, p, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0,
                                                                               result, loop);
  STZ_CUDA_CHECK_LAUNCH();
  bound_block_kernel<<<static_cast<unsigned>(v.rate_blocks), wide_block, 0, stream>>>(v, b, 0, loop);
  STZ_CUDA_CHECK_LAUNCH();
  bound_total_kernel<<<1, wide_block, 0, stream>>>(v, b, result, loop);
  STZ_CUDA_CHECK_LAUNCH();
  const int watch_threads = scratch_threads(p.modes, 2);
  bound_watch_kernel<<<blocks_for(v.voxels, watch_threads), watch_threads, 2 * watch_threads * p.modes * sizeof(double),
                       stream>>>(v, b, p, 0.0, 0.0, 0.0, 0.0, 0.0, result, loop);
  STZ_CUDA_CHECK_LAUNCH();
  bounded_loop_finish_kernel<<<1, 1, 0, stream>>>(
      loop, result, while_handle ? *while_handle : cudaGraphConditionalHandle{}, while_handle ? 1 : 0);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bound_reset(BoundResult* result, cudaStream_t stream) {
  bound_reset_kernel<<<1, 1, 0, stream>>>(result);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bound_refresh(const DeviceView& v, const BoundView& b, const BoundParams& p, double time, double now_s1,
                          double now_s3, double end_s1, double end_s3, double drift, bool all, BoundResult* result,
                          cudaStream_t stream) {
  const int threads = scratch_threads(p.modes, 1);
  bound_refresh_kernel<<<blocks_for(v.voxels, threads), threads, threads * p.modes * sizeof(double), stream>>>(
      v, b, p, time, now_s1, now_s3, end_s1, end_s3, drift, all ? 1 : 0, result, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bound_sums(const DeviceView& v, const BoundView& b, std::size_t first, std::size_t count,
                       BoundResult* result, cudaStream_t stream) {
  if (count) {
    bound_block_kernel<<<static_cast<unsigned>(count), wide_block, 0, stream>>>(v, b, first, nullptr);
    STZ_CUDA_CHECK_LAUNCH();
  }
  bound_total_kernel<<<1, wide_block, 0, stream>>>(v, b, result, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bound_watch(const DeviceView& v, const BoundView& b, const BoundParams& p, double time, double now_s1,
                        double now_s3, double ds1, double ds3, BoundResult* result, cudaStream_t stream) {
  const int threads = scratch_threads(p.modes, 2);
  bound_watch_kernel<<<blocks_for(v.voxels, threads), threads, 2 * threads * p.modes * sizeof(double), stream>>>(
      v, b, p, time, now_s1, now_s3, ds1, ds3, result, nullptr);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_select_bounded(const DeviceView& v, const BoundView& b, double u, BoundResult* result,
                           cudaStream_t stream) {
  select_bounded_kernel<<<1, wide_block, 0, stream>>>(v, b, u, result);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bounded_candidate(const DeviceView& v, const BoundView& b, const BoundParams& p, std::uint32_t voxel,
                              double u_accept, double u_mode, double time, double now_s1, double now_s3, double drift,
                              BoundResult* result, cudaStream_t stream) {
  bounded_candidate_kernel<<<1, 32, 2 * p.modes * sizeof(double), stream>>>(v, b, p, voxel, u_accept, u_mode, time,
                                                                            now_s1, now_s3, drift, result);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bounded_athermal_scan(const DeviceView& v, const BoundView& b, const BoundParams& p, double time,
                                  double now_s1, double now_s3, double level, BoundResult* result,
                                  cudaStream_t stream) {
  const int threads = scratch_threads(p.modes, 2);
  bounded_athermal_scan_kernel<<<blocks_for(v.voxels, threads), threads, 2 * threads * p.modes * sizeof(double),
                                 stream>>>(v, b, p, time, now_s1, now_s3, level, result);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_bounded_first_minimum(const DeviceView& v, const BoundResult* result, std::uint32_t* first,
                                  cudaStream_t stream) {
  STZ_CUDA_TRY(cudaMemsetAsync(first, 0xff, sizeof *first, stream));
  bounded_first_minimum_kernel<<<blocks_for(v.voxels, 256), 256, 0, stream>>>(v, result, first);
  STZ_CUDA_CHECK_LAUNCH();
}

void launch_check_bounds(const DeviceView& v, const BoundView& b, const BoundParams& p, double time, double now_s1,
                         double now_s3, BoundResult* result, cudaStream_t stream) {
  const int threads = scratch_threads(p.modes, 2);
  STZ_CUDA_TRY(cudaMemsetAsync(&result->voxel, 0xff, sizeof result->voxel, stream));
  check_bounds_kernel<<<blocks_for(v.voxels, threads), threads, 2 * threads * p.modes * sizeof(double), stream>>>(
      v, b, p, time, now_s1, now_s3, result);
  STZ_CUDA_CHECK_LAUNCH();
}

}  // namespace stz::cuda
