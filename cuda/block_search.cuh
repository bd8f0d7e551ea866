#pragma once
/** @file
 * @brief The fixed-order prefix sums over rate blocks and the two-level search "first item whose
 * cumulative weight exceeds a target" that both kinetics rules select with (kernels.cu:
 * select_kernel over the shifted rates; bounded_kernels.cu: select_bounded_kernel over the rate
 * bounds). Written once so that both rules share one order of summation and one set of round-off
 * fallbacks (CpuBackend's rule: only blocks and items with a nonzero weight are candidates; when
 * round-off leaves no crossing, the last one with a nonzero weight).
 *
 * Every function here is called by all `search_threads` threads of one block.
 */
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include <climits>
#include <cstddef>

#include "cuda/memory_plan.cuh"

namespace stz::cuda {

/// Threads of the one-block search and scan kernels: one per item of a rate block.
constexpr int search_threads = rate_block_voxels;
static_assert(search_threads <= 1024, "one CUDA block");

struct MinOp {
  __device__ int operator()(int a, int b) const { return b < a ? b : a; }
};
struct MaxOp {
  __device__ int operator()(int a, int b) const { return b > a ? b : a; }
};

using SearchScan = cub::BlockScan<double, search_threads>;
using SearchReduce = cub::BlockReduce<int, search_threads>;
/// The CUB scratch of the functions below (separated by __syncthreads inside them).
union SearchTemp {
  typename SearchScan::TempStorage scan;
  typename SearchReduce::TempStorage reduce;
};

__device__ inline std::size_t smaller(std::size_t a, std::size_t b) { return b < a ? b : a; }

/**
 * @brief incl[k] = sums[0] + ... + sums[k] for k < nb: each thread adds a contiguous chunk in
 * order, the chunks offset by a block-wide exclusive scan (a fixed order: the same bits on every
 * run). incl[nb - 1] is visible to the whole block afterwards.
 */
__device__ inline void block_prefix_sums(const double* sums, double* incl, std::size_t nb,
                                         SearchScan::TempStorage& temp) {
  const std::size_t chunk = (nb + search_threads - 1) / search_threads;
  const std::size_t b0 = smaller(nb, threadIdx.x * chunk);
  const std::size_t b1 = smaller(nb, b0 + chunk);
  double local = 0.0;
  for (std::size_t b = b0; b < b1; ++b) local += sums[b];
  double running;
  SearchScan(temp).ExclusiveSum(local, running);
  for (std::size_t b = b0; b < b1; ++b) {
    running += sums[b];
    incl[b] = running;
  }
  __syncthreads();  // incl[nb - 1] is written by another thread of this block
}

/**
 * @brief Level 1: the first block with a nonzero sum whose inclusive prefix exceeds `target`
 * (else the last block with a nonzero sum), and in `cum0` the prefix before it. -1 (to every
 * thread) when no block has a nonzero sum.
 */
__device__ inline int find_block(const double* block_sum, const double* block_incl, std::size_t nb, double target,
                                 SearchTemp& temp, double& cum0) {
  __shared__ int s_block;
  __shared__ double s_cum0;
  int exceeds = INT_MAX, last_positive = -1;
  for (std::size_t b = threadIdx.x; b < nb; b += search_threads) {  // strided: the first hit is this thread's min
    if (!(block_sum[b] > 0.0)) continue;
    if (exceeds == INT_MAX && block_incl[b] > target) exceeds = static_cast<int>(b);
    last_positive = static_cast<int>(b);
  }
  const int first_exceeds = SearchReduce(temp.reduce).Reduce(exceeds, MinOp{});
  __syncthreads();
  const int last_block = SearchReduce(temp.reduce).Reduce(last_positive, MaxOp{});
  if (threadIdx.x == 0) {
    const int b = first_exceeds != INT_MAX ? first_exceeds : last_block;
    s_block = b;
    s_cum0 = b > 0 ? block_incl[b - 1] : 0.0;
  }
  __syncthreads();
  cum0 = s_cum0;
  return s_block;
}

/**
 * @brief Level 2: each thread holds one item's weight (`valid` false past the end); the first
 * item with a nonzero weight whose cumulative weight, starting from `cum0`, exceeds `target`
 * (else the last item with a nonzero weight), as a thread index to every thread (-1: none).
 * `before` gets this thread's cumulative weight before its item.
 */
__device__ inline int find_item(double weight, bool valid, double cum0, double target, SearchTemp& temp,
                                double& before) {
  __shared__ int s_item;
  double excl;
  SearchScan(temp.scan).ExclusiveSum(weight, excl);
  before = cum0 + excl;
  __syncthreads();
  const int tid = static_cast<int>(threadIdx.x);
  const int crosses = (valid && weight > 0.0 && before + weight > target) ? tid : INT_MAX;
  const int first_cross = SearchReduce(temp.reduce).Reduce(crosses, MinOp{});
  __syncthreads();
  const int last_nonzero = SearchReduce(temp.reduce).Reduce((valid && weight > 0.0) ? tid : -1, MaxOp{});
  if (tid == 0) s_item = first_cross != INT_MAX ? first_cross : last_nonzero;
  __syncthreads();
  return s_item;
}

/// Blocks of `threads` for `items` (host).
inline unsigned blocks_for(std::size_t items, int threads) {
  return static_cast<unsigned>((items + static_cast<std::size_t>(threads) - 1) / threads);
}

}  // namespace stz::cuda
