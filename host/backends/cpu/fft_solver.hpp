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

#include "core/elastic_solver.hpp"

namespace stz {

class FftElasticSolver final : public ElasticSolver {
 public:
  FftElasticSolver(int n, const ElasticMedium& medium);
  ~FftElasticSolver() override;

  /// Stress fluctuation (k != 0) of the traceless eigenstrain field (p1, p3).
  void solve(const double* p1, const double* p3, double* s11, double* s22, double* s12) override;

 private:
  int n_;
  double e_star_;
  bool keep_corner_;  ///< elastic.nyquist = "published"
  std::size_t half_;  // n * (n/2 + 1) complex coefficients
  double* real_ = nullptr;
  void* spec1_ = nullptr;  // fftw_complex*
  void* spec3_ = nullptr;
  void* spec_out_ = nullptr;
  void* forward_ = nullptr;   // fftw_plan (r2c)
  void* backward_ = nullptr;  // fftw_plan (c2r)
};

}  // namespace stz
