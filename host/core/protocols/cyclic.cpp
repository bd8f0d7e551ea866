#include "core/protocols/cyclic.hpp"

#include <cmath>

namespace stz {

Cyclic::Cyclic(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : LoadingProtocol(params, medium, start),
      amplitude_(params.loading.cyclic_amplitude),
      mean_(params.loading.cyclic_mean),
      cycles_(params.loading.cycles) {}

double Cyclic::applied_at(double travelled) const {
  const double top = mean_ + amplitude_, first = first_leg();
  if (travelled <= first)  // the first leg (a first stage: the rise from 0, applied = travelled)
    return top >= start_.applied_strain ? start_.applied_strain + travelled : start_.applied_strain - travelled;
  const double period = 4.0 * amplitude_;
  const double u = std::fmod(travelled - first, period);
  return u <= 2.0 * amplitude_ ? top - u : (mean_ - amplitude_) + (u - 2.0 * amplitude_);
}

double Cyclic::cycles_done(double travelled) const {
  const double first = first_leg();
  return travelled <= first ? 0.0 : std::floor((travelled - first) / (4.0 * amplitude_));
}

void Cyclic::advance(double time, double dt, double p1_mean, double p3_mean, double& applied, Sym2& mean_strain) const {
  const double after = applied_at(law_.strain_rate * (time + dt - start_.time));
  const double increment = after - applied;  // signed: unloading moves the mean strain back
  applied = after;
  mean_strain = law_.after_strain_increment(mean_strain, increment, after, p1_mean, p3_mean);
}

std::string Cyclic::end_reason(const Sym2&, const Sym2&, double time) const {
  const double total = first_leg() + 4.0 * amplitude_ * cycles_;
  // The clock advances in steps: the end is reached within a part in 1e-12 of the path.
  if (law_.strain_rate * (time - start_.time) >= total * (1.0 - 1e-12)) return "cycles completed";
  return "";
}

}  // namespace stz
