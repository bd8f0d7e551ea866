#pragma once
/** @file
 * @brief The milestones of a run tracked after every pass (docs/model.md §7): the peak stress,
 * the 0.2 % offset yield stress, and the localization statistics (extreme sites, SLI) when the
 * loaded plastic strain first reaches 0.02. Protocol-independent: they are stated in the
 * protocol's loaded stress, strain and plastic strain.
 */
#include <functional>

#include "core/analysis.hpp"
#include "stz/kmc_loop.hpp"

namespace stz {

// yield_offset and localization_level are in stz/kmc_loop.hpp (the device loop stops at them).

/// What a run has reached so far (a part of the driver's checkpointed state).
struct Milestones {
  YieldStress yield;  ///< peak tracked at every pass; the offset when crossed
  bool localization_reached = false;
  double localization_applied_strain = 0.0;
  LocalizationStats localization;  ///< at plastic strain localization_level
};

/**
 * @brief Updates the milestones after a pass at loaded `stress`, `strain` and `plastic` strain.
 * `eigenstrain` is called (once per run) for the (p1, p3) fields when localization is reached.
 */
void track_milestones(Milestones& m, double stress, double strain, double plastic, double applied_strain,
                      const std::function<void(std::vector<double>& p1, std::vector<double>& p3)>& eigenstrain);

}  // namespace stz
