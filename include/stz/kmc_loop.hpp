#pragma once
/** @file
 * @brief The scalar side of one pass of the exhaustive kinetics rules (docs/model.md §5), as
 * plain data and STZ_HD functions: the thermal decision of every rule (used by the driver's own
 * loop) and the pass-by-pass bookkeeping of the device-resident loop (solver.gpu_loop =
 * "device", docs/cuda.md "Device-resident loop"), which the CUDA backend runs on the GPU and
 * every other backend through Backend::run_passes' default on the host.
 *
 * The driver (host/core/driver.cpp) owns the run; a device loop runs a stretch of passes that
 * need nothing from it and stops, leaving the scalars exactly as the driver's own loop would
 * have left them, as soon as a pass needs the host: an unstable pass (athermal), a full solve,
 * a curve point, a milestone, a field snapshot, the end, the stall watchdog.
 */
#include <cmath>
#include <cstdint>

#include "stz/hd.hpp"
#include "stz/loading/strain_law.hpp"
#include "stz/params.hpp"
#include "stz/rng.hpp"
#include "stz/tensor.hpp"

namespace stz {

/// Plastic strain at which the 0.2 % offset yield stress is taken (docs/model.md §7).
constexpr double yield_offset = 0.002;
/// Plastic strain at which extreme sites and the SLI are evaluated.
constexpr double localization_level = 0.02;

/// The peak of the loaded stress so far (tracked after every pass).
STZ_HD_INLINE void update_peak(double& peak_stress, double& peak_strain, double stress, double strain) {
  if (stress > peak_stress) {
    peak_stress = stress;
    peak_strain = strain;
  }
}

/// Stall watchdog: the schedule coordinate has reached the next progress mark (tolerance: the
/// coordinate grows in steps, never exactly to a multiple of the unit).
STZ_HD_INLINE bool progress_mark_reached(double coordinate, double next_mark, double unit) {
  return coordinate >= next_mark - 1e-9 * unit;
}
/// The next progress mark: the first multiple of the unit beyond the coordinate.
STZ_HD_INLINE double next_progress_mark(double coordinate, double unit) {
  return (std::floor(coordinate / unit + 1e-9) + 1.0) * unit;
}

/// The thermal decision of one stable pass (rules reference, probabilistic, residence-time).
struct ThermalPlan {
  bool event = false;
  double dt = 0.0;              ///< time the pass advances
  double step_time_used = 0.0;  ///< residence-time rule: waiting time spent in the step afterwards
  double u_select = 0.0;        ///< the selection draw (event only)
};

/**
 * @brief The decision of docs/model.md §5.3 from a stable pass: total rate R = prefactor
 * exp(-Q_min/kT) S, t_res = 1/R; `draw` is the pass number (the Philox index of its draws).
 * `log_prefactor` = log(nu0 V'), computed once by the caller.
 */
STZ_HD_INLINE ThermalPlan plan_thermal_pass(ThermalRule rule, std::uint64_t seed, std::uint64_t draw,
                                            double log_prefactor, double inv_kT, double min_barrier,
                                            double shifted_rate_sum, double step_dt, double step_time_used) {
  const double log_rate = log_prefactor - min_barrier * inv_kT + std::log(shifted_rate_sum);
  const double t_res = std::exp(-log_rate);
  ThermalPlan p;
  p.step_time_used = step_time_used;
  switch (rule) {
    case ThermalRule::reference:
      p.event = t_res < step_dt;
      p.dt = p.event ? t_res : step_dt;
      break;
    case ThermalRule::probabilistic: {
      // The event is drawn for this strain step (the chance of at least one within it), so it
      // happens inside the step: the clock moves by t_res when that is shorter (as the published
      // prose has it), by the step otherwise, never further (docs/model.md §5.3).
      const double u = rng::kmc_uniform(seed, rng::event_acceptance, draw);
      p.event = u < -std::expm1(-step_dt / t_res);
      p.dt = p.event && t_res < step_dt ? t_res : step_dt;
      break;
    }
    case ThermalRule::residence_time: {
      const double wait = -std::log(rng::kmc_uniform_open0(seed, rng::waiting_time, draw)) * t_res;
      const double remaining = step_dt - step_time_used;
      p.event = wait < remaining;
      p.dt = p.event ? wait : remaining;
      p.step_time_used = p.event ? step_time_used + wait : 0.0;
      break;
    }
    case ThermalRule::bounded: break;  // the bounded rule has a pass of its own (never planned here)
  }
  if (p.event) p.u_select = rng::kmc_uniform(seed, rng::event_selection, draw);
  return p;
}

// ---- The device-resident loop ------------------------------------------------------------------

/// The bounded rule's scalars (docs/model.md §5.6; DriverState's fields of the same names).
struct BoundedScalars {
  double bound_sum = 0.0;      ///< sum of the backend's voxel bounds (derived state)
  double bound_horizon = 0.0;  ///< when a watched barrier could reach zero (infinity: not this step)
  double wait_start = 0.0;     ///< start of the current waiting interval
  bool unstable = false;       ///< a watched barrier is below zero: an athermal pass is due
  std::uint64_t candidates_rejected = 0, bound_refreshes = 0;
};

/// The driver's scalars a pass of the device loop changes (a part of DriverState).
struct PassScalars {
  double time = 0.0;
  double applied_strain = 0.0;
  Sym2 mean_strain;
  double p1_sum = 0.0, p3_sum = 0.0;
  double step_time_used = 0.0;
  std::uint64_t passes = 0, thermal_events = 0, elastic_steps = 0;
  std::uint64_t events_since_full_solve = 0;
  std::uint64_t stall_events = 0;
  double next_progress_strain = 0.0;
  double peak_stress = 0.0, peak_strain = 0.0;
  BoundedScalars bounded;  ///< rule "bounded" only
};

/// What a stretch of passes needs to know, fixed for the stretch.
struct LoopConfig {
  StrainLaw law;  ///< the loading (LoadingProtocol::device_law)
  ThermalRule rule = ThermalRule::reference;
  SofteningClock clock = SofteningClock::pass;
  std::uint64_t seed = 0;
  double log_prefactor = 0.0, inv_kT = 0.0;
  double bound_shift = 0.0;  ///< rule "bounded": bound_shift(kT), the bounds' reference barrier (eV)
  double voxel_count = 1.0;
  std::uint64_t full_solve_interval = 1;
  std::uint64_t stall_limit = 0;
  double record_at = 0.0;       ///< a curve point is due once the applied strain reaches this
  double fields_at = HUGE_VAL;  ///< the caller wants the fields once the loaded strain reaches this
  bool offset_reached = false;  ///< the 0.2 % offset yield has been recorded
  bool localization_reached = false;
  std::uint32_t max_passes = 1;  ///< passes in this stretch at most
};

/// Why a stretch of passes stopped.
enum class LoopStop : std::uint32_t {
  chunk = 0,     ///< max_passes done, each complete
  unstable = 1,  ///< the next pass found Q < 0: not counted; the host runs it (athermal)
  host = 2,      ///< the last pass is counted but the host completes it (full solve, after_pass)
  error = 3,     ///< the device could not select an event (a bug): the host throws
};

struct LoopOutcome {
  LoopStop stop = LoopStop::chunk;
  std::uint32_t passes = 0;                ///< passes counted in this stretch
  std::uint32_t last_transformations = 0;  ///< of the last pass (LoopStop::host)
  /// Rule "bounded", LoopStop::host: the last pass's event made a full solve due, which the
  /// driver does before the bounds are computed again (its own order): the host does both.
  bool bounds_pending = false;
};

/// One thermal event of the stretch, for run.record_events.
struct LoopEvent {
  double time = 0.0;
  std::uint32_t voxel = 0, mode = 0;
  double barrier = 0.0;
};

STZ_HD_INLINE Sym2 loop_mean_stress(const PassScalars& s, const LoopConfig& c) {
  return c.law.mean_stress(s.mean_strain, s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count);
}

STZ_HD_INLINE ThermalPlan plan_loop_pass(const PassScalars& s, const LoopConfig& c, double min_barrier,
                                         double shifted_rate_sum) {
  return plan_thermal_pass(c.rule, c.seed, s.passes, c.log_prefactor, c.inv_kT, min_barrier, shifted_rate_sum,
                           c.law.step_time(), s.step_time_used);
}

/// The time the pass's transformation is dated (its t_last): the start of the pass under the
/// published clock, the end of its waiting time under softening_clock = "event".
STZ_HD_INLINE double event_date(const PassScalars& s, const LoopConfig& c, const ThermalPlan& p) {
  return c.clock == SofteningClock::event ? s.time + p.dt : s.time;
}

STZ_HD_INLINE void loop_advance(PassScalars& s, const LoopConfig& c, double dt) {
  s.time += dt;
  c.law.advance(dt, s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count, s.applied_strain, s.mean_strain);
}

/**
 * @brief The scalars after a planned pass whose transformation (if any) changed the summed
 * eigenstrain by (da, db): Driver::thermal_branch and thermal_event, step for step and in the
 * same order (the full solve they may do changes no scalar), then the pass counted.
 */
STZ_HD_INLINE void commit_loop_pass(PassScalars& s, const LoopConfig& c, const ThermalPlan& p, double da, double db) {
  s.step_time_used = p.step_time_used;
  if (!p.event) {
    ++s.elastic_steps;
    loop_advance(s, c, p.dt);
  } else {
    if (c.clock == SofteningClock::event) loop_advance(s, c, p.dt);
    s.p1_sum += da;
    s.p3_sum += db;
    s.mean_strain =
        c.law.after_plastic_change(s.mean_strain, s.applied_strain, s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count);
    ++s.thermal_events;
    ++s.events_since_full_solve;
    if (c.clock == SofteningClock::pass) loop_advance(s, c, p.dt);
  }
  ++s.passes;
}

// ---- The bounded rule's pass (Driver::bounded_pass, step for step) -----------------------------

/// The bounded rule's decision for one pass: the next candidate, or the loading to the horizon.
struct BoundedPlan {
  bool candidate = false;  ///< a candidate comes before the horizon
  bool step_end = false;   ///< the horizon is the end of the loading step (not a watched barrier's)
  double dt = 0.0;         ///< the wait before the candidate, or the horizon
  double step_time = 0.0;  ///< the loading step's length
  double u_voxel = 0.0, u_accept = 0.0, u_mode = 0.0;  ///< the candidate's draws
};

/// When the watched barrier could reach zero, from the bounds' unstable fraction of the segment
/// [time, time + remaining] (1: not within it).
STZ_HD_INLINE double bound_horizon_of(double time, double unstable_fraction, double remaining) {
  return unstable_fraction < 1.0 ? time + unstable_fraction * remaining : HUGE_VAL;
}

/**
 * @brief Candidates arrive at the total bound rate R = prefactor exp(-shift/kT) sum (thinning);
 * the next one, unless the horizon comes first: the end of the loading step, or a hair past the
 * time a watched barrier could reach zero (so that the stop sees it below zero, or sees that
 * softening decay kept it up). `draw` = the pass number; `log_prefactor` = log(nu0 V').
 */
STZ_HD_INLINE BoundedPlan plan_bounded_pass(double bound_sum, double bound_horizon, double time, double step_time,
                                            double step_time_used, std::uint64_t seed, std::uint64_t draw,
                                            double log_prefactor, double bound_shift, double inv_kT) {
  BoundedPlan p;
  p.step_time = step_time;
  const double remaining = step_time - step_time_used;
  p.step_end = !(bound_horizon - time < remaining);
  // (A hair the clock can resolve: a stage that begins late reads large times.)
  const double gap = bound_horizon - time > 0.0 ? bound_horizon - time : 0.0;
  const double hair = 1e-12 * step_time > clock_resolution(time) ? 1e-12 * step_time : clock_resolution(time);
  const double horizon = p.step_end ? remaining : gap + hair;
  double wait = HUGE_VAL;
  if (bound_sum > 0.0) {
    const double log_rate = log_prefactor - bound_shift * inv_kT + std::log(bound_sum);
    wait = -std::log(rng::kmc_uniform_open0(seed, rng::bounded_wait, draw)) * std::exp(-log_rate);
  }
  p.candidate = wait < horizon;
  p.dt = p.candidate ? wait : horizon;
  if (p.candidate) {
    p.u_voxel = rng::kmc_uniform(seed, rng::bounded_voxel, draw);
    p.u_accept = rng::kmc_uniform(seed, rng::bounded_accept, draw);
    p.u_mode = rng::kmc_uniform(seed, rng::bounded_mode, draw);
  }
  return p;
}

STZ_HD_INLINE BoundedPlan plan_loop_bounded_pass(const PassScalars& s, const LoopConfig& c) {
  return plan_bounded_pass(s.bounded.bound_sum, s.bounded.bound_horizon, s.time, c.law.step_time(), s.step_time_used,
                           c.seed, s.passes, c.log_prefactor, c.bound_shift, c.inv_kT);
}

/// No candidate before the horizon: the loading moves on to it (the bounds are checked next).
STZ_HD_INLINE void commit_bounded_stop(PassScalars& s, const LoopConfig& c, const BoundedPlan& p) {
  loop_advance(s, c, p.dt);
  s.bounded.wait_start = s.time;
  ++s.elastic_steps;
  s.step_time_used = p.step_end || s.step_time_used + p.dt >= p.step_time ? 0.0 : s.step_time_used + p.dt;
}

/// A candidate: the clock and the loading move to it.
STZ_HD_INLINE void commit_bounded_wait(PassScalars& s, const LoopConfig& c, double wait) {
  loop_advance(s, c, wait);
  s.step_time_used += wait;
}

/// The mean stress at the end of the current loading step: the end of the bounds' segment.
STZ_HD_INLINE Sym2 loop_segment_end_stress(const PassScalars& s, const LoopConfig& c) {
  double applied = s.applied_strain;
  Sym2 strain_end = s.mean_strain;
  c.law.advance(c.law.step_time() - s.step_time_used, s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count, applied,
                strain_end);
  return c.law.mean_stress(strain_end, s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count);
}

/// The date of an accepted candidate's transformation: the start of its waiting interval under
/// the published clock, now under softening_clock = "event".
STZ_HD_INLINE double bounded_event_date(const PassScalars& s, const LoopConfig& c) {
  return c.clock == SofteningClock::pass ? s.bounded.wait_start : s.time;
}

/// An accepted candidate whose transformation changed the summed eigenstrain by (da, db).
STZ_HD_INLINE void commit_bounded_event(PassScalars& s, const LoopConfig& c, double da, double db) {
  s.p1_sum += da;
  s.p3_sum += db;
  s.mean_strain =
      c.law.after_plastic_change(s.mean_strain, s.applied_strain, s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count);
  ++s.thermal_events;
  ++s.events_since_full_solve;
  s.bounded.wait_start = s.time;
}

/// A rejected candidate: its voxel's bound was computed again.
STZ_HD_INLINE void commit_bounded_rejection(PassScalars& s) {
  ++s.bounded.candidates_rejected;
  ++s.bounded.bound_refreshes;
}

/// The bounds computed again (Backend::update_bounds' summary) at the scalars' time.
STZ_HD_INLINE void take_bound_update(PassScalars& s, const LoopConfig& c, double bound_sum, std::uint64_t refreshed,
                                     bool any_unstable, double unstable_fraction) {
  s.bounded.bound_sum = bound_sum;
  s.bounded.bound_refreshes += refreshed;
  s.bounded.unstable = any_unstable;
  s.bounded.bound_horizon = bound_horizon_of(s.time, unstable_fraction, c.law.step_time() - s.step_time_used);
}

/**
 * @brief After a committed pass: LoopStop::host when the driver's after_pass (or a full solve)
 * has anything to do beyond following the peak stress and the stall watchdog; otherwise does
 * those two exactly as after_pass would and returns LoopStop::chunk ("go on").
 */
STZ_HD_INLINE LoopStop close_loop_pass(PassScalars& s, const LoopConfig& c, std::uint32_t transformations) {
  if (s.events_since_full_solve >= c.full_solve_interval) return LoopStop::host;
  const Sym2 sigma = loop_mean_stress(s, c);
  const double stress = c.law.loaded_stress(sigma);
  const double strain = c.law.loaded_strain(s.mean_strain);
  const double plastic = c.law.loaded_plastic_strain(s.p1_sum / c.voxel_count, s.p3_sum / c.voxel_count);
  if (!c.offset_reached && plastic >= yield_offset) return LoopStop::host;
  if (!c.localization_reached && plastic >= localization_level) return LoopStop::host;
  if (c.law.end_code(s.mean_strain, sigma) != StrainEnd::none) return LoopStop::host;
  if (strain >= c.fields_at) return LoopStop::host;
  const double unit = c.law.strain_step;
  const bool progressed = progress_mark_reached(s.applied_strain, s.next_progress_strain, unit);
  if (!progressed && s.stall_events + transformations >= c.stall_limit) return LoopStop::host;
  if (s.applied_strain >= c.record_at) return LoopStop::host;
  update_peak(s.peak_stress, s.peak_strain, stress, strain);
  if (progressed) {
    s.stall_events = 0;
    s.next_progress_strain = next_progress_mark(s.applied_strain, unit);
  } else {
    s.stall_events += transformations;
  }
  return LoopStop::chunk;
}

}  // namespace stz
