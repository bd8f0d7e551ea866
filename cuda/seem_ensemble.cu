// SEEM ensemble on the GPU: one thread per trajectory, the same seem::step (and therefore the
// same Philox draws) as the CPU ensemble in host/seem/seem_run.cpp, and built with --fmad=false
// (cuda/CMakeLists.txt) so that the arithmetic is the CPU's too: a seed should give identical
// trajectories on both (not yet run on a GPU since that flag). Tables are small (bins and events of a 20x20 database)
// and stay in L1/L2; each thread streams its recorded states out as float.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"
#include "stz/seem/device.hpp"

namespace stz::seem {

namespace {

/// A device copy of `n` host elements (the shared owning buffer of cuda/device_buffer.cuh).
template <class T>
cuda::DeviceBuffer<T> device_copy(const T* host, std::size_t n) {
  cuda::DeviceBuffer<T> d(n);
  if (n) STZ_CUDA_TRY(cudaMemcpy(d.data(), host, n * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

__global__ void seem_ensemble_kernel(StepView v, std::uint64_t seed, std::int64_t n_traj,
                                     const std::int64_t* __restrict__ rec_steps, int n_rec, double x1_0, double tau_0,
                                     float* __restrict__ rec_x1, float* __restrict__ rec_tau,
                                     float* __restrict__ peak_tau, unsigned long long* __restrict__ counters) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const bool active = j < n_traj;
  // Inactive lanes run zero steps but stay to the warp reduction below (full-mask shuffles).
  const std::int64_t n_steps = active ? rec_steps[n_rec - 1] : 0;
  double x1 = x1_0, tau = tau_0, tau_max = tau_0;
  unsigned ev = 0, fb = 0, os = 0;
  if (active) {
    rec_x1[j] = static_cast<float>(x1);
    rec_tau[j] = static_cast<float>(tau);
  }
  int next = 1;
  for (std::int64_t s = 0; s < n_steps; ++s) {
    const unsigned f = step(v, x1, tau, seed, static_cast<std::uint32_t>(j), static_cast<std::uint64_t>(s));
    ev += f & step_event;
    fb += (f >> 1) & 1u;
    os += (f >> 2) & 1u;
    tau_max = fmax(tau_max, tau);
    if (s + 1 == rec_steps[next]) {
      rec_x1[next * n_traj + j] = static_cast<float>(x1);
      rec_tau[next * n_traj + j] = static_cast<float>(tau);
      ++next;
    }
  }
  if (active) peak_tau[j] = static_cast<float>(tau_max);
  // This trajectory left the grid: at a step's start, or where it ends (as the CPU counts).
  unsigned end_flags = 0;
  clamped_bin(v, x1, tau, end_flags);
  const unsigned left = active && (os > 0u || (end_flags & step_outside)) ? 1u : 0u;
  // Per-trajectory counts fit in 32 bits (<= n_steps <= 1e9), a warp's sum may not: summed in
  // 64 bits; one atomic per warp and counter.
  unsigned long long sums[4] = {ev, fb, os, left};
  for (unsigned long long& x : sums)
    for (int d = 16; d > 0; d >>= 1) x += __shfl_down_sync(0xffffffffu, x, d);
  if ((threadIdx.x & 31u) == 0)
    for (int c = 0; c < 4; ++c) atomicAdd(&counters[c], sums[c]);
}

}  // namespace

void run_ensemble_cuda(const StepView& host_view, std::size_t n_bins, std::size_t n_events, std::uint64_t seed,
                       std::int64_t n_traj, const std::vector<std::int64_t>& record_steps, double x1_0, double tau_0,
                       std::vector<float>& rec_x1, std::vector<float>& rec_tau, std::vector<float>& peak_tau,
                       DeviceRunOutput& out) {
  const int n_rec = static_cast<int>(record_steps.size());
  const std::size_t n_out = static_cast<std::size_t>(n_rec) * static_cast<std::size_t>(n_traj);
  const auto d_source = device_copy(host_view.source, n_bins);
  const auto d_threshold = device_copy(host_view.threshold, n_bins);
  const auto d_offset = device_copy(host_view.ev_offset, n_bins + 1);
  const auto d_dtau = device_copy(host_view.ev_dtau, n_events);
  const auto d_dx1 = device_copy(host_view.ev_dx1, n_events);
  auto d_rec = device_copy(record_steps.data(), record_steps.size());
  cuda::DeviceBuffer<float> d_rec_x1(n_out), d_rec_tau(n_out), d_peak(static_cast<std::size_t>(n_traj));
  cuda::DeviceBuffer<unsigned long long> d_counters(4);
  STZ_CUDA_TRY(cudaMemset(d_counters.data(), 0, 4 * sizeof(unsigned long long)));

  StepView v = host_view;
  v.source = d_source.data();
  v.threshold = d_threshold.data();
  v.ev_offset = d_offset.data();
  v.ev_dtau = d_dtau.data();
  v.ev_dx1 = d_dx1.data();
  v.lambda = nullptr;  // the step process does not read it (the Poisson process runs on the CPU)

  cudaEvent_t start, stop;
  STZ_CUDA_TRY(cudaEventCreate(&start));
  STZ_CUDA_TRY(cudaEventCreate(&stop));
  const int block = 256;
  const auto grid = static_cast<unsigned>((n_traj + block - 1) / block);
  STZ_CUDA_TRY(cudaEventRecord(start));
  seem_ensemble_kernel<<<grid, block>>>(v, seed, n_traj, d_rec.data(), n_rec, x1_0, tau_0, d_rec_x1.data(),
                                        d_rec_tau.data(), d_peak.data(), d_counters.data());
  STZ_CUDA_TRY(cudaGetLastError());
  STZ_CUDA_TRY(cudaEventRecord(stop));
  STZ_CUDA_TRY(cudaEventSynchronize(stop));
  float ms = 0;
  STZ_CUDA_TRY(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);

  rec_x1.resize(n_out);
  rec_tau.resize(n_out);
  peak_tau.resize(static_cast<std::size_t>(n_traj));
  STZ_CUDA_TRY(cudaMemcpy(peak_tau.data(), d_peak.data(), peak_tau.size() * sizeof(float), cudaMemcpyDeviceToHost));
  unsigned long long counters[4];
  STZ_CUDA_TRY(cudaMemcpy(rec_x1.data(), d_rec_x1.data(), n_out * sizeof(float), cudaMemcpyDeviceToHost));
  STZ_CUDA_TRY(cudaMemcpy(rec_tau.data(), d_rec_tau.data(), n_out * sizeof(float), cudaMemcpyDeviceToHost));
  STZ_CUDA_TRY(cudaMemcpy(counters, d_counters.data(), sizeof counters, cudaMemcpyDeviceToHost));
  out.events = static_cast<std::int64_t>(counters[0]);
  out.fallback_lookups = static_cast<std::int64_t>(counters[1]);
  out.outside_lookups = static_cast<std::int64_t>(counters[2]);
  out.trajectories_outside = static_cast<std::int64_t>(counters[3]);
  out.seconds = ms * 1e-3;
  int dev = 0;
  cudaDeviceProp prop{};
  STZ_CUDA_TRY(cudaGetDevice(&dev));
  STZ_CUDA_TRY(cudaGetDeviceProperties(&prop, dev));
  out.device_name = prop.name;
}

}  // namespace stz::seem
