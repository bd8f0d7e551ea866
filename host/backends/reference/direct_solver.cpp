#include "backends/reference/direct_solver.hpp"

#include <cmath>

#include "stz/grid.hpp"

namespace stz {

DirectElasticSolver::DirectElasticSolver(int n, const ElasticMedium& medium) : ElasticSolver(n, medium) {
  // The operator is real and symmetric under q -> -q, so the inverse transform is real and only
  // the cosine remains.
  const std::size_t v = static_cast<std::size_t>(n) * n;
  std::vector<double>* k1[3] = {&kernels_.k1_11, &kernels_.k1_22, &kernels_.k1_12};
  std::vector<double>* k3[3] = {&kernels_.k3_11, &kernels_.k3_22, &kernels_.k3_12};
  for (int c = 0; c < 3; ++c) {
    k1[c]->assign(v, 0.0);
    k3[c]->assign(v, 0.0);
  }
  const double two_pi_over_n = 2.0 * 3.14159265358979323846 / n;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double sum1[3] = {0, 0, 0}, sum3[3] = {0, 0, 0};
      for (int iy = 0; iy < n; ++iy)
        for (int ix = 0; ix < n; ++ix) {
          const FourierResponse f = fourier_response(signed_frequency(ix, n), signed_frequency(iy, n), n, medium.e_star,
                                                     medium.keep_nyquist_corner);
          const double phase = std::cos(two_pi_over_n * (static_cast<double>(ix) * x + static_cast<double>(iy) * y));
          sum1[0] += f.s11_e1 * phase;
          sum1[1] += f.s22_e1 * phase;
          sum1[2] += f.s12_e1 * phase;
          sum3[0] += f.s11_e3 * phase;
          sum3[1] += f.s22_e3 * phase;
          sum3[2] += f.s12_e3 * phase;
        }
      const std::size_t r = voxel_index(x, y, n);
      for (int c = 0; c < 3; ++c) {
        (*k1[c])[r] = sum1[c] / static_cast<double>(v);
        (*k3[c])[r] = sum3[c] / static_cast<double>(v);
      }
    }
}

void DirectElasticSolver::solve(const double* p1, const double* p3, double* s11, double* s22, double* s12) {
  const std::size_t v = static_cast<std::size_t>(n()) * n();
  for (double* s : {s11, s22, s12})
    for (std::size_t i = 0; i < v; ++i) s[i] = 0.0;
  for (std::size_t j = 0; j < v; ++j)
    if (p1[j] != 0.0 || p3[j] != 0.0) add_point_source(kernels_, n(), j, p1[j], p3[j], s11, s22, s12);
}

}  // namespace stz
