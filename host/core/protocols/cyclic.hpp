#pragma once
/** @file
 * @brief Cyclic straining (docs/model.md §6.7): the applied strain follows a triangular wave at
 * the constant rate loading.strain_rate — a first leg from where the stage begins (0 in a first
 * stage) to mean + amplitude, then
 * loading.cycles full cycles down to mean - amplitude and back up — under strain control in
 * loading.mode and loading.condition (the StrainLaw of strain control moves the mean strain by
 * signed increments, so unloading is the same law). The applied strain is a function of the
 * strain travelled, s = rate * t; the run ends when the last cycle is back at the top. Curve
 * points go by the strain travelled. Runs on the host loop (no device law).
 */
#include "core/protocol.hpp"
#include "core/protocols/triangle_wave.hpp"
#include "stz/loading/strain_law.hpp"

namespace stz {

class Cyclic final : public LoadingProtocol {
 public:
  Cyclic(const Params& params, const ElasticMedium& medium, const StageStart& start);

  /// loading.strain_step / rate, or less if the wave turns first: a step never crosses a turning
  /// point (the stress path of a step is then a straight line: the bounded rule's assumption).
  double step_time(double step_start) const override;
  void advance(double time, double dt, double p1_mean, double p3_mean, double& applied,
               Sym2& mean_strain) const override;
  Sym2 after_plastic_change(const Sym2& mean_strain, double applied, double p1_mean, double p3_mean) const override {
    return law_.after_plastic_change(mean_strain, applied, p1_mean, p3_mean);
  }
  /// The wave begins where the stage does (protocol.hpp, start_applied_strain).
  double stage_start_applied(double, const Sym2&) const override { return start_applied_strain(); }

  /// The strain travelled, rate * t (t from the stage's start), counted so that every turning
  /// point is a curve point: each leg holds a whole number of record intervals (at most
  /// loading.record_interval each).
  double schedule_coordinate(double time, double) const override;
  double record_interval() const override { return law_.record_interval; }
  double progress_unit() const override { return law_.strain_step; }
  /// The path travelled over the whole wave.
  double stage_progress(double time, double, const Sym2&) const override {
    return law_.strain_rate * (time - start_.time) / wave_.length();
  }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const override;

 private:
  TriangleWave wave_;  ///< in applied strain, from start_applied_strain()
};

}  // namespace stz
