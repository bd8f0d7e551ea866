#include "core/protocols/creep.hpp"

namespace stz {

Creep::Creep(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : HeldLoad(params, medium, start), end_strain_(params.loading.end_strain) {
  const double s = params.loading.creep_stress;
  Sym2 sigma{};
  switch (params.loading.mode) {
    case LoadingMode::tension: sigma.xx = s; break;
    case LoadingMode::compression: sigma.xx = -s; break;
    case LoadingMode::shear: sigma.xy = s; break;
  }
  held_elastic_strain_ = compliance_times(medium, sigma);
}

std::string Creep::end_reason(const Sym2& mean_strain, const Sym2&, double time) const {
  if (end_time_reached(time)) return "end time reached";
  if (law_.loaded_strain(mean_strain) >= end_strain_) return "end strain reached (tertiary creep)";
  return "";
}

}  // namespace stz
