#include "core/elastic_solver.hpp"

#include "stz/grid.hpp"

namespace stz {

UnitKernels ElasticSolver::unit_kernels() {
  const std::size_t v = static_cast<std::size_t>(n_) * n_;
  std::vector<double> p(v, 0.0), zero(v, 0.0);
  p[0] = 1.0;
  UnitKernels k;
  for (auto* a : {&k.k1_11, &k.k1_22, &k.k1_12, &k.k3_11, &k.k3_22, &k.k3_12}) a->assign(v, 0.0);
  solve(p.data(), zero.data(), k.k1_11.data(), k.k1_22.data(), k.k1_12.data());
  solve(zero.data(), p.data(), k.k3_11.data(), k.k3_22.data(), k.k3_12.data());
  return k;
}

void ElasticSolver::add_point_source(const UnitKernels& k, int n, std::size_t voxel, double a, double b, double* s11,
                                     double* s22, double* s12) {
  const int jx = static_cast<int>(voxel % n), jy = static_cast<int>(voxel / n);
  const double* k1[3] = {k.k1_11.data(), k.k1_22.data(), k.k1_12.data()};
  const double* k3[3] = {k.k3_11.data(), k.k3_22.data(), k.k3_12.data()};
  double* out[3] = {s11, s22, s12};
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const std::size_t r = voxel_index(x, y, n);
      const std::size_t shifted = voxel_index(wrap_difference(x, jx, n), wrap_difference(y, jy, n), n);
      for (int c = 0; c < 3; ++c) out[c][r] += a * k1[c][shifted] + b * k3[c][shifted];
    }
}

}  // namespace stz
