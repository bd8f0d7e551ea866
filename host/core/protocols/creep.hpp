#pragma once
/** @file
 * @brief Creep (docs/model.md §6.5): the loaded stress loading.creep_stress is applied at t = 0
 * (an instantaneous elastic load, the lateral mean stresses zero) and held; the mean strain then
 * follows the plastic strain, eps_bar = C^-1 : sigma_c + <p>, and time advances through the
 * thermal rule's waiting times and empty passes of at most loading.time_step. The run ends at
 * loading.end_time, or when the loaded strain reaches loading.end_strain (tertiary creep).
 *
 * The loaded quantities are those of strain control in the same loading.mode (tension 11,
 * compression -11, shear sigma12 and 2 eps12). Curve points are spaced logarithmically in time
 * (held_load.hpp). Runs on the host loop (no device law).
 */
#include "core/protocol.hpp"
#include "core/protocols/held_load.hpp"
#include "stz/loading/strain_law.hpp"

namespace stz {

class Creep final : public LoadingProtocol {
 public:
  Creep(const Params& params, const ElasticMedium& medium);

  Sym2 initial_mean_strain() const override { return held_elastic_strain_; }
  double step_time() const override { return time_step_; }
  /// Nothing moves while time passes at fixed <p>; `applied` follows the loaded strain.
  void advance(double, double, double, double, double& applied, Sym2& mean_strain) const override {
    applied = axes_.loaded_strain(mean_strain);
  }
  double applied_after_plastic_change(double, const Sym2& mean_strain) const override {
    return axes_.loaded_strain(mean_strain);
  }
  /// The stress is held: eps_bar = C^-1 : sigma_c + <p>.
  Sym2 after_plastic_change(const Sym2&, double, double p1_mean, double p3_mean) const override {
    return held_elastic_strain_ + traceless(p1_mean, p3_mean);
  }

  double loaded_stress(const Sym2& s) const override { return axes_.loaded_stress(s); }
  double loaded_strain(const Sym2& e) const override { return axes_.loaded_strain(e); }
  double loaded_plastic_strain(double p1_mean, double p3_mean) const override {
    return axes_.loaded_plastic_strain(p1_mean, p3_mean);
  }

  /// log10(1 + t / time_step): curve points and the stall watchdog go by decades of time.
  double schedule_coordinate(double time, double) const override { return log_time_coordinate(time, time_step_); }
  double record_interval() const override { return 1.0 / held_load_points_per_decade; }
  double progress_unit() const override { return held_load_progress_decades; }
  std::string progress_text() const override { return held_load_progress_text(); }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;

 private:
  StrainLaw axes_;            ///< only for the loaded quantities of loading.mode (shared formulas)
  Sym2 held_elastic_strain_;  ///< C^-1 : sigma_c
  double time_step_, end_time_, end_strain_;
};

}  // namespace stz
