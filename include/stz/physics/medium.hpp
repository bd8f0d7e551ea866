#pragma once
/** @file
 * @brief The elastic medium of a run, built in this one place from the deck (docs/model.md §3.1)
 * and used by every backend's solver and by the loading. Homogeneous today; a heterogeneous
 * medium would be described here and solved behind the same Backend operations.
 */
#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"

namespace stz {

/// The 2D stiffness of `elastic.medium`: "reference" (nu2 = 2 nu, E* = E) or "plane-strain".
inline ElasticMedium make_medium(const ElasticParams& e) {
  ElasticMedium m = e.medium == Medium::reference ? reference_medium(e.youngs_modulus, e.poisson_ratio)
                                                  : plane_strain_medium(e.youngs_modulus, e.poisson_ratio);
  m.keep_nyquist_corner = e.nyquist == NyquistConvention::published;
  return m;
}

}  // namespace stz
