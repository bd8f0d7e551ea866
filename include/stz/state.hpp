#pragma once
/** @file
 * @brief The backend-held state of a run as plain host arrays: the only door between a
 * backend and I/O, analysis and checkpoints (download/upload).
 *
 * Layouts: per-voxel arrays indexed v = y * N + x; catalog arrays indexed v * M + m.
 * The stress fields hold the fluctuation only (the k != 0 part); the mean stress belongs to
 * the loading and is added where the total stress is needed.
 */
#include <cstddef>
#include <cstdint>
#include <vector>

namespace stz {

struct State {
  int n = 0;
  int modes = 0;
  // Catalog (voxel-mode arrays).
  std::vector<float> barrier;  ///< dF, eV (never redrawn)
  std::vector<float> sfts_e1;  ///< e1 of the current generation
  std::vector<float> sfts_e3;  ///< e3 of the current generation
  // Per voxel.
  std::vector<double> p1, p3;          ///< accumulated eigenstrain
  std::vector<float> d1, d3;           ///< SFTS of the last transformation (0 before the first)
  std::vector<double> eta_p, eta_t;    ///< permanent and temporary softening
  std::vector<double> t_last;          ///< time of the last transformation, s
  std::vector<std::uint32_t> generation;
  std::vector<double> s11, s22, s12;   ///< stress fluctuation, GPa

  std::size_t voxels() const { return static_cast<std::size_t>(n) * static_cast<std::size_t>(n); }
  /// Sizes every array for an n x n grid with `modes` modes, zero filled.
  void resize(int n_, int modes_);
};

}  // namespace stz
