#pragma once
/** @file
 * @brief Strain control at a constant rate (docs/model.md §6): uniaxial tension, compression or
 * simple shear, the lateral mean stresses held at zero, under the "reference" (soft machine) or
 * "exact" condition. The stage ends when the loaded mean strain reaches loading.end_strain or the
 * loaded stress falls below loading.stop_stress. A negative rate (a stage after the first)
 * unloads: the stage ends when the loaded strain falls to loading.end_strain.
 *
 * "Loaded" quantities are signed so that they grow during loading: tension uses 11,
 * compression -11, shear the engineering shear 2*eps12 and sigma12.
 */
#include "core/protocol.hpp"
#include "stz/loading/strain_law.hpp"

namespace stz {

class StrainControl final : public LoadingProtocol {
 public:
  StrainControl(const Params& params, const ElasticMedium& medium, const StageStart& start);

  /// strain_step / |strain_rate| (a negative rate unloads).
  double step_time(double) const override {
    return loading() ? law_.step_time() : law_.strain_step / -law_.strain_rate;
  }
  void advance(double, double dt, double p1_mean, double p3_mean, double& applied, Sym2& mean_strain) const override {
    law_.advance(dt, p1_mean, p3_mean, applied, mean_strain);
  }
  Sym2 after_plastic_change(const Sym2& mean_strain, double applied, double p1_mean, double p3_mean) const override {
    return law_.after_plastic_change(mean_strain, applied, p1_mean, p3_mean);
  }

  /// The applied strain begins where the stage does (protocol.hpp, start_applied_strain).
  double stage_start_applied(double, const Sym2&) const override { return start_applied_strain(); }
  /// The applied strain travelled since the stage began.
  double schedule_coordinate(double, double applied) const override {
    return loading() ? applied - start_applied_strain() : start_applied_strain() - applied;
  }
  double record_interval() const override { return law_.record_interval; }
  double progress_unit() const override { return law_.strain_step; }
  /// The loaded strain's way from where the stage began to loading.end_strain.
  double stage_progress(double, double, const Sym2& mean_strain) const override {
    const double way = law_.end_strain - start_.loaded_strain;
    return way != 0.0 ? (law_.loaded_strain(mean_strain) - start_.loaded_strain) / way : 1.0;
  }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;
  /// law_ is plain data the CUDA device loop evaluates with the same expressions; the device
  /// loop counts the schedule from zero and ends by StrainLaw::end_code, so only a first stage
  /// that loads runs there.
  const StrainLaw* device_law() const override { return loading() && start_.index == 0 ? &law_ : nullptr; }

 private:
  /// strain_rate > 0 (else the stage unloads: the applied strain decreases).
  bool loading() const { return law_.strain_rate > 0.0; }
};

}  // namespace stz
