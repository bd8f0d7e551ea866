#pragma once
/** @file
 * @brief The reference backend: the model of docs/model.md §2–§5 in the plainest form — one
 * thread, no caches, no blocking, no FFT library. It is the oracle the optimized backends are
 * tested against, event for event on small grids (tests/test_reference.cpp).
 *
 * Every pass recomputes every softened barrier, barrier and rate from the state; the stress
 * field comes from DirectElasticSolver (direct_solver.hpp): a direct periodic convolution of the
 * eigenstrain with kernels that are the Green operator's inverse DFT written as a double sum. Only the formulas are
 * shared (include/stz/physics, include/stz/rng.hpp): whatever differs between this file and an optimized backend is the
 * optimization.
 *
 * Cost: O(N^2 M) per pass like the others, O(N^4) per full solve and O(N^4) to build the
 * kernels: meant for grids up to about 64^2.
 */
#include <cstdint>
#include <vector>

#include "backends/reference/direct_solver.hpp"
#include "stz/backend.hpp"

namespace stz {

class ReferenceBackend final : public Backend {
 public:
  ReferenceBackend(const Params& params, const BackendOptions& options);
  std::string name() const override { return "reference"; }
  std::string device_description() const override { return "CPU, 1 thread, reference backend (no caches)"; }
  void initialize() override;
  RateSummary compute_barriers_and_rates(double time, const Sym2& mean_stress) override;
  Event select_thermal_event(double u) override;
  PlasticIncrement athermal_pass(double time, std::vector<Event>* flipped) override;
  PlasticIncrement transform(const Event& event, double time) override;
  void full_solve() override;
  void download(State& state, bool with_catalog) override;
  void upload(const State& state) override;
  ElasticMedium medium() const override { return solver_.medium(); }
  void set_temperature(double kelvin) override {
    params_.kinetics.temperature = kelvin;
    pc_ = derive_constants(params_);
  }

  // The "bounded" rule, written out: every voxel checked, every sum recomputed.
  bool has_bounded_rule() const override { return true; }
  BoundSummary update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) override;
  PlasticIncrement bounded_athermal_pass(double time, const Sym2& mean_now, std::vector<Event>* flipped) override;
  std::uint32_t select_bounded_voxel(double u) override;
  BoundedCandidate bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                     const Sym2& mean_now, const Sym2& mean_end) override;
  double bound_sum() override;
  void check_bounds(double time, const Sym2& mean_now) override;

 private:
  /// p += e, softening, generation + 1, and the catalog redraw of that generation.
  void apply_transformation(std::size_t voxel, int mode, double time);
  /// Exact barriers and relative rates of voxel v at `time` under the mean stress; returns the sum.
  double voxel_rates_now(std::size_t v, double time, const Sym2& mean, std::vector<double>& q,
                         std::vector<double>& rate) const;
  void refresh_bound(std::size_t v, double time, double s1, double s3, double drift);
  Params params_;
  PhysicsConstants pc_;
  DirectElasticSolver solver_;
  UnitKernels kernels_;
  State s_;
  std::vector<double> barrier_;  ///< Q of every voxel-mode from the last pass
  RateSummary last_{};
  bool rates_valid_ = false;
  std::vector<std::uint8_t> bound_stale_;  ///< transformed since the last bound update
};

}  // namespace stz
