#include "core/protocols/stress_cycles.hpp"

#include <algorithm>
#include <cmath>

namespace stz {

namespace {

/// Equal pieces of at most `unit` a leg of `length` is cut into.
double pieces(double length, double unit) { return std::max(1.0, std::ceil(length / unit - 1e-9)); }

}  // namespace

StressCycles::StressCycles(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : LoadingProtocol(params, medium, start),
      wave_{start.loaded_stress, params.loading.cyclic_mean, params.loading.cyclic_amplitude, params.loading.cycles},
      rate_(params.loading.stress_rate),
      modulus_(params.loading.mode == LoadingMode::shear ? medium.mu : medium.e_star),
      end_strain_(params.loading.end_strain) {}

Sym2 StressCycles::elastic_strain(double s) const {
  Sym2 sigma{};
  switch (law_.mode) {
    case LoadingMode::tension: sigma.xx = s; break;
    case LoadingMode::compression: sigma.xx = -s; break;
    case LoadingMode::shear: sigma.xy = s; break;
  }
  return compliance_times(law_.medium, sigma);
}

void StressCycles::advance(double time, double dt, double p1_mean, double p3_mean, double& applied,
                           Sym2& mean_strain) const {
  const double s = stress_at(rate_ * (time + dt - start_.time));
  applied = s / modulus_;
  mean_strain = elastic_strain(s) + traceless(p1_mean, p3_mean);
}

double StressCycles::step_time(double step_start) const {
  const double s = rate_ * (step_start - start_.time);
  TriangleWave::Leg leg = wave_.leg(s);
  double h = leg.length / pieces(leg.length, modulus_ * law_.strain_step);
  double end = leg.begin + std::min((std::floor((s - leg.begin) / h + 1e-9) + 1.0) * h, leg.length);
  if (end - s <= 1e-9 * h) {  // on a point already (within rounding): the step to the next one
    leg = wave_.leg(end + 1e-9 * h);
    h = leg.length / pieces(leg.length, modulus_ * law_.strain_step);
    end = leg.begin + std::min((std::floor((end - leg.begin) / h + 1e-9) + 1.0) * h, leg.length);
  }
  return (end - s) / rate_;
}

double StressCycles::schedule_coordinate(double time, double) const {
  const double s = rate_ * (time - start_.time);
  const double interval = law_.record_interval, unit = modulus_ * interval;
  const TriangleWave::Leg leg = wave_.leg(s);
  const double first = pieces(wave_.first_leg(), unit), later = pieces(2.0 * wave_.amplitude, unit);
  const double before = leg.index == 0.0 ? 0.0 : first + (leg.index - 1.0) * later;  // intervals of earlier legs
  const double here = leg.index == 0.0 ? first : later;
  return (before + std::min(s - leg.begin, leg.length) / leg.length * here) * interval;
}

std::string StressCycles::end_reason(const Sym2& mean_strain, const Sym2&, double time) const {
  if (wave_.completed(rate_ * (time - start_.time))) return "cycles completed";
  if (law_.loaded_strain(mean_strain) >= end_strain_) return "end strain reached (ratcheting)";
  return "";
}

}  // namespace stz
