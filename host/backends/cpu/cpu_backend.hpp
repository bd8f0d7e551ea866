#pragma once
/** @file
 * @brief The CPU reference backend: FFTW full solves, single-voxel kernel updates between
 * them, OpenMP over voxels, event selection by a double-precision cumulative sum.
 *
 * Results do not depend on the thread count: every reduction runs over fixed blocks of
 * voxels in a fixed order.
 */
#include <cstdint>
#include <memory>
#include <vector>

#include "backends/cpu/fft_solver.hpp"
#include "backends/cpu/tiled_layout.hpp"
#include "stz/backend.hpp"

namespace stz {

class CpuBackend final : public Backend {
 public:
  CpuBackend(const Params& params, const BackendOptions& options);
  std::string name() const override { return "cpu"; }
  std::string device_description() const override;
  void initialize() override;
  RateSummary compute_barriers_and_rates(double time, const Sym2& mean_stress) override;
  Event select_thermal_event(double u) override;
  PlasticIncrement athermal_pass(double time, std::vector<Event>* flipped) override;
  PlasticIncrement transform(const Event& event, double time) override;
  void full_solve() override;
  void download(State& state, bool with_catalog) override;
  void upload(const State& state) override;
  ElasticMedium medium() const override { return solver_.medium(); }
  void set_temperature(double kelvin) override;

  // The "bounded" rule (cpu_bounded.cpp).
  bool has_bounded_rule() const override { return true; }
  BoundSummary update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) override;
  PlasticIncrement bounded_athermal_pass(double time, const Sym2& mean_now, std::vector<Event>* flipped) override;
  std::uint32_t select_bounded_voxel(double u) override;
  BoundedCandidate bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                     const Sym2& mean_now, const Sym2& mean_end) override;
  double bound_sum() override;
  void check_bounds(double time, const Sym2& mean_now) override;
  double bytes_per_pass() const override;
  double copy_bandwidth() override;
  double floor_ns_per_voxel_mode() override;

  /// Voxels per reduction block (fixed: results must not depend on threads; a whole number of
  /// tiles, tiled_layout.hpp).
  static constexpr std::size_t block_voxels = 1024;

  /// Bytes this backend allocates for a grid (the arrays below, the state and the FFT buffers).
  static std::size_t host_memory_bytes(const Params& params);

 private:
  /// State update and catalog redraw of one transformation; no stress update.
  void apply_transformation(std::size_t voxel, int mode, double time);
  void add_kernel_response(std::size_t voxel, double a, double b);
  void invalidate_caches();
  /// Brings the softened barriers A up to date for `time` (only where eta changed).
  void update_softening(double time);
  void refresh_softened_barriers(std::size_t voxel, double eta);
  /// Mode of the smallest barrier of a voxel (first index on ties), from the last pass.
  std::uint32_t voxel_argmin(std::size_t voxel) const;
  /// Q of a voxel-mode as the last pass computed it (the same expression and operands: the
  /// same bits); Q is recomputed where needed instead of stored for every voxel-mode.
  double pass_barrier(std::size_t voxel, int mode) const;
  template <typename Real>
  Real pass_barrier_in(std::size_t voxel, int mode, const Real* softened) const;
  /// The exhaustive pass's inputs (and the mean stress it resolves, kept for pass_barrier).
  template <typename Real>
  TiledPassInput<Real> pass_input(const Real* softened, const Sym2& mean_stress);
  /// Copies a voxel's SFTS catalog from the state into the tiled one (tiled_e1_, tiled_e3_).
  void tile_catalog(std::size_t voxel);
  void tile_all_catalogs();

  Params params_;
  PhysicsConstants pc_;
  int threads_;
  bool mixed_;  ///< solver.precision = "mixed": A cached in float, the pass in float
  State s_;
  FftElasticSolver solver_;
  UnitKernels kernels_;
  // Caches of the exhaustive pass; the per-voxel-mode ones tiled (tiled_layout.hpp).
  std::vector<double> softened_;                    ///< A = dF exp(-D eta) per voxel-mode, tiled (double)
  std::vector<float> softened_f_;                   ///< the same in float (mixed precision)
  std::vector<float> tiled_e1_, tiled_e3_;          ///< the SFTS catalog of s_, tiled
  std::vector<double> cached_eta_;                  ///< eta that softened_ was computed with (NaN: stale)
  double pass_mean_s1_ = 0.0, pass_mean_s3_ = 0.0;  ///< resolved mean stress of the last pass
  std::vector<double> voxel_min_;                   ///< min_m Q per voxel
  void mark_active(std::size_t voxel);
  std::vector<std::uint32_t> active_;  ///< voxels whose temporary softening has not underflowed
  std::vector<std::uint8_t> is_active_;
  bool refresh_all_ = true;         ///< recompute every A on the next pass
  double last_time_ = 0.0;          ///< time of the last barrier pass
  std::vector<double> voxel_rate_;  ///< sum_m exp(-(Q - Q_min)/kT) per voxel
  std::vector<double> block_rate_;  ///< sums over blocks of block_voxels voxels
  RateSummary last_{};
  bool rates_valid_ = false;
  // The "bounded" rule: the per-voxel bounds live in s_ (bound_*); these are their block sums
  // and the count of watched voxels (bound_low < 0) per block (fixed blocks of block_voxels, so
  // the sums do not depend on threads), and the voxels transformed since the last bound update.
  void sum_bound_blocks();
  std::vector<double> bound_block_;
  std::vector<std::uint32_t> bound_watch_;
  double bound_total_ = 0.0;
  std::vector<std::uint8_t> bound_stale_;
};

}  // namespace stz
