#pragma once
/** @file
 * @brief What the protocols that apply a load at t = 0 and hold it (creep, relaxation;
 * docs/model.md §6.5-6.6) share: time as the schedule, curve points spaced logarithmically in it,
 * and the end at loading.end_time.
 */
#include <cmath>
#include <string>

namespace stz {

/// Curve points per decade of t / loading.time_step.
constexpr double held_load_points_per_decade = 20.0;

/// The schedule coordinate of a held load: log10(1 + t / time_step).
inline double log_time_coordinate(double time, double time_step) { return std::log10(1.0 + time / time_step); }

/// The stall watchdog's unit of progress: a tenth of the curve points' spacing.
constexpr double held_load_progress_decades = 1.0 / (10.0 * held_load_points_per_decade);
inline std::string held_load_progress_text() {
  return "the time advancing by 1/" + std::to_string(static_cast<int>(1.0 / held_load_progress_decades + 0.5)) +
         " of a decade";
}

/// The run has reached loading.end_time (a relative tolerance: time is a sum of steps).
inline bool end_time_reached(double time, double end_time) { return time >= end_time * (1.0 - 1e-12); }

}  // namespace stz
