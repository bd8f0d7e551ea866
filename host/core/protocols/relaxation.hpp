#pragma once
/** @file
 * @brief Stress relaxation (docs/model.md §6.6): in a first stage the loaded strain
 * loading.relaxation_strain is applied at t = 0 (elastically, the lateral mean stresses zero);
 * in a later stage the loaded strain the stage begins at is kept. That strain is held exactly — the loaded
 * component of the mean strain stays fixed and the others follow the plastic strain so that the
 * held stresses stay zero (the "exact" condition of §6.2, whatever loading.condition says: a
 * soft machine would not hold the strain). The stress then relaxes through plastic events. The
 * run ends at loading.end_time or when the loaded stress falls below loading.stop_stress. The
 * schedule and the loaded quantities are those of every held load (held_load.hpp).
 */
#include "core/protocols/held_load.hpp"

namespace stz {

class Relaxation final : public HeldLoad {
 public:
  Relaxation(const Params& params, const ElasticMedium& medium, const StageStart& start);

  /// The held strain, exactly (a first stage: loading.relaxation_strain applied at once).
  Sym2 stage_start_strain(const Sym2&, double p1_mean, double p3_mean) const override {
    return law_.exact_mean_strain(held_strain_, p1_mean, p3_mean);
  }
  /// The strain is held: nothing moves while time passes.
  void advance(double, double, double, double, double& applied, Sym2&) const override { applied = held_strain_; }
  Sym2 after_plastic_change(const Sym2&, double, double p1_mean, double p3_mean) const override {
    return law_.exact_mean_strain(held_strain_, p1_mean, p3_mean);
  }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;

 private:
  double held_strain_, stop_stress_;
  double initial_stress_;  ///< the loaded stress when the strain began to be held
  double end_fraction_;    ///< loading.end_relaxed_fraction
};

}  // namespace stz
