#pragma once
/** @file
 * @brief The backend interface: coarse whole-grid operations, never per-voxel virtual calls.
 *
 * A backend owns the catalog, the per-voxel state and the stress fluctuation field. The
 * driver owns time, the mean strain and stress (loading) and the kMC random draws, so it
 * never knows which backend runs. Every backend computes the same physics: the formulas live
 * in include/stz/physics and the random numbers in include/stz/rng.hpp. Backends are created
 * by name in host/backends/factory.hpp, above them; nothing here knows which exist.
 */
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "stz/kmc_loop.hpp"
#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/state.hpp"

namespace stz {

/// Result of one barrier/rate pass over all N^2 M voxel-modes.
struct RateSummary {
  bool any_unstable = false;      ///< some Q < 0: an athermal pass must follow
  double min_barrier = 0.0;       ///< smallest Q, eV
  double shifted_rate_sum = 0.0;  ///< S = sum exp(-(Q - Q_min)/kT); total rate R = prefactor e^(-Q_min/kT) S
};

/// One voxel-mode and its barrier when chosen.
struct Event {
  std::uint32_t voxel = 0;
  std::uint32_t mode = 0;
  double barrier = 0.0;
};

/// Change of the summed eigenstrain by one or more transformations.
struct PlasticIncrement {
  double dp1_sum = 0.0;
  double dp3_sum = 0.0;
  std::uint64_t flips = 0;
  bool full_solve = false;  ///< bounded_athermal_pass: the stress was solved afresh (else by kernels)
};

/// The rate bounds of the "bounded" rule after an update (docs/model.md §5.6).
struct BoundSummary {
  double bound_sum = 0.0;          ///< sum of every voxel's bound, relative to bound_shift(kT)
  bool any_unstable = false;       ///< a barrier is below zero now: an athermal pass must follow
  double unstable_fraction = 2.0;  ///< fraction of the segment after which a watched barrier could
                                   ///< reach zero under the mean-stress drift (>= 1: none)
  std::uint64_t refreshed = 0;     ///< voxels whose bound was recomputed
};

/// A candidate of the "bounded" rule, accepted or not.
struct BoundedCandidate {
  bool accepted = false;
  Event event;             ///< the voxel-mode when accepted
  double bound_sum = 0.0;  ///< the sum of bounds afterwards (a rejected voxel's bound is refreshed)
};

/// Device time of one kind of operation (Backend::device_profile).
struct DeviceOpTime {
  std::string name;
  std::uint64_t calls = 0;
  double seconds = 0.0;
};

struct BackendOptions {
  int threads = 0;  ///< CPU threads (0: OpenMP default)
  int device = 0;   ///< CUDA device ordinal
  /// Time every device operation with CUDA events (`stzkmc bench --profile`); costs a little.
  bool profile_device = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  /// Human-readable description of the hardware (CPU threads, GPU name).
  virtual std::string device_description() const = 0;

  /// Draws the catalog from the seed (rng.hpp layout), zeroes the state and fields.
  virtual void initialize() = 0;

  /**
   * @brief Computes eta(t), Q and the shifted rates of every voxel-mode under the local
   * stress fluctuation + mean_stress. Keeps them for select_thermal_event/athermal_pass.
   */
  virtual RateSummary compute_barriers_and_rates(double time, const Sym2& mean_stress) = 0;

  /// The first voxel-mode whose cumulative shifted rate reaches u * S (u in [0, 1)).
  virtual Event select_thermal_event(double u) = 0;

  /**
   * @brief One athermal pass from the last computed barriers: every voxel whose smallest
   * barrier is below the threshold transforms in its argmin mode (variant simultaneous), or
   * only the voxel with the most negative barrier (variant single). Does not re-solve.
   * Appends the flipped events to `flipped` when not null (voxel order).
   */
  virtual PlasticIncrement athermal_pass(double time, std::vector<Event>* flipped) = 0;

  /**
   * @brief Transforms one voxel-mode at `time` (docs/model.md §5.5) and updates the stress
   * fluctuation with the single-voxel real-space kernel.
   */
  virtual PlasticIncrement transform(const Event& event, double time) = 0;

  /// Recomputes the stress fluctuation from the eigenstrain field by FFT.
  virtual void full_solve() = 0;

  /// The elastic medium its solver solves: the loading takes the mean-stress law from here.
  virtual ElasticMedium medium() const = 0;

  /// Runs on at another temperature (a stage's, docs/model.md §6.8): kT and the relaxation time
  /// of temporary softening change, the state does not; caches derived from them are dropped.
  virtual void set_temperature(double kelvin) = 0;

  // ---- The "bounded" kinetics rule (docs/model.md §5.6, stz/physics/bounds.hpp) ------------------
  // A backend that does not implement it says so here and throws std::logic_error from these.

  virtual bool has_bounded_rule() const { return false; }

  /**
   * @brief Makes every voxel's rate bound valid while the mean stress moves linearly from
   * `mean_now` to `mean_end` (the rest of the current loading step) and the stress fluctuation
   * stays as it is: recomputes the bounds of voxels whose stress left their margin, of voxels
   * transformed since the last update, and of all voxels when `all`. Checks exactly every voxel
   * whose bound allows a barrier below zero.
   */
  virtual BoundSummary update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all);
  /**
   * @brief The athermal pass of the bounded rule, right after update_bounds() reported a barrier
   * below zero: flips exactly what athermal_pass() flips after a full barrier pass (the same
   * variant and threshold), found among the voxels whose bound allows such a barrier. Leaves
   * the stress updated: by single-voxel kernels for up to bounded_kernel_flips flips, by a full
   * solve beyond (full_solve in the result).
   */
  virtual PlasticIncrement bounded_athermal_pass(double time, const Sym2& mean_now, std::vector<Event>* flipped);
  /// The voxel whose cumulative bound first exceeds u * bound_sum (u in [0, 1)).
  virtual std::uint32_t select_bounded_voxel(double u);
  /**
   * @brief The exact rates of `voxel` at `time` under `mean_now`: accepted with probability
   * rate / bound (u_accept), then the mode with probability proportional to its rate (u_mode).
   * A rejected voxel's bound is recomputed (valid until the segment's end, `mean_end`).
   */
  virtual BoundedCandidate bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                             const Sym2& mean_now, const Sym2& mean_end);
  /// The sum of the bounds held in the state (after upload).
  virtual double bound_sum();
  /// Debugging: throws std::logic_error if any voxel's exact rate at `time` exceeds its bound.
  virtual void check_bounds(double time, const Sym2& mean_now);

  // ---- The device-resident loop (solver.gpu_loop = "device"; stz/kmc_loop.hpp) ------------------

  /// True when run_passes runs the rule's passes without the host (the CUDA backend, exhaustive
  /// rules); the default below runs the same sequence through the operations above.
  virtual bool runs_passes_on_device(ThermalRule) const { return false; }
  /**
   * @brief Up to c.max_passes passes from the scalars `s`. Exhaustive rules, each pass: the
   * barrier pass at s.time under loop_mean_stress, the plan (plan_loop_pass), the selection and
   * transformation when it is an event (dated event_date), commit_loop_pass, close_loop_pass.
   * Stops at an unstable pass (not counted; its barriers stay the backend's last barrier pass,
   * so athermal_pass may follow directly) and after a pass close_loop_pass hands to the host.
   * The bounded rule (the bounds valid at the start): Driver::bounded_pass with the plan of
   * plan_loop_bounded_pass; stops before a pass when a watched barrier is below zero
   * (LoopStop::unstable, not counted), and with bounds_pending when an event made a full solve
   * due (the driver solves, then computes the bounds). Appends a LoopEvent per thermal event to
   * `events` when not null. `s` holds the scalars afterwards.
   */
  virtual LoopOutcome run_passes(PassScalars& s, const LoopConfig& c, std::vector<LoopEvent>* events);

  /**
   * @brief Bytes this backend reads and writes in one barrier/rate pass (its memory-traffic
   * model), so `stzkmc bench` can report achieved bandwidth. 0 if unknown.
   */
  virtual double bytes_per_pass() const { return 0.0; }
  /// Measured copy bandwidth of the memory the backend works in, bytes/s (0 if unknown).
  virtual double copy_bandwidth() { return 0.0; }
  /**
   * @brief The least time an exhaustive pass can take per voxel-mode on this device, ns, from
   * the backend's own measurements: the larger of reading 16 bytes (the catalog a pass must
   * touch: e1, e3 as float and A as double) at the measured read bandwidth of a buffer the size
   * of this grid's catalog, and one exponential of the pass's own vector code. 0 if unknown.
   */
  virtual double floor_ns_per_voxel_mode() { return 0.0; }
  /**
   * @brief Device time per operation since the last call, then reset (CUDA events around each
   * launch). Empty unless the backend was made with BackendOptions::profile_device and times a
   * device.
   */
  virtual std::vector<DeviceOpTime> device_profile() { return {}; }

  /// Copies the state to the host (catalog included only if with_catalog).
  virtual void download(State& state, bool with_catalog) = 0;
  /// Replaces the whole state (catalog included).
  virtual void upload(const State& state) = 0;
};

namespace detail {
[[noreturn]] inline void no_bounded_rule(const std::string& backend) {
  throw std::logic_error("kinetics.rule = \"bounded\" is not implemented by the " + backend +
                         " backend (use the cpu or reference backend)");
}
}  // namespace detail

inline BoundSummary Backend::update_bounds(double, const Sym2&, const Sym2&, bool) { detail::no_bounded_rule(name()); }
inline PlasticIncrement Backend::bounded_athermal_pass(double, const Sym2&, std::vector<Event>*) {
  detail::no_bounded_rule(name());
}
inline std::uint32_t Backend::select_bounded_voxel(double) { detail::no_bounded_rule(name()); }
inline BoundedCandidate Backend::bounded_candidate(std::uint32_t, double, double, double, const Sym2&, const Sym2&) {
  detail::no_bounded_rule(name());
}
inline double Backend::bound_sum() { detail::no_bounded_rule(name()); }
inline void Backend::check_bounds(double, const Sym2&) { detail::no_bounded_rule(name()); }

namespace detail {
/// The bounds for the rest of the current loading step (Driver::update_bounds through a device law).
inline void loop_update_bounds(Backend& b, PassScalars& s, const LoopConfig& c) {
  const BoundSummary u = b.update_bounds(s.time, loop_mean_stress(s, c), loop_segment_end_stress(s, c), false);
  take_bound_update(s, c, u.bound_sum, u.refreshed, u.any_unstable, u.unstable_fraction);
}

/// Backend::run_passes under the bounded rule: Driver::bounded_pass through the backend's
/// bounded operations, pass by pass; stops where the driver has work (an athermal pass, a full
/// solve before the bounds, after_pass's).
inline LoopOutcome run_bounded_passes(Backend& b, PassScalars& s, const LoopConfig& c, std::vector<LoopEvent>* events) {
  LoopOutcome out;
  for (std::uint32_t i = 0; i < c.max_passes; ++i) {
    if (s.bounded.unstable) {
      out.stop = LoopStop::unstable;
      return out;
    }
    const BoundedPlan plan = plan_loop_bounded_pass(s, c);
    std::uint32_t transformations = 0;
    if (!plan.candidate) {
      commit_bounded_stop(s, c, plan);
      loop_update_bounds(b, s, c);
    } else {
      commit_bounded_wait(s, c, plan.dt);
      const std::uint32_t voxel = b.select_bounded_voxel(plan.u_voxel);
      const BoundedCandidate cand = b.bounded_candidate(voxel, plan.u_accept, plan.u_mode, s.time,
                                                        loop_mean_stress(s, c), loop_segment_end_stress(s, c));
      s.bounded.bound_sum = cand.bound_sum;
      if (!cand.accepted) {
        commit_bounded_rejection(s);
      } else {
        if (events) events->push_back({s.time, cand.event.voxel, cand.event.mode, cand.event.barrier});
        const PlasticIncrement inc = b.transform(cand.event, bounded_event_date(s, c));
        commit_bounded_event(s, c, inc.dp1_sum, inc.dp3_sum);
        transformations = 1;
        if (s.events_since_full_solve >= c.full_solve_interval) {
          // The driver solves before it computes the bounds again.
          ++s.passes;
          ++out.passes;
          out.last_transformations = 1;
          out.stop = LoopStop::host;
          out.bounds_pending = true;
          return out;
        }
        loop_update_bounds(b, s, c);
      }
    }
    ++s.passes;
    ++out.passes;
    out.last_transformations = transformations;
    if (close_loop_pass(s, c, transformations) == LoopStop::host) {
      out.stop = LoopStop::host;
      return out;
    }
  }
  return out;
}
}  // namespace detail

inline LoopOutcome Backend::run_passes(PassScalars& s, const LoopConfig& c, std::vector<LoopEvent>* events) {
  if (c.rule == ThermalRule::bounded) return detail::run_bounded_passes(*this, s, c, events);
  LoopOutcome out;
  for (std::uint32_t i = 0; i < c.max_passes; ++i) {
    const RateSummary r = compute_barriers_and_rates(s.time, loop_mean_stress(s, c));
    if (r.any_unstable) {
      out.stop = LoopStop::unstable;
      return out;
    }
    const ThermalPlan plan = plan_loop_pass(s, c, r.min_barrier, r.shifted_rate_sum);
    PlasticIncrement inc;
    if (plan.event) {
      const Event e = select_thermal_event(plan.u_select);
      const double dated = event_date(s, c, plan);
      if (events) events->push_back({dated, e.voxel, e.mode, e.barrier});
      inc = transform(e, dated);
    }
    commit_loop_pass(s, c, plan, inc.dp1_sum, inc.dp3_sum);
    ++out.passes;
    out.last_transformations = plan.event ? 1u : 0u;
    if (close_loop_pass(s, c, out.last_transformations) == LoopStop::host) {
      out.stop = LoopStop::host;
      return out;
    }
  }
  return out;
}

}  // namespace stz
