#pragma once
/** @file
 * @brief Every device array of the CUDA backend, counted in one place: the backend allocates
 * exactly these counts, and the memory check before allocation sums the same numbers, so the
 * check cannot drift from what is allocated. Plain host arithmetic (no CUDA calls).
 *
 * Bytes per voxel-mode (catalog + pass scratch): dF, e1, e3 as float (12) + softened barrier A
 * and barrier Q as double (16) = 28. Bytes per voxel: see voxel_bytes() (188), plus the FFT
 * spectra (5 complex arrays of N (N/2+1) doubles: ~40 per voxel) and cuFFT's work area.
 */
#include <cstddef>
#include <cstdint>

namespace stz::cuda {

/// Voxels per fixed reduction block of the rate sums (and threads of the selection kernel).
constexpr int rate_block_voxels = 1024;

struct MemoryPlan {
  std::size_t n = 0;          ///< grid side N
  std::size_t modes = 0;      ///< M
  std::size_t voxels = 0;     ///< N^2
  std::size_t voxel_modes = 0;///< N^2 M
  std::size_t spectrum = 0;   ///< N (N/2 + 1) complex coefficients of one r2c transform
  std::size_t rate_blocks = 0;///< ceil(N^2 / rate_block_voxels)

  /// Catalog (dF, e1, e3: float) and pass scratch (A, Q: double) per voxel-mode.
  static constexpr std::size_t voxel_mode_bytes() { return 3 * sizeof(float) + 2 * sizeof(double); }

  /**
   * @brief Per-voxel arrays: p1, p3 (2 double), d1, d3 (2 float), eta_p, eta_t, t_last
   * (3 double), generation (uint32), s11, s22, s12 (3 double), cached eta (double), voxel min
   * (double), argmin (uint32), voxel rate (double), the six unit kernels (6 double), and the
   * athermal scratch sized for a pass that flips every voxel: voxel list (uint32), dp1/dp3
   * (2 double), event records (16 bytes).
   */
  static constexpr std::size_t voxel_bytes() {
    return 2 * sizeof(double) + 2 * sizeof(float) + 3 * sizeof(double) + sizeof(std::uint32_t) +
           3 * sizeof(double) + sizeof(double) + sizeof(double) + sizeof(std::uint32_t) +
           sizeof(double) + 6 * sizeof(double) + sizeof(std::uint32_t) + 2 * sizeof(double) + 16;
  }

  /// Spectra of a full solve: P1, P3 in, sigma11, sigma22, sigma12 out (complex double).
  static constexpr std::size_t spectra_per_solve = 5;

  std::size_t catalog_bytes() const { return voxel_modes * voxel_mode_bytes(); }
  std::size_t field_bytes() const { return voxels * voxel_bytes(); }
  std::size_t spectra_bytes() const { return spectra_per_solve * spectrum * 2 * sizeof(double); }
  std::size_t rate_block_bytes() const { return 2 * rate_blocks * sizeof(double); }

  /// Everything the backend allocates, given cuFFT's work area and CUB's temporary storage.
  std::size_t total_bytes(std::size_t fft_work_bytes, std::size_t cub_temp_bytes) const {
    return catalog_bytes() + field_bytes() + spectra_bytes() + rate_block_bytes() + fft_work_bytes +
           cub_temp_bytes;
  }
};

inline MemoryPlan make_memory_plan(int n, int modes) {
  MemoryPlan p;
  p.n = static_cast<std::size_t>(n);
  p.modes = static_cast<std::size_t>(modes);
  p.voxels = p.n * p.n;
  p.voxel_modes = p.voxels * p.modes;
  p.spectrum = p.n * (p.n / 2 + 1);
  p.rate_blocks = (p.voxels + rate_block_voxels - 1) / rate_block_voxels;
  return p;
}

}  // namespace stz::cuda
