#pragma once
/** @file
 * @brief Units and physical constants (docs/model.md §1).
 * Length nm, stress GPa, energy eV, time s.
 */
#include "stz/hd.hpp"

namespace stz::units {

/// 1 GPa * nm^3 expressed in eV (docs/model.md §1; 1e-18 J / 1.60217733e-19 J/eV).
constexpr double gpa_nm3_in_ev = 6.241506;
/// Boltzmann constant in J/K, the value the published model uses.
constexpr double boltzmann_j_per_k = 1.380658e-23;
/// Elementary charge in C (J per eV), the value the published model uses.
constexpr double joule_per_ev = 1.60217733e-19;

/// kT in eV at temperature T (K); 0.0258522 eV at 300 K.
STZ_HD_INLINE double thermal_energy_ev(double temperature_k) {
  return boltzmann_j_per_k * temperature_k / joule_per_ev;
}

}  // namespace stz::units
