#pragma once
/** @file
 * @brief Stress relaxation (docs/model.md §6.6): the loaded strain loading.relaxation_strain is
 * applied at t = 0 (elastically, the lateral mean stresses zero) and held exactly — the loaded
 * component of the mean strain stays fixed and the others follow the plastic strain so that the
 * held stresses stay zero (the "exact" condition of §6.2, whatever loading.condition says: a
 * soft machine would not hold the strain). The stress then relaxes through plastic events; time
 * advances by the thermal rule with passes of at most loading.time_step. The run ends at
 * loading.end_time or when the loaded stress falls below loading.stop_stress. Curve points are
 * spaced logarithmically in time (held_load.hpp). Runs on the host loop (no device law).
 */
#include "core/protocol.hpp"
#include "core/protocols/held_load.hpp"
#include "stz/loading/strain_law.hpp"

namespace stz {

class Relaxation final : public LoadingProtocol {
 public:
  Relaxation(const Params& params, const ElasticMedium& medium);

  Sym2 initial_mean_strain() const override { return law_.exact_mean_strain(held_strain_, 0.0, 0.0); }
  double step_time() const override { return time_step_; }
  /// The strain is held: nothing moves while time passes.
  void advance(double, double, double, double, double& applied, Sym2&) const override { applied = held_strain_; }
  Sym2 after_plastic_change(const Sym2&, double, double p1_mean, double p3_mean) const override {
    return law_.exact_mean_strain(held_strain_, p1_mean, p3_mean);
  }

  double loaded_stress(const Sym2& s) const override { return law_.loaded_stress(s); }
  double loaded_strain(const Sym2& e) const override { return law_.loaded_strain(e); }
  double loaded_plastic_strain(double p1_mean, double p3_mean) const override {
    return law_.loaded_plastic_strain(p1_mean, p3_mean);
  }

  double schedule_coordinate(double time, double) const override { return log_time_coordinate(time, time_step_); }
  double record_interval() const override { return 1.0 / held_load_points_per_decade; }
  double progress_unit() const override { return held_load_progress_decades; }
  std::string progress_text() const override { return held_load_progress_text(); }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;

 private:
  StrainLaw law_;  ///< the exact condition's formulas in loading.mode (shared with strain control)
  double held_strain_, time_step_, end_time_, stop_stress_;
};

}  // namespace stz
