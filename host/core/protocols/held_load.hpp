#pragma once
/** @file
 * @brief The base of the protocols that apply a load at t = 0 and hold it (creep, relaxation;
 * docs/model.md §6.5-6.6): time is the schedule, with curve points spaced logarithmically in it
 * (held_load_points_per_decade per decade of t / loading.time_step); a pass advances at most
 * loading.time_step; the stage ends loading.end_time after it began (or by the derived
 * protocol's own test); time is counted from the stage's start;
 * the loaded quantities are strain control's in loading.mode. Runs on the host loop (no device
 * law).
 */
#include <cmath>
#include <string>

#include "core/protocol.hpp"
#include "stz/loading/strain_law.hpp"

namespace stz {

/// Curve points per decade of t / loading.time_step.
constexpr double held_load_points_per_decade = 20.0;
/// The stall watchdog's unit of progress: a tenth of the curve points' spacing, in decades.
constexpr double held_load_progress_decades = 1.0 / (10.0 * held_load_points_per_decade);

class HeldLoad : public LoadingProtocol {
 public:
  HeldLoad(const Params& params, const ElasticMedium& medium, const StageStart& start)
      : LoadingProtocol(params, medium, start),
        time_step_(params.loading.time_step),
        end_time_(params.loading.end_time) {}

  /// loading.time_step, the last step clipped so that the stage ends at loading.end_time (what
  /// is left below the clock's resolution counts as reached: end_time_reached).
  double step_time(double step_start) const override {
    const double left = end_time_ - (step_start - start_.time);
    return left > clock_resolution(step_start) && left < time_step_ ? left : time_step_;
  }
  /// The time since the stage began over loading.end_time.
  double stage_progress(double time, double, const Sym2&) const override { return (time - start_.time) / end_time_; }

  /// log10(1 + t / time_step), t counted from the stage's start.
  double schedule_coordinate(double time, double) const override {
    return std::log10(1.0 + (time - start_.time) / time_step_);
  }
  double record_interval() const override { return 1.0 / held_load_points_per_decade; }
  double progress_unit() const override { return held_load_progress_decades; }
  std::string progress_text() const override {
    return "the time advancing by 1/" + std::to_string(static_cast<int>(1.0 / held_load_progress_decades + 0.5)) +
           " of a decade";
  }

 protected:
  /// The stage has lasted loading.end_time (a relative tolerance: time is a sum of steps; and
  /// the clock's resolution: a stage that begins late cannot come closer).
  bool end_time_reached(double time) const {
    return time - start_.time >= end_time_ * (1.0 - 1e-12) - clock_resolution(time);
  }

 private:
  double time_step_, end_time_;
};

}  // namespace stz
