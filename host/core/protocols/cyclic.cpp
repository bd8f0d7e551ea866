#include "core/protocols/cyclic.hpp"

#include <cmath>

namespace stz {

Cyclic::Cyclic(const Params& params, const ElasticMedium& medium)
    : LoadingProtocol(params, medium),
      amplitude_(params.loading.cyclic_amplitude),
      mean_(params.loading.cyclic_mean),
      cycles_(params.loading.cycles) {}

double Cyclic::applied_at(double travelled) const {
  const double top = mean_ + amplitude_;
  if (travelled <= top) return travelled;  // the first rise
  const double period = 4.0 * amplitude_;
  const double u = std::fmod(travelled - top, period);
  return u <= 2.0 * amplitude_ ? top - u : (mean_ - amplitude_) + (u - 2.0 * amplitude_);
}

double Cyclic::cycles_done(double travelled) const {
  const double top = mean_ + amplitude_;
  return travelled <= top ? 0.0 : std::floor((travelled - top) / (4.0 * amplitude_));
}

void Cyclic::advance(double time, double dt, double p1_mean, double p3_mean, double& applied, Sym2& mean_strain) const {
  const double after = applied_at(law_.strain_rate * (time + dt));
  const double increment = after - applied;  // signed: unloading moves the mean strain back
  applied = after;
  mean_strain = law_.after_strain_increment(mean_strain, increment, after, p1_mean, p3_mean);
}

std::string Cyclic::end_reason(const Sym2&, const Sym2&, double time) const {
  const double total = mean_ + amplitude_ + 4.0 * amplitude_ * cycles_;
  // The clock advances in steps: the end is reached within a part in 1e-12 of the path.
  if (law_.strain_rate * time >= total * (1.0 - 1e-12)) return "cycles completed";
  return "";
}

}  // namespace stz
