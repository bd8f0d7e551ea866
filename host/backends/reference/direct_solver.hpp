#pragma once
/** @file
 * @brief The reference backend's elastic solver: the single-voxel kernels as the inverse
 * discrete Fourier transform of the Green operator written as a plain double sum, and full
 * solves as the direct periodic convolution of the eigenstrain with them. O(N^4) for both: a
 * check on the FFT solvers, meant for small grids.
 */
#include "core/elastic_solver.hpp"

namespace stz {

class DirectElasticSolver final : public ElasticSolver {
 public:
  DirectElasticSolver(int n, const ElasticMedium& medium);
  /// sigma(r) = sum_j K(r - j) p_j.
  void solve(const double* p1, const double* p3, double* s11, double* s22, double* s12) override;
  /// K_c(r) = (1/N^2) sum_q f_c(q) cos(2 pi q.r / N) (docs/model.md §3.4).
  UnitKernels unit_kernels() override { return kernels_; }

 private:
  UnitKernels kernels_;
};

}  // namespace stz
