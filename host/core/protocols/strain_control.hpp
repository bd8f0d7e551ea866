#pragma once
/** @file
 * @brief Strain control at a constant rate (docs/model.md §6): uniaxial tension, compression or
 * simple shear, the lateral mean stresses held at zero, under the "reference" (soft machine) or
 * "exact" condition. The run ends when the loaded mean strain reaches loading.end_strain or the
 * loaded stress falls below loading.stop_stress.
 *
 * "Loaded" quantities are signed so that they grow during loading: tension uses 11,
 * compression -11, shear the engineering shear 2*eps12 and sigma12.
 */
#include "core/protocol.hpp"

namespace stz {

class StrainControl final : public LoadingProtocol {
 public:
  StrainControl(const Params& params, const ElasticMedium& medium);

  double step_time() const override { return strain_step_ / strain_rate_; }
  void advance(double dt, double p1_mean, double p3_mean, double& applied, Sym2& mean_strain) const override;
  Sym2 after_plastic_change(const Sym2& mean_strain, double applied, double p1_mean, double p3_mean) const override;

  double loaded_stress(const Sym2& s) const override;
  double loaded_strain(const Sym2& e) const override;
  double loaded_plastic_strain(double p1_mean, double p3_mean) const override;

  double schedule_coordinate(double, double applied) const override { return applied; }
  double record_interval() const override { return record_interval_; }
  double progress_unit() const override { return strain_step_; }
  std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress) const override;

  /// Mean strain after the applied strain grows by d_applied (an elastic increment, <p> fixed).
  Sym2 after_strain_increment(const Sym2& mean_strain, double d_applied, double applied_after, double p1_mean,
                              double p3_mean) const;

 private:
  /// Mean strain that realises `applied` in the loaded component with zero free stresses.
  Sym2 exact_mean_strain(double applied, double p1_mean, double p3_mean) const;
  LoadingMode mode_;
  LoadingCondition condition_;
  double strain_rate_, strain_step_, end_strain_, record_interval_, stop_stress_;
};

}  // namespace stz
