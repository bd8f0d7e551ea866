#include "core/protocols/relaxation.hpp"

namespace stz {

Relaxation::Relaxation(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : HeldLoad(params, medium, start),
      held_strain_(start.index == 0 ? params.loading.relaxation_strain : start.loaded_strain),
      stop_stress_(params.loading.stop_stress) {
  law_.condition = LoadingCondition::exact;  // the strain is held exactly (see the header)
}

std::string Relaxation::end_reason(const Sym2&, const Sym2& mean_stress, double time) const {
  if (end_time_reached(time)) return "end time reached";
  if (law_.loaded_stress(mean_stress) < stop_stress_) return "loaded stress fell below loading.stop_stress";
  return "";
}

}  // namespace stz
