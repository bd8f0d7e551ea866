#pragma once
/** @file
 * @brief The CUDA backend: the physics of CpuBackend on one GPU (docs/cuda.md).
 *
 * A thin pImpl: this header names no CUDA type, so the class could be used from plain C++;
 * the device arrays, cuFFT plans and the stream live in CudaBackend::Impl (cuda_backend.cu).
 * Create it through stz::make_backend("cuda", ...) or stz::make_cuda_backend.
 */
#include <memory>
#include <string>
#include <vector>

#include "stz/backend.hpp"

namespace stz {

class CudaBackend final : public Backend {
 public:
  /**
   * @brief Selects device options.device, checks that the grid fits in its free memory
   * (std::runtime_error naming the need and the free memory otherwise), allocates everything
   * and computes the unit kernels. Throws std::runtime_error when no device is usable.
   */
  CudaBackend(const Params& params, const BackendOptions& options);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  std::string device_description() const override;
  void initialize() override;
  RateSummary compute_barriers_and_rates(double time, const Sym2& mean_stress) override;
  Event select_thermal_event(double u) override;
  PlasticIncrement athermal_pass(double time, std::vector<Event>* flipped) override;
  PlasticIncrement transform(const Event& event, double time) override;
  void full_solve() override;
  bool runs_passes_on_device(ThermalRule) const override { return true; }
  /// The "bounded" rule, host-driven (cuda/bounded_kernels.cu; never yet run on a GPU).
  bool has_bounded_rule() const override { return true; }
  BoundSummary update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) override;
  PlasticIncrement bounded_athermal_pass(double time, const Sym2& mean_now, std::vector<Event>* flipped) override;
  std::uint32_t select_bounded_voxel(double u) override;
  BoundedCandidate bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                     const Sym2& mean_now, const Sym2& mean_end) override;
  double bound_sum() override;
  void check_bounds(double time, const Sym2& mean_now) override;
  /// The device-resident loop (docs/cuda.md): a CUDA graph of c.max_passes passes, one upload
  /// of the scalars before and one copy back after (never yet run on a GPU).
  LoopOutcome run_passes(PassScalars& s, const LoopConfig& c, std::vector<LoopEvent>* events) override;
  double bytes_per_pass() const override;
  double copy_bandwidth() override;
  std::vector<DeviceOpTime> device_profile() override;
  void download(State& state, bool with_catalog) override;
  ElasticMedium medium() const override;
  void set_temperature(double kelvin) override;
  void upload(const State& state) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stz
