#pragma once
/** @file
 * @brief Every device array of the CUDA backend, counted in one place: the backend allocates
 * exactly these counts, and the memory check before allocation sums the same numbers, so the
 * check cannot drift from what is allocated. Plain host arithmetic (no CUDA calls).
 *
 * The State's fields come from the field registry (stz/state.hpp; today 12 bytes per
 * voxel-mode and 76 per voxel); the backend adds its pass scratch: the softened barrier A and
 * the barrier Q per voxel-mode (16 bytes; 4, A in float, in the mixed-precision pass) and
 * scratch_voxel_bytes() per voxel, plus the FFT
 * spectra (5 complex arrays of N (N/2+1) doubles: ~40 per voxel) and cuFFT's work area.
 */
#include <cstddef>
#include <cstdint>

#include "stz/state.hpp"

namespace stz::cuda {

/// Voxels per fixed reduction block of the rate sums (and threads of the selection kernel).
constexpr int rate_block_voxels = 1024;

struct MemoryPlan {
  std::size_t n = 0;            ///< grid side N
  std::size_t modes = 0;        ///< M
  std::size_t voxels = 0;       ///< N^2
  std::size_t voxel_modes = 0;  ///< N^2 M
  std::size_t spectrum = 0;     ///< N (N/2 + 1) complex coefficients of one r2c transform
  std::size_t rate_blocks = 0;  ///< ceil(N^2 / rate_block_voxels)
  bool bounded = false;         ///< kinetics.rule = "bounded": its state fields and scratch
  bool mixed = false;           ///< solver.precision = "mixed": A in float, no Q array

  /// The bounded rule's scratch per voxel: the stale flag (uint8); per rate block: the bound
  /// sums, their prefix sums (double) and the watch counts (uint32).
  std::size_t bounded_scratch_bytes() const {
    return bounded ? voxels * sizeof(std::uint8_t) + rate_blocks * (2 * sizeof(double) + sizeof(std::uint32_t)) : 0;
  }

  /// Pass scratch per voxel-mode: the softened barrier A and the barrier Q (double), or in the
  /// mixed-precision pass A alone, in float.
  std::size_t scratch_voxel_mode_bytes() const { return mixed ? sizeof(float) : 2 * sizeof(double); }

  /**
   * @brief Pass scratch per voxel: cached eta (double), voxel min (double), argmin (uint32),
   * voxel rate (double), the six unit kernels (6 double), and the athermal scratch sized for a
   * pass that flips every voxel: voxel list (uint32), dp1/dp3 (2 double), event records (16 bytes).
   */
  static constexpr std::size_t scratch_voxel_bytes() {
    return sizeof(double) + sizeof(double) + sizeof(std::uint32_t) + sizeof(double) + 6 * sizeof(double) +
           sizeof(std::uint32_t) + 2 * sizeof(double) + 16;
  }

  /// Spectra of a full solve: P1, P3 in, sigma11, sigma22, sigma12 out (complex double).
  static constexpr std::size_t spectra_per_solve = 5;

  /// The State's fields (registry) and the pass scratch.
  std::size_t state_and_scratch_bytes() const {
    return state_bytes(voxels, static_cast<int>(modes), bounded) + voxel_modes * scratch_voxel_mode_bytes() +
           voxels * scratch_voxel_bytes() + bounded_scratch_bytes();
  }
  std::size_t spectra_bytes() const { return spectra_per_solve * spectrum * 2 * sizeof(double); }
  std::size_t rate_block_bytes() const { return 2 * rate_blocks * sizeof(double); }

  /// Everything the backend allocates, given cuFFT's work area and CUB's temporary storage.
  std::size_t total_bytes(std::size_t fft_work_bytes, std::size_t cub_temp_bytes) const {
    return state_and_scratch_bytes() + spectra_bytes() + rate_block_bytes() + fft_work_bytes + cub_temp_bytes;
  }
};

inline MemoryPlan make_memory_plan(int n, int modes, bool bounded = false, bool mixed = false) {
  MemoryPlan p;
  p.bounded = bounded;
  p.mixed = mixed;
  p.n = static_cast<std::size_t>(n);
  p.modes = static_cast<std::size_t>(modes);
  p.voxels = p.n * p.n;
  p.voxel_modes = p.voxels * p.modes;
  p.spectrum = p.n * (p.n / 2 + 1);
  p.rate_blocks = (p.voxels + rate_block_voxels - 1) / rate_block_voxels;
  return p;
}

}  // namespace stz::cuda
