#pragma once
/** @file
 * @brief Index maps of the periodic N x N grid: voxel v = y * N + x (x fastest),
 * voxel-mode index v * M + m (the M modes of one voxel are contiguous).
 */
#include <cstddef>
#include <cstdint>

#include "stz/hd.hpp"

namespace stz {

STZ_HD_INLINE std::size_t voxel_index(int x, int y, int n) {
  return static_cast<std::size_t>(y) * static_cast<std::size_t>(n) + static_cast<std::size_t>(x);
}

STZ_HD_INLINE std::size_t voxel_mode_index(std::size_t voxel, int mode, int modes) {
  return voxel * static_cast<std::size_t>(modes) + static_cast<std::size_t>(mode);
}

/// (a - b) mod n for 0 <= a, b < n.
STZ_HD_INLINE int wrap_difference(int a, int b, int n) {
  const int d = a - b;
  return d < 0 ? d + n : d;
}

/// Signed integer frequency of FFT index i on an n-point axis: 0..n/2-1, then -n/2..-1.
STZ_HD_INLINE int signed_frequency(int i, int n) { return i < (n + 1) / 2 ? i : i - n; }

}  // namespace stz
