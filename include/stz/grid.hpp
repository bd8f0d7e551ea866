#pragma once
/** @file
 * @brief The grid's extent and index maps: voxel v = y * N + x (x fastest; in D dimensions the
 * first axis fastest), voxel-mode index v * M + m (the M modes of one voxel are contiguous).
 * The model runs on square 2D grids today (Extent<2>{N, N}); the extent type keeps the
 * dimension explicit where code depends on it.
 */
#include <cstddef>
#include <cstdint>

#include "stz/hd.hpp"

namespace stz {

/// Voxels along each axis of a periodic D-dimensional grid.
template <int D>
struct Extent {
  static constexpr int dimension = D;
  int n[D];
  STZ_HD std::size_t voxels() const {
    std::size_t v = 1;
    for (int a = 0; a < D; ++a) v *= static_cast<std::size_t>(n[a]);
    return v;
  }
  /// Linear index of the voxel at coordinates c (the first axis fastest).
  STZ_HD std::size_t index(const int (&c)[D]) const {
    std::size_t i = 0;
    for (int a = D - 1; a >= 0; --a) i = i * static_cast<std::size_t>(n[a]) + static_cast<std::size_t>(c[a]);
    return i;
  }
};

/// The N x N grid of a run.
STZ_HD_INLINE Extent<2> square_extent(int n) { return Extent<2>{{n, n}}; }

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
