#pragma once
/** @file
 * @brief Creep (docs/model.md §6.5): the loaded stress loading.creep_stress is applied when the
 * stage begins (t = 0 for a first stage)
 * (an instantaneous elastic load, the lateral mean stresses zero) and held; the mean strain then
 * follows the plastic strain, eps_bar = C^-1 : sigma_c + <p>, and time advances through the
 * thermal rule's waiting times and empty passes of at most loading.time_step. The run ends at
 * loading.end_time, or when the loaded strain reaches loading.end_strain (tertiary creep). The
 * schedule and the loaded quantities are those of every held load (held_load.hpp).
 */
#include "core/protocols/held_load.hpp"

namespace stz {

class Creep final : public HeldLoad {
 public:
  Creep(const Params& params, const ElasticMedium& medium, const StageStart& start);

  /// The held stress applied at once: eps_bar = C^-1 : sigma_c + <p>.
  Sym2 stage_start_strain(const Sym2&, double p1_mean, double p3_mean) const override {
    return held_elastic_strain_ + traceless(p1_mean, p3_mean);
  }
  /// Nothing moves while time passes at fixed <p>; `applied` follows the loaded strain.
  void advance(double, double, double, double, double& applied, Sym2& mean_strain) const override {
    applied = law_.loaded_strain(mean_strain);
  }
  /// The stress is held: eps_bar = C^-1 : sigma_c + <p>.
  Sym2 after_plastic_change(const Sym2&, double, double p1_mean, double p3_mean) const override {
    return held_elastic_strain_ + traceless(p1_mean, p3_mean);
  }
  double applied_after_plastic_change(double, const Sym2& mean_strain) const override {
    return law_.loaded_strain(mean_strain);
  }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;

 private:
  Sym2 held_elastic_strain_;  ///< C^-1 : sigma_c
  double end_strain_;
};

}  // namespace stz
