#pragma once
// Physics written out once more for tests, directly from docs/model.md (independent of
// include/stz/physics): what the backends and kinetics rules are checked against.
#include <cmath>
#include <vector>

#include "stz/params.hpp"
#include "stz/state.hpp"
#include "stz/tensor.hpp"

namespace stz::test {

/// kT (eV) at the deck's temperature.
inline double independent_kT(const Params& p) { return 1.380658e-23 * p.kinetics.temperature / 1.60217733e-19; }

/// Q of every voxel-mode of a state at time t under mean stress `mean` (docs/model.md §4).
inline std::vector<double> independent_barriers(const State& s, const Params& p, double t, const Sym2& mean) {
  const double kT = independent_kT(p);
  const double tau = 1.0 / (p.kinetics.attempt_frequency * std::exp(-p.kinetics.activation_energy / kT));
  const double V = p.grid.voxel_size * p.grid.voxel_size * p.grid.thickness;
  std::vector<double> q(s.voxels() * s.modes);
  for (std::size_t v = 0; v < s.voxels(); ++v) {
    const double eta = s.eta_p[v] + s.eta_t[v] * std::exp(-(t - s.t_last[v]) / tau);
    const double sxx = s.s11[v] + mean.xx, syy = s.s22[v] + mean.yy, sxy = s.s12[v] + mean.xy;
    for (int m = 0; m < s.modes; ++m) {
      const std::size_t k = v * s.modes + m;
      const double e1 = s.sfts_e1[k], e3 = s.sfts_e3[k], d1 = s.d1[v], d3 = s.d3[v];
      const double dd = 2 * (d1 * d1 + d3 * d3), ee = 2 * (e1 * e1 + e3 * e3);
      const double cosphi = dd > 0 ? 2 * (d1 * e1 + d3 * e3) / std::sqrt(dd * ee) : 0.0;
      const double D = std::pow((1 + cosphi) / 2, 2);
      const double W = (sxx - syy) * e1 + 2 * sxy * e3;
      q[k] = s.barrier[k] * std::exp(-D * eta) - 0.5 * V * W * 6.241506;
    }
  }
  return q;
}

/// The thermal rate (1/s) of every voxel-mode: nu0 V exp(-Q/kT) (docs/model.md §4).
inline std::vector<double> independent_rates(const State& s, const Params& p, double t, const Sym2& mean) {
  const double kT = independent_kT(p);
  const double V = p.grid.voxel_size * p.grid.voxel_size * p.grid.thickness;
  std::vector<double> r = independent_barriers(s, p, t, mean);
  for (double& x : r) x = p.kinetics.attempt_frequency * V * std::exp(-x / kT);
  return r;
}

}  // namespace stz::test
