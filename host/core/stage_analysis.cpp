#include "core/stage_analysis.hpp"

#include <algorithm>
#include <cmath>

#include "core/protocol.hpp"
#include "stz/loading/strain_law.hpp"
#include "stz/physics/medium.hpp"

namespace stz {

namespace {

/// Least-squares slope of y against x; 0 with fewer than 3 points or no spread in x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 3) return 0.0;
  double mx = 0.0, my = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0.0, sxx = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0.0 ? sxy / sxx : 0.0;
}

/// The loaded scalars of one row.
struct Row {
  double time, applied, strain, stress, plastic;
  std::uint64_t transformations;
};

/// The minimum over window starts of window / (time to gain `window` of strain), as in
/// tools/creep_fit.py: the strain is not monotone (a plastic event can lower it), so the end of a
/// window is the first row whose running maximum reaches start + window.
void min_creep_rate(const std::vector<Row>& rows, StageAnalysis& a) {
  std::vector<double> running_max(rows.size());
  double m = -HUGE_VAL;
  for (std::size_t i = 0; i < rows.size(); ++i) running_max[i] = m = std::max(m, rows[i].strain);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto j = static_cast<std::size_t>(
        std::lower_bound(running_max.begin(), running_max.end(), rows[i].strain + creep_rate_window) -
        running_max.begin());
    if (j >= rows.size()) break;
    const double dt = rows[j].time - rows[i].time;
    if (!(dt > 0.0)) continue;
    const double rate = (running_max[j] - rows[i].strain) / dt;
    if (a.min_creep_rate == 0.0 || rate < a.min_creep_rate) {
      a.min_creep_rate = rate;
      a.min_creep_rate_time = rows[i].time - a.start_time;
    }
  }
}

/// Full cycles between successive tops of the wave, m + A in the applied-strain column (`top`;
/// stress cycles: (m + A) / M). Every top is a curve point (the end of the first leg, then every
/// full cycle: TriangleWave); found by value, not as local maxima, so that a first leg that
/// descends to the top (a stage that begins above it) and a stage that ends mid-cycle count right.
/// `resolution`: how finely the clock places a turning point in the applied column this late in
/// the run (a stage that begins at 1e10 s, say: protocol.hpp, clock_resolution).
void cycles(const std::vector<Row>& rows, double top, double amplitude, double resolution, StageAnalysis& a) {
  std::vector<std::size_t> tops;
  const double tolerance = std::max(1e-6 * amplitude, 4.0 * resolution);
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (std::abs(rows[i].applied - top) <= tolerance && (tops.empty() || i > tops.back() + 1)) tops.push_back(i);
  for (std::size_t k = 1; k < tops.size(); ++k) {
    CycleRecord c;
    c.peak_stress = c.valley_stress = rows[tops[k - 1]].stress;
    for (std::size_t i = tops[k - 1] + 1; i <= tops[k]; ++i) {
      c.peak_stress = std::max(c.peak_stress, rows[i].stress);
      c.valley_stress = std::min(c.valley_stress, rows[i].stress);
      c.loop_area += 0.5 * (rows[i].stress + rows[i - 1].stress) * (rows[i].strain - rows[i - 1].strain);
    }
    c.plastic_strain = rows[tops[k]].plastic - rows[tops[k - 1]].plastic;
    a.cycles.push_back(c);
  }
}

}  // namespace

double creep_rate_ratio(const std::vector<CurvePoint>& curve, std::size_t first_row, const Params& stage_params) {
  const StrainLaw law = make_strain_law(stage_params, make_medium(stage_params.elastic));
  std::vector<Row> rows;
  for (std::size_t i = first_row; i < curve.size(); ++i)
    rows.push_back({curve[i].time, 0.0, law.loaded_strain(curve[i].strain), 0.0, 0.0, 0});
  if (rows.size() < 2) return 0.0;
  StageAnalysis a;
  a.start_time = rows.front().time;
  min_creep_rate(rows, a);
  // The last window: back from the newest row to the last row at least a window below it.
  const Row& last = rows.back();
  for (std::size_t i = rows.size() - 1; i-- > 0;)
    if (rows[i].strain <= last.strain - creep_rate_window) {
      const double dt = last.time - rows[i].time;
      if (!(dt > 0.0) || !(a.min_creep_rate > 0.0)) return 0.0;
      return (last.strain - rows[i].strain) / dt / a.min_creep_rate;
    }
  return 0.0;
}

std::vector<StageAnalysis> analyze_stages(const std::vector<CurvePoint>& curve, const Params& params,
                                          const std::vector<std::string>& end_reasons) {
  std::vector<StageAnalysis> out;
  const ElasticMedium medium = make_medium(params.elastic);
  std::size_t begin = 0;
  while (begin < curve.size()) {
    const std::uint32_t index = curve[begin].stage;
    std::size_t end = begin;
    while (end < curve.size() && curve[end].stage == index) ++end;
    if (index >= stage_count(params)) break;  // a damaged file: nothing to say about it
    const Params sp = stage_params(params, index);
    const StrainLaw law = make_strain_law(sp, medium);
    std::vector<Row> rows;
    for (std::size_t i = begin; i < end; ++i) {
      const CurvePoint& c = curve[i];
      rows.push_back({c.time, c.applied_strain, law.loaded_strain(c.strain), law.loaded_stress(c.stress),
                      law.loaded_plastic_strain(c.p1_mean, c.p3_mean),
                      c.counters.thermal_events + c.counters.athermal_flips});
    }
    StageAnalysis a;
    a.index = index;
    a.protocol = sp.loading.protocol;
    a.temperature = sp.kinetics.temperature;
    a.first_row = begin;
    a.rows = end - begin;
    a.start_time = rows.front().time;
    a.end_time = rows.back().time;
    a.start_strain = rows.front().strain;
    a.end_strain = rows.back().strain;
    a.start_stress = rows.front().stress;
    a.end_stress = rows.back().stress;
    a.peak_stress = a.min_stress = a.start_stress;
    for (const Row& r : rows) {
      a.peak_stress = std::max(a.peak_stress, r.stress);
      a.min_stress = std::min(a.min_stress, r.stress);
    }
    a.plastic_strain_change = rows.back().plastic - rows.front().plastic;
    a.transformations = rows.back().transformations - rows.front().transformations;
    a.ended = index < end_reasons.size();
    if (a.ended) a.end_reason = end_reasons[index];
    switch (a.protocol) {
      case LoadingProtocolKind::strain_rate: {
        std::vector<double> x, y;
        for (const Row& r : rows) {
          if (std::abs(r.strain - a.start_strain) > stage_slope_window) break;
          x.push_back(r.strain);
          y.push_back(r.stress);
        }
        a.initial_slope = slope(x, y);
        break;
      }
      case LoadingProtocolKind::creep:
        min_creep_rate(rows, a);
        if (a.ended && a.end_reason.rfind("end strain reached", 0) == 0)
          a.time_to_end_strain = a.end_time - a.start_time;
        break;
      case LoadingProtocolKind::relaxation: {
        // Undefined (NaN) from a stress that is no load (stage_analysis.hpp).
        a.relaxed_fraction =
            a.start_stress > relaxation_min_stress ? 1.0 - a.end_stress / a.start_stress : std::nan("");
        std::vector<double> x, y;
        for (const Row& r : rows)
          if (r.time - a.start_time >= sp.loading.time_step) {
            x.push_back(std::log10(r.time - a.start_time));
            y.push_back(r.stress);
          }
        a.stress_per_decade = slope(x, y);
        break;
      }
      case LoadingProtocolKind::cyclic: {
        // The wave in the applied-strain column: strain cycles travel it, stress cycles write
        // sigma / M (M = mu in shear, E* otherwise: protocols/stress_cycles.cpp).
        const bool strain = sp.loading.cyclic_control == CyclicControl::strain;
        const double unit = strain ? 1.0 : (sp.loading.mode == LoadingMode::shear ? medium.mu : medium.e_star);
        const double rate = strain ? sp.loading.strain_rate : sp.loading.stress_rate / unit;  // applied per s
        cycles(rows, (sp.loading.cyclic_mean + sp.loading.cyclic_amplitude) / unit, sp.loading.cyclic_amplitude / unit,
               std::abs(rate) * clock_resolution(rows.back().time), a);
        break;
      }
    }
    out.push_back(std::move(a));
    begin = end;
  }
  return out;
}

}  // namespace stz
