#pragma once
/** @file
 * @brief FFTW3 periodic elasticity solver of the CPU backend: full solves of the stress
 * fluctuation from the eigenstrain field, and the single-voxel real-space kernels.
 *
 * Plans use FFTW_ESTIMATE and one thread so that the same input always gives bitwise the
 * same output (FFTW_MEASURE may pick different algorithms from run to run).
 */
#include <cstddef>
#include <vector>

#include "stz/physics/elastic.hpp"

namespace stz {

/// Real-space responses of a unit e1 and a unit e3 at the origin (MODEL.md 1.4).
struct UnitKernels {
  std::vector<double> k1_11, k1_22, k1_12, k3_11, k3_22, k3_12;
};

class FftElasticSolver {
 public:
  FftElasticSolver(int n, double e_star);
  ~FftElasticSolver();
  FftElasticSolver(const FftElasticSolver&) = delete;
  FftElasticSolver& operator=(const FftElasticSolver&) = delete;

  /// Stress fluctuation (k != 0) of the traceless eigenstrain field (p1, p3).
  void solve(const double* p1, const double* p3, double* s11, double* s22, double* s12);

  /// The six kernels K1_c, K3_c.
  UnitKernels unit_kernels();

 private:
  int n_;
  double e_star_;
  std::size_t half_;  // n * (n/2 + 1) complex coefficients
  double* real_ = nullptr;
  void* spec1_ = nullptr;  // fftw_complex*
  void* spec3_ = nullptr;
  void* spec_out_ = nullptr;
  void* forward_ = nullptr;   // fftw_plan (r2c)
  void* backward_ = nullptr;  // fftw_plan (c2r)
};

}  // namespace stz
