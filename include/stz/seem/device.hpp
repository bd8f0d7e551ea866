#pragma once
/** @file
 * @brief GPU entry point of the SEEM ensemble (cuda/seem_ensemble.cu: one thread per
 * trajectory, the same seem::step as the CPU). Without CUDA, host/backends/without_cuda.cpp
 * provides a run function that throws; whether a device is usable is the shared
 * stz::cuda_device_count() (cuda/entry.hpp).
 */
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stz/seem/model.hpp"

namespace stz::seem {

struct DeviceRunOutput {
  std::int64_t events = 0, fallback_lookups = 0, outside_lookups = 0;
  std::int64_t trajectories_outside = 0;  ///< trajectories with at least one step outside the grid
  double seconds = 0.0;                   ///< kernel time (CUDA events), excluding transfers of tables
  std::string device_name;
};

/**
 * @brief Integrates n_traj trajectories of n_steps from (x1_0, tau_0) on the GPU.
 * @param host_view tables with host pointers (n_bins bins, n_events events); copied to device.
 * @param record_steps sorted step indices at which states are recorded (0 = start state).
 * @param rec_x1, rec_tau outputs, resized to [record_steps.size()][n_traj], row-major.
 * @param peak_tau output, resized to n_traj: each trajectory's maximum stress.
 */
void run_ensemble_cuda(const StepView& host_view, std::size_t n_bins, std::size_t n_events, std::uint64_t seed,
                       std::int64_t n_traj, const std::vector<std::int64_t>& record_steps, double x1_0, double tau_0,
                       std::vector<float>& rec_x1, std::vector<float>& rec_tau, std::vector<float>& peak_tau,
                       DeviceRunOutput& out);

}  // namespace stz::seem
