#include "core/protocols/strain_control.hpp"

namespace stz {

StrainControl::StrainControl(const Params& params, const ElasticMedium& medium) : LoadingProtocol(params, medium) {}

std::string StrainControl::end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double) const {
  switch (law_.end_code(mean_strain, mean_stress)) {
    case StrainEnd::end_strain: return "end strain reached";
    case StrainEnd::stop_stress: return "loaded stress fell below loading.stop_stress";
    case StrainEnd::none: break;
  }
  return "";
}

}  // namespace stz
