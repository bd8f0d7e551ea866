#include "core/protocols/relaxation.hpp"

namespace stz {

Relaxation::Relaxation(const Params& params, const ElasticMedium& medium)
    : LoadingProtocol(medium),
      law_(make_strain_law(params, medium)),
      held_strain_(params.loading.relaxation_strain),
      time_step_(params.loading.time_step),
      end_time_(params.loading.end_time),
      stop_stress_(params.loading.stop_stress) {
  law_.condition = LoadingCondition::exact;  // the strain is held exactly (see the header)
}

std::string Relaxation::end_reason(const Sym2&, const Sym2& mean_stress, double time) const {
  if (end_time_reached(time, end_time_)) return "end time reached";
  if (law_.loaded_stress(mean_stress) < stop_stress_) return "loaded stress fell below loading.stop_stress";
  return "";
}

}  // namespace stz
