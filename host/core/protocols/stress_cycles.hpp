#pragma once
/** @file
 * @brief Stress cycles (docs/model.md §6.7, loading.cyclic_control = "stress"): the loaded stress
 * follows a triangular wave at loading.stress_rate — a first leg from the stress the stage begins
 * at (0 in a first stage) to mean + amplitude, then loading.cycles full cycles down to
 * mean - amplitude and back up (GPa) — with the other mean stresses zero, so that, as under
 * creep, eps_bar = C^-1 : sigma_bar(t) + <p>: the strain follows the plastic strain (ratcheting),
 * and loading.condition plays no part. Steps and curve points go by the stress travelled over the
 * loading's modulus M (E* in tension and compression, mu in shear): a step is the stress increment
 * M * loading.strain_step, a curve point every M * loading.record_interval, as under strain
 * control of an elastic glass — a step that would cross a turning point ends there, and each
 * leg is cut into equal record intervals no longer than M * record_interval, so that every
 * turning point is a curve point; the applied-strain column holds sigma_c(t) / M. The stage ends
 * when the last cycle is back at the top, or when the loaded strain reaches loading.end_strain
 * (ratcheting to failure). Runs on the host loop (no device law).
 */
#include "core/protocol.hpp"
#include "core/protocols/triangle_wave.hpp"

namespace stz {

class StressCycles final : public LoadingProtocol {
 public:
  StressCycles(const Params& params, const ElasticMedium& medium, const StageStart& start);

  /// The loaded stress after travelling s = stress_rate * t (t from the stage's start), GPa.
  double stress_at(double travelled) const { return wave_.at(travelled); }

  /// The time to advance M * strain_step of stress, or less if the wave turns first: a step
  /// never crosses a turning point.
  double step_time(double step_start) const override;
  Sym2 stage_start_strain(const Sym2&, double p1_mean, double p3_mean) const override {
    return elastic_strain(stress_at(0.0)) + traceless(p1_mean, p3_mean);
  }
  double stage_start_applied(double, const Sym2&) const override { return stress_at(0.0) / modulus_; }
  void advance(double time, double dt, double p1_mean, double p3_mean, double& applied,
               Sym2& mean_strain) const override;
  /// The stress is held at its value now (applied * M): eps_bar = C^-1 : sigma_bar + <p>.
  Sym2 after_plastic_change(const Sym2&, double applied, double p1_mean, double p3_mean) const override {
    return elastic_strain(applied * modulus_) + traceless(p1_mean, p3_mean);
  }

  /// The stress travelled over M (a strain), counted so that every turning point is a curve
  /// point: each leg holds a whole number of record intervals (at most M * record_interval of
  /// stress each).
  double schedule_coordinate(double time, double) const override;
  double record_interval() const override { return law_.record_interval; }
  double progress_unit() const override { return law_.strain_step; }
  std::string progress_text() const override {
    return "the stress advancing by one loading.strain_step times the loading's modulus";
  }
  /// The path travelled over the whole wave.
  double stage_progress(double time, double, const Sym2&) const override {
    return rate_ * (time - start_.time) / wave_.length();
  }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;

 private:
  /// C^-1 : sigma_bar for the loaded stress s, the other mean stresses zero.
  Sym2 elastic_strain(double s) const;

  TriangleWave wave_;  ///< in loaded stress (GPa), from the stress the stage begins at
  double rate_;        ///< GPa/s
  double modulus_;     ///< E* (tension, compression) or mu (shear), GPa
  double end_strain_;
};

}  // namespace stz
