#pragma once
/** @file
 * @brief Strain-controlled loading (docs/model.md §6): uniaxial tension, compression or simple
 * shear, the lateral mean stresses held at zero, under the "reference" (soft machine) or
 * "exact" condition. Stateless: it maps (applied strain, mean strain, <p>) to new mean strains.
 *
 * "Loaded" quantities are signed so that they grow during loading: tension uses 11,
 * compression -11, shear the engineering shear 2*eps12 and sigma12.
 */
#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"

namespace stz {

class Loading {
 public:
  Loading(const Params& params);

  const ElasticMedium& medium() const { return medium_; }

  /// sigma_bar = C : (eps_bar - <p>).
  Sym2 mean_stress(const Sym2& mean_strain, double p1_mean, double p3_mean) const;

  /// Mean strain after the applied strain grows by d_applied (an elastic increment, <p> fixed).
  Sym2 after_strain_increment(const Sym2& mean_strain, double d_applied, double applied_after,
                              double p1_mean, double p3_mean) const;

  /// Mean strain after <p> changed (plastic events): reference correction or exact re-solve.
  Sym2 after_plastic_change(const Sym2& mean_strain, double applied, double p1_mean,
                            double p3_mean) const;

  double loaded_stress(const Sym2& s) const;
  double loaded_strain(const Sym2& e) const;
  double loaded_plastic_strain(double p1_mean, double p3_mean) const;

 private:
  /// Mean strain that realises `applied` in the loaded component with zero free stresses.
  Sym2 exact_mean_strain(double applied, double p1_mean, double p3_mean) const;
  LoadingMode mode_;
  LoadingCondition condition_;
  ElasticMedium medium_;
};

}  // namespace stz
