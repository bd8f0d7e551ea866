#include "core/protocols/relaxation.hpp"

#include "core/stage_analysis.hpp"

namespace stz {

Relaxation::Relaxation(const Params& params, const ElasticMedium& medium, const StageStart& start)
    : HeldLoad(params, medium, start),
      held_strain_(start.index == 0 ? params.loading.relaxation_strain : start.loaded_strain),
      stop_stress_(params.loading.stop_stress),
      end_fraction_(params.loading.end_relaxed_fraction) {
  law_.condition = LoadingCondition::exact;  // the strain is held exactly (see the header)
  // A first stage applies its strain to a glass without plastic strain; a later one holds the
  // strain (and stress) it begins at.
  initial_stress_ = start.index == 0
                        ? law_.loaded_stress(law_.mean_stress(law_.exact_mean_strain(held_strain_, 0.0, 0.0), 0.0, 0.0))
                        : start.loaded_stress;
}

std::string Relaxation::end_reason(const Sym2&, const Sym2& mean_stress, double time) const {
  if (end_time_reached(time)) return "end time reached";
  if (law_.loaded_stress(mean_stress) < stop_stress_) return "loaded stress fell below loading.stop_stress";
  if (end_fraction_ > 0.0 && initial_stress_ > relaxation_min_stress &&
      1.0 - law_.loaded_stress(mean_stress) / initial_stress_ >= end_fraction_)
    return "relaxed by loading.end_relaxed_fraction";
  return "";
}

}  // namespace stz
