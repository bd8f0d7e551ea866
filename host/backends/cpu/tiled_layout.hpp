#pragma once
/** @file
 * @brief The CPU backend's layout of its per-voxel-mode caches for the exhaustive pass:
 * tiles of `tile_voxels` consecutive voxels, mode-major inside a tile.
 *
 * Element (voxel v, mode m) lives at tile(v) * tile_voxels * M + m * tile_voxels + v % tile_voxels,
 * so one mode of a whole tile is one contiguous vector of tile_voxels values. The pass then
 * computes a tile's barriers, minima, exponentials and per-voxel rate sums with every vector
 * lane on its own voxel: the sum over modes of one voxel is still taken in mode order (the same
 * additions as a voxel-major loop, hence the same bits), but sixteen voxels advance at once
 * instead of one serial chain of M additions per voxel. The state (State, checkpoints, the
 * GPU) keeps the voxel-major layout of stz/grid.hpp; only the backend's caches are tiled.
 *
 * The last tile is padded when N^2 is no multiple of tile_voxels: A = +inf and e = 0 there,
 * so the padded lanes have Q = +inf, never the minimum, and a rate of exactly 0.
 */
#include <cstddef>

#include "stz/physics/barrier.hpp"
#include "stz/physics/fast_exp.hpp"

namespace stz {

/// Voxels per tile: one AVX-512 vector of floats, two of doubles (four AVX2 ones).
constexpr std::size_t tile_voxels = 16;

/// Tiles covering `voxels` voxels (the last one possibly padded).
constexpr std::size_t tile_count(std::size_t voxels) { return (voxels + tile_voxels - 1) / tile_voxels; }

/// Where (voxel, mode) lives in a tiled array of a grid with `modes` modes per voxel.
constexpr std::size_t tiled_index(std::size_t voxel, int mode, int modes) {
  return (voxel / tile_voxels) * tile_voxels * static_cast<std::size_t>(modes) +
         static_cast<std::size_t>(mode) * tile_voxels + voxel % tile_voxels;
}

/// What the exhaustive pass reads: the tiled caches (softened barriers A, the SFTS catalog), the
/// voxel-major stress fluctuation and the scalars of docs/model.md §4. Real is the arithmetic
/// of the pass (solver.precision): double, or float for "mixed" (A is then cached in float).
template <typename Real>
struct TiledPassInput {
  const Real* softened = nullptr;  ///< A, tiled
  const float* e1 = nullptr;       ///< SFTS catalog, tiled
  const float* e3 = nullptr;
  const double* s11 = nullptr;  ///< stress fluctuation per voxel (voxel-major)
  const double* s22 = nullptr;
  const double* s12 = nullptr;
  std::size_t voxels = 0;
  int modes = 0;
  double mean_s1 = 0.0, mean_s3 = 0.0;  ///< resolved mean stress (s11 - s22, 2 s12)
  double half_volume_ev = 0.0, inv_kT = 0.0;
};

/// The pass's arithmetic, by the type of its operands (Real = double, or float for
/// solver.precision = "mixed"): Q = A - (V/2) W, the rate exponent -(Q - Q_min)/kT and its
/// exponential. Both the pass (hot_loops.inc) and the backend's recomputation of one voxel's
/// barriers call these, so the two give the same bits.
inline double tile_barrier(double a, double s1, double s3, float e1, float e3, double hv) {
  return activation_barrier(a, resolved_work(s1, s3, e1, e3), hv);
}
inline float tile_barrier(float a, float s1, float s3, float e1, float e3, float hv) {
  return activation_barrier_f(a, resolved_work_f(s1, s3, e1, e3), hv);
}
inline double tile_exponent(double q, double q_min, double inv_kT) { return rate_exponent(q, q_min, inv_kT); }
inline float tile_exponent(float q, float q_min, float inv_kT) { return rate_exponent_f(q, q_min, inv_kT); }
inline double tile_exp(double x) { return exp_nonpositive(x); }
inline float tile_exp(float x) { return exp_nonpositive_f(x); }

/// The resolved stress of a voxel, s1 = s11 - s22 + mean and s3 = 2 s12 + mean (docs/model.md §4),
/// written once for the pass and the backend's recomputation of one voxel's barriers.
inline double resolved_s1(double s11, double s22, double mean_s1) { return (s11 - s22) + mean_s1; }
inline double resolved_s3(double s12, double mean_s3) { return 2.0 * s12 + mean_s3; }

}  // namespace stz
