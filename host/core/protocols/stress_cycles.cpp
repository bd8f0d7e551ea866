#include "core/protocols/stress_cycles.hpp"

namespace stz {

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
  return (wave_.step_end(s, modulus_ * law_.strain_step, rate_ * clock_resolution(step_start)) - s) / rate_;
}

double StressCycles::schedule_coordinate(double time, double) const {
  return wave_.grid_coordinate(rate_ * (time - start_.time), modulus_ * law_.record_interval) * law_.record_interval;
}

std::string StressCycles::end_reason(const Sym2& mean_strain, const Sym2&, double time) const {
  if (wave_.completed(rate_ * (time - start_.time), rate_ * clock_resolution(time))) return "cycles completed";
  if (law_.loaded_strain(mean_strain) >= end_strain_) return "end strain reached (ratcheting)";
  return "";
}

}  // namespace stz
