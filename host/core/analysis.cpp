#include "core/analysis.hpp"

#include <algorithm>
#include <cmath>

#include "stz/physics/barrier.hpp"

namespace stz {

FieldSet make_fields(const State& s, const Params& params, double time, const Sym2& mean) {
  const PhysicsConstants pc = derive_constants(params);
  FieldSet f;
  f.n = s.n;
  const std::size_t v = s.voxels();
  f.p1 = s.p1;
  f.p3 = s.p3;
  f.generation = s.generation;
  f.eq_strain.resize(v);
  f.s11.resize(v);
  f.s22.resize(v);
  f.s12.resize(v);
  f.eta.resize(v);
  for (std::size_t i = 0; i < v; ++i) {
    f.eq_strain[i] = equivalent_strain(s.p1[i], s.p3[i]);
    f.s11[i] = s.s11[i] + mean.xx;
    f.s22[i] = s.s22[i] + mean.yy;
    f.s12[i] = s.s12[i] + mean.xy;
    f.eta[i] = softening(s.eta_p[i], s.eta_t[i], s.t_last[i], time, pc.tau);
  }
  return f;
}

LocalizationStats localization_stats(const std::vector<double>& p1, const std::vector<double>& p3, double threshold) {
  LocalizationStats r;
  const std::size_t v = p1.size();
  if (v == 0) return r;
  double sum = 0.0;
  for (std::size_t i = 0; i < v; ++i) {
    const double e = equivalent_strain(p1[i], p3[i]);
    sum += e;
    if (e > threshold) ++r.extreme_sites;
  }
  r.mean_eq_strain = sum / static_cast<double>(v);
  double var = 0.0;
  for (std::size_t i = 0; i < v; ++i) {
    const double d = equivalent_strain(p1[i], p3[i]) - r.mean_eq_strain;
    var += d * d;
  }
  r.sli = std::sqrt(var / static_cast<double>(v));
  r.extreme_fraction = static_cast<double>(r.extreme_sites) / static_cast<double>(v);
  return r;
}

YieldStress yield_from_curve(const std::vector<double>& strain, const std::vector<double>& stress,
                             const std::vector<double>& plastic, double offset) {
  YieldStress y;
  const std::size_t n = std::min({strain.size(), stress.size(), plastic.size()});
  if (n == 0) return y;
  std::size_t peak = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (stress[i] > stress[peak]) peak = i;
  y.peak_stress = stress[peak];
  y.peak_strain = strain[peak];
  for (std::size_t i = 0; i < n; ++i) {
    if (plastic[i] >= offset) {
      y.offset_reached = true;
      if (i == 0 || plastic[i] == plastic[i - 1]) {
        y.offset_stress = stress[i];
        y.offset_strain = strain[i];
      } else {
        const double w = (offset - plastic[i - 1]) / (plastic[i] - plastic[i - 1]);
        y.offset_stress = stress[i - 1] + w * (stress[i] - stress[i - 1]);
        y.offset_strain = strain[i - 1] + w * (strain[i] - strain[i - 1]);
      }
      break;
    }
  }
  return y;
}

AvalancheStats avalanche_stats(const std::vector<std::uint64_t>& sizes, std::uint64_t s_min) {
  AvalancheStats a;
  a.s_min = std::max<std::uint64_t>(1, s_min);
  a.count = sizes.size();
  if (sizes.empty()) return a;
  double log_sum = 0.0;
  std::uint64_t tail = 0;
  for (std::uint64_t s : sizes) {
    a.total_flips += s;
    a.max_size = std::max(a.max_size, s);
    if (s >= a.s_min) {
      log_sum += std::log(static_cast<double>(s) / (static_cast<double>(a.s_min) - 0.5));
      ++tail;
    }
  }
  a.mean_size = static_cast<double>(a.total_flips) / static_cast<double>(a.count);
  a.tail_count = tail;
  if (tail >= avalanche_fit_min_count && a.max_size >= avalanche_fit_min_span * a.s_min && log_sum > 0.0) {
    a.alpha = 1.0 + static_cast<double>(tail) / log_sum;
    a.alpha_error = (a.alpha - 1.0) / std::sqrt(static_cast<double>(tail));
  }
  // Log bins 1, 2, 4, 8, ... up to past the largest avalanche.
  std::uint64_t edge = 1;
  a.bin_edges.push_back(edge);
  while (edge <= a.max_size) {
    edge *= 2;
    a.bin_edges.push_back(edge);
  }
  a.bin_counts.assign(a.bin_edges.size() - 1, 0);
  for (std::uint64_t s : sizes) {
    if (s == 0) continue;
    std::size_t b = 0;
    while (b + 1 < a.bin_edges.size() && s >= a.bin_edges[b + 1]) ++b;
    ++a.bin_counts[b];
  }
  return a;
}

}  // namespace stz
