#pragma once
/** @file
 * @brief The elastic medium and its solver (docs/model.md §3): the periodic stress fluctuation of
 * an eigenstrain field (a full solve) and the single-voxel responses that update it between full
 * solves. The host backends own one (the CPU backend an FFT solver, the reference backend a
 * direct convolution); every backend reports the medium it solves (Backend::medium), and the
 * loading protocol takes its mean-stress law from there, so a new medium changes the solver and
 * nothing above it.
 */
#include <vector>

#include "stz/physics/elastic.hpp"

namespace stz {

/// Real-space responses of a unit e1 and a unit e3 at the origin, [y * N + x] (docs/model.md §3.4).
struct UnitKernels {
  std::vector<double> k1_11, k1_22, k1_12, k3_11, k3_22, k3_12;
};

class ElasticSolver {
 public:
  ElasticSolver(int n, const ElasticMedium& medium) : n_(n), medium_(medium) {}
  virtual ~ElasticSolver() = default;
  ElasticSolver(const ElasticSolver&) = delete;
  ElasticSolver& operator=(const ElasticSolver&) = delete;

  int n() const { return n_; }
  const ElasticMedium& medium() const { return medium_; }

  /// Stress fluctuation (k != 0) of the traceless eigenstrain field (p1, p3) of an n x n grid.
  virtual void solve(const double* p1, const double* p3, double* s11, double* s22, double* s12) = 0;

  /// The six kernels; by default the full solve of a unit eigenstrain at the origin, so that the
  /// kernel updates and the full solves of one solver agree to round-off.
  virtual UnitKernels unit_kernels();

  /// The single-voxel update of one transformation written out: s_c += a K1_c + b K3_c shifted to
  /// `voxel` (periodic). The CPU backend runs the same sum in its own vectorized loop.
  static void add_point_source(const UnitKernels& k, int n, std::size_t voxel, double a, double b, double* s11,
                               double* s22, double* s12);

 private:
  int n_;
  ElasticMedium medium_;
};

}  // namespace stz
