#include "core/protocols/cyclic.hpp"

namespace stz {

Cyclic::Cyclic(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : LoadingProtocol(params, medium, start),
      wave_{start_applied_strain(), params.loading.cyclic_mean, params.loading.cyclic_amplitude,
            params.loading.cycles} {}

void Cyclic::advance(double time, double dt, double p1_mean, double p3_mean, double& applied, Sym2& mean_strain) const {
  const double after = wave_.at(law_.strain_rate * (time + dt - start_.time));
  const double increment = after - applied;  // signed: unloading moves the mean strain back
  applied = after;
  mean_strain = law_.after_strain_increment(mean_strain, increment, after, p1_mean, p3_mean);
}

double Cyclic::step_time(double step_start) const {
  const double s = law_.strain_rate * (step_start - start_.time);
  return (wave_.step_end(s, law_.strain_step, law_.strain_rate * clock_resolution(step_start)) - s) / law_.strain_rate;
}

double Cyclic::schedule_coordinate(double time, double) const {
  return wave_.grid_coordinate(law_.strain_rate * (time - start_.time), law_.record_interval) * law_.record_interval;
}

std::string Cyclic::end_reason(const Sym2&, const Sym2&, double time) const {
  return wave_.completed(law_.strain_rate * (time - start_.time), law_.strain_rate * clock_resolution(time))
             ? "cycles completed"
             : "";
}

}  // namespace stz
