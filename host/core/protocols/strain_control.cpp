#include "core/protocols/strain_control.hpp"

namespace stz {

StrainControl::StrainControl(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : LoadingProtocol(params, medium, start) {}

std::string StrainControl::end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double) const {
  if (!loading()) {
    // Unloading: the same tolerance as StrainLaw::end_code, mirrored.
    if (law_.loaded_strain(mean_strain) <= law_.end_strain + 1e-9 * law_.record_interval)
      return "end strain reached (unloading)";
    if (law_.loaded_stress(mean_stress) < law_.stop_stress) return "loaded stress fell below loading.stop_stress";
    return "";
  }
  switch (law_.end_code(mean_strain, mean_stress)) {
    case StrainEnd::end_strain: return "end strain reached";
    case StrainEnd::stop_stress: return "loaded stress fell below loading.stop_stress";
    case StrainEnd::none: break;
  }
  return "";
}

}  // namespace stz
