#pragma once
/** @file
 * @brief Kernels of the "bounded" kinetics rule on the GPU (docs/model.md §5.6, docs/cuda.md
 * "The bounded rule"). The formulas are those of stz/physics/bounds.hpp (voxel_bound,
 * voxel_rates), as on the CPU and reference backends; this file decides only the layout: one
 * thread per voxel with its M-mode scratch in shared memory, fixed-order sums over the rate
 * blocks, and exact (order-independent) atomics for minima and counts.
 *
 * Every launcher enqueues on the stream and never synchronises.
 */
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/device_state.cuh"
#include "cuda/kernels.cuh"

namespace stz::cuda {

/// Clears the counters, minima and flags of `result` before an operation.
void launch_bound_reset(BoundResult* result, cudaStream_t stream);

/**
 * @brief The margin check and refresh of update_bounds: every voxel that transformed since its
 * bound was computed (stale), whose resolved stress at `now` or at `end` of the segment left its
 * margin, or every voxel when `all`, gets its bound computed again at `time` around its
 * resolved stress now (voxel_bound with the segment's `drift`). Counts the refreshes.
 */
void launch_bound_refresh(const DeviceView& v, const BoundView& b, const BoundParams& p, double time, double now_s1,
                          double now_s3, double end_s1, double end_s3, double drift, bool all, BoundResult* result,
                          cudaStream_t stream);

/// Sums of the bounds and watch counts of rate blocks [first, first + count) (fixed tree), then
/// the prefix sums of every block and the total into result->bound_sum.
void launch_bound_sums(const DeviceView& v, const BoundView& b, std::size_t first, std::size_t count,
                       BoundResult* result, cudaStream_t stream);

/**
 * @brief The watched voxels (bound low < 0) checked exactly at `time` under the mean stress
 * now: any barrier below zero (result->any_unstable), and the smallest fraction of the segment
 * after which the drift (ds1, ds3) could bring one to zero (result->fraction_key).
 */
void launch_bound_watch(const DeviceView& v, const BoundView& b, const BoundParams& p, double time, double now_s1,
                        double now_s3, double ds1, double ds3, BoundResult* result, cudaStream_t stream);

/// The voxel whose cumulative bound first exceeds u * bound_sum into result->voxel.
void launch_select_bounded(const DeviceView& v, const BoundView& b, double u, BoundResult* result, cudaStream_t stream);

/**
 * @brief The candidate `voxel`: its exact rates at `time` under the mean stress now; accepted
 * with probability rate / bound (u_accept), then its mode by u_mode; a rejected voxel's bound is
 * computed again (the block sums are the caller's next launch).
 */
void launch_bounded_candidate(const DeviceView& v, const BoundView& b, const BoundParams& p, std::uint32_t voxel,
                              double u_accept, double u_mode, double time, double now_s1, double now_s3, double drift,
                              BoundResult* result, cudaStream_t stream);

/**
 * @brief The bounded rule's athermal scan: for every voxel whose bound allows a barrier below
 * `level`, its exact barriers; voxel_min/voxel_argmin get its lowest barrier and mode (+inf
 * elsewhere), result->min_key the lowest of those below `level`.
 */
void launch_bounded_athermal_scan(const DeviceView& v, const BoundView& b, const BoundParams& p, double time,
                                  double now_s1, double now_s3, double level, BoundResult* result, cudaStream_t stream);

/// *first = the first voxel whose voxel_min equals the barrier of result->min_key.
void launch_bounded_first_minimum(const DeviceView& v, const BoundResult* result, std::uint32_t* first,
                                  cudaStream_t stream);

/**
 * @brief One pass of the bounded rule in the device loop (solver.gpu_loop = "device"; docs/cuda.md
 * "The bounded rule"): Driver::bounded_pass as Backend::run_passes' default runs it, every
 * kernel a no-op once loop->running is 0 or its branch is not taken. The plan (one thread:
 * plan_loop_bounded_pass, the loading to the candidate or the horizon, the segment), the
 * bounded selection and the candidate (their launch arguments read from the block), the
 * candidate's block sum and the total, the transformation and stress update of an accepted
 * candidate (kernels.cu's loop kernels, through `selection`), the commit (one thread), the
 * bounds' margin check, refresh, sums and watch when they are due, and the finish (one thread:
 * take_bound_update, the pass counted, close_loop_pass; it sets `while_handle` when not null).
 * Enqueues only, as launch_loop_pass.
 */
void launch_bounded_loop_pass(const DeviceView& v, const BoundView& b, const BoundParams& p, const KernelView& k,
                              const PhysicsConstants& pc, std::uint64_t seed, LoopBlock* loop, BoundResult* result,
                              Selection* selection, double* da, double* db, LoopEvent* events,
                              const cudaGraphConditionalHandle* while_handle, cudaStream_t stream);

/// Debugging (STZ_CHECK_BOUNDS): result->error = 1 and result->voxel = the first voxel whose
/// exact rate exceeds its bound or whose barrier lies below its bound's lowest.
void launch_check_bounds(const DeviceView& v, const BoundView& b, const BoundParams& p, double time, double now_s1,
                         double now_s3, BoundResult* result, cudaStream_t stream);

}  // namespace stz::cuda
