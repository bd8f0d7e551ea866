#pragma once
/** @file
 * @brief Host launchers of the CUDA backend's kernels (kernels.cu). Every launcher enqueues on
 * the given stream, checks the launch, and never synchronises: the backend decides when a
 * result must come back.
 *
 * Determinism: every reduction that feeds a result runs in a fixed order that depends only on
 * the grid size (never on timing, atomics or the number of SMs), so the same seed gives
 * bitwise the same run on the same GPU. The one atomic used, the global minimum, is an exact
 * min and so order independent.
 */
#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <cstdint>

#include "cuda/device_state.cuh"
#include "stz/params.hpp"

#if CUDART_VERSION < 12030
// Conditional graph nodes came with CUDA 12.3 (used from 12.4): the type for older toolkits,
// where the device loop falls back to graphs of K passes.
typedef unsigned long long cudaGraphConditionalHandle;
#endif

namespace stz::cuda {

/// Draws the catalog (rng::initial_barrier, rng::sfts generation 0) and zeroes every
/// per-voxel array; t_last = t_last0, cached eta = NaN (stale).
void launch_initialize(const DeviceView& v, const PhysicsConstants& pc, std::uint64_t seed, double t_last0,
                       cudaStream_t stream);

/// Marks every cached softened barrier stale (after upload).
void launch_invalidate_cache(const DeviceView& v, cudaStream_t stream);

/**
 * @brief One barrier pass (docs/model.md §4): eta, A (cached while eta is bitwise unchanged), Q,
 * per-voxel min/argmin, the global min, and unless some Q < 0 the shifted rates, per-voxel and
 * per-block sums and the block prefix sums. Writes the summary to *result.
 * `mean_s1` = mean.xx - mean.yy and `mean_s3` = 2 mean.xy, computed by the caller exactly as the
 * CPU backend does.
 */
void launch_barrier_pass(const DeviceView& v, const PhysicsConstants& pc, double time, double mean_s1, double mean_s3,
                         bool use_cache, PassResult* result, cudaStream_t stream);

/// The first voxel-mode whose cumulative shifted rate exceeds u S (CpuBackend's rule and its
/// round-off fallbacks) into *selection.
void launch_select(const DeviceView& v, const PhysicsConstants& pc, double u, const PassResult* result,
                   Selection* selection, cudaStream_t stream);

/**
 * @brief Transforms voxels (docs/model.md §5.5) and redraws their SFTS. With `list` null: the single
 * voxel-mode (voxel, mode). Otherwise `count` voxels list[i], each in its argmin mode, with a
 * FlipRecord per voxel when `records` is not null. Writes the applied SFTS to da[i], db[i].
 * Voxels in the list must be distinct (they are: a compacted voxel list).
 */
void launch_transformations(const DeviceView& v, const PhysicsConstants& pc, std::uint64_t seed, double time,
                            const std::uint32_t* list, std::uint32_t count, std::uint32_t voxel, std::uint32_t mode,
                            double* da, double* db, FlipRecord* records, cudaStream_t stream);

/// sigma_c(x) += da[0] K1_c(x - x_j) + db[0] K3_c(x - x_j): the single-voxel update of voxel j.
void launch_stress_update(const DeviceView& v, const KernelView& k, std::uint32_t voxel, const double* da,
                          const double* db, cudaStream_t stream);

/// out[0] = sum da, out[1] = sum db over `count` entries, in list order (sequential, like the
/// CPU, for count <= 4096; fixed chunks beyond).
void launch_sum_increments(const double* da, const double* db, std::uint32_t count, double* out, cudaStream_t stream);

/// Temporary storage (bytes) of launch_athermal_select for `voxels` voxels.
std::size_t athermal_select_temp_bytes(std::size_t voxels);

/// Compacts, in voxel order, the voxels whose min barrier is below `threshold` into list;
/// their number into *count.
void launch_athermal_select(void* temp, std::size_t temp_bytes, const DeviceView& v, double threshold,
                            std::uint32_t* list, std::uint32_t* count, cudaStream_t stream);

/// *first = the first voxel whose min barrier equals the pass's global minimum.
void launch_first_minimum(const DeviceView& v, const PassResult* result, std::uint32_t* first, cudaStream_t stream);

/**
 * @brief The Fourier stress operator (stz::fourier_response) on r2c spectra: out_c =
 * (f_c1 P1 + f_c3 P3) / N^2 for c = 11, 22, 12, each out_c `spectrum` coefficients after the
 * previous one.
 */
void launch_spectral_multiply(const cufftDoubleComplex* p1_hat, const cufftDoubleComplex* p3_hat,
                              cufftDoubleComplex* out, int n, double e_star, bool keep_corner, cudaStream_t stream);

/// Sets p1[0] = a, p3[0] = b and every other eigenstrain to 0 (source of the unit kernels).
void launch_point_source(double* p1, double* p3, std::size_t voxels, double a, double b, cudaStream_t stream);

// ---- The device loop (solver.gpu_loop = "device"; docs/cuda.md "Device-resident loop") ----------

/// Prepares the first pass of a stretch from the uploaded control block (its mean stress, a
/// fresh minimum). One thread.
void launch_loop_start(LoopBlock* loop, PassResult* result, cudaStream_t stream);

/**
 * @brief One pass of the device loop, every kernel a no-op once loop->running is 0: the barrier
 * pass at the block's time and mean stress (applying the previous event's pending stress
 * update as it loads each voxel), the block sums with, in the last block to finish, the scan,
 * the thermal decision and the selection (one launch), the
 * transformation of an event (its stress update left pending), and the rest on one thread
 * (commit_loop_pass, close_loop_pass, the event record, the next pass prepared). Enqueues only:
 * the backend captures one of these as the body of a conditional WHILE node (`while_handle`:
 * the last kernel sets it to whether the loop goes on), or K of them into a plain graph
 * (`while_handle` null).
 */
void launch_loop_pass(const DeviceView& v, const KernelView& k, const PhysicsConstants& pc, std::uint64_t seed,
                      bool use_cache, LoopBlock* loop, PassResult* result, Selection* selection, double* da, double* db,
                      LoopEvent* events, const cudaGraphConditionalHandle* while_handle, cudaStream_t stream);

/// The stress update the exhaustive device loop left pending when its stretch ended after an
/// event (LoopBlock::pending; a no-op otherwise): enqueued after the loop's graph.
void launch_flush_pending_update(const DeviceView& v, const KernelView& k, const LoopBlock* loop, cudaStream_t stream);

/// The transformation and single-voxel stress update of the device loop's pass when it has an
/// event (loop->plan.event; the voxel-mode in *selection, dated loop->dated): part of the
/// bounded rule's pass (bounded_kernels.cuh); the exhaustive pass leaves the stress update
/// pending for the next pass's barrier kernel.
void launch_loop_event(const DeviceView& v, const KernelView& k, const PhysicsConstants& pc, std::uint64_t seed,
                       const LoopBlock* loop, const Selection* selection, double* da, double* db, cudaStream_t stream);

/// Checks that this GPU can run the kernels (an image for its architecture exists).
cudaError_t probe_kernel_image();

}  // namespace stz::cuda
