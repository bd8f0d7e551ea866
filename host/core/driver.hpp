#pragma once
/** @file
 * @brief The kMC loop (docs/model.md §5), independent of the backend and of the loading.
 *
 * The driver owns time, the applied and mean strain, <p>, the counters, the kMC draws
 * (Philox indexed by the pass number) and the results (curve, avalanches, events). It asks a
 * LoadingProtocol (core/protocol.hpp) how time moves the loading, when a point is recorded and
 * when the run ends, and track_milestones (core/milestones.hpp) for yield and localization.
 * Everything it owns is in DriverState + DriverResults, which together with the backend State
 * is a complete checkpoint.
 */
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include "core/analysis.hpp"
#include "core/milestones.hpp"
#include "core/protocol.hpp"
#include "stz/backend.hpp"

namespace stz {

struct Counters {
  std::uint64_t passes = 0;  ///< barrier passes (each draws at most one u per stream)
  std::uint64_t thermal_events = 0;
  std::uint64_t athermal_passes = 0;
  std::uint64_t athermal_flips = 0;
  std::uint64_t elastic_steps = 0;
  std::uint64_t avalanches = 0;
  std::uint64_t full_solves = 0;
};

/// One row of the stress-strain curve.
struct CurvePoint {
  double applied_strain = 0.0;  ///< applied strain (strain rate x time), loaded sense
  Sym2 strain;                  ///< mean strain eps_bar
  Sym2 stress;                  ///< mean stress sigma_bar, GPa
  double p1_mean = 0.0, p3_mean = 0.0;
  double time = 0.0;  ///< s
  Counters counters;
  std::uint32_t stage = 0;  ///< the stage (0-based; docs/model.md §6.8)
};

enum class Branch : std::uint8_t { thermal = 0, athermal = 1 };

/// One entry of the optional per-event catalogue.
struct EventRecord {
  double time = 0.0;
  std::uint32_t voxel = 0, mode = 0;
  double barrier = 0.0;  ///< Q when chosen, eV
  Branch branch = Branch::thermal;
};

struct DriverState {
  double time = 0.0;
  double applied_strain = 0.0;
  Sym2 mean_strain;
  double p1_sum = 0.0, p3_sum = 0.0;  ///< sums of p over voxels
  double step_time_used = 0.0;        ///< residence-time rule: waiting time spent in this step
  std::uint64_t events_since_full_solve = 0;
  std::uint64_t open_avalanche = 0;  ///< flips of the avalanche in progress (0: none)
  std::uint64_t records = 0;         ///< curve points written
  Counters counters;
  bool finished = false;  ///< the loop has ended (end reached, collapse or stall)
  bool stalled = false;   ///< ended because it made no progress (stall_event_limit)
  std::string stop_reason;
  /// Stall watchdog: transformations since the protocol's schedule coordinate (the applied
  /// strain) last crossed a multiple of its progress unit, and the coordinate of the next one.
  std::uint64_t stall_events = 0;
  double next_progress_strain = 0.0;
  /// Rule "bounded" (docs/model.md §5.6): the backend's rate bounds are valid (false: refresh
  /// all at the next pass), a barrier is below zero (an athermal pass is next), the time before
  /// which no watched barrier can reach zero, the candidates rejected so far, the voxel bounds
  /// refreshed so far and how many of those refreshes were of every voxel at once.
  double wait_start = 0.0;  ///< when the current waiting interval began (last event or stop)
  bool bounds_valid = false;
  bool bounds_unstable = false;
  double bound_horizon = 0.0;
  std::uint64_t candidates_rejected = 0;
  std::uint64_t bound_refreshes = 0;
  std::uint64_t full_bound_refreshes = 0;
  Milestones milestones;  ///< yield and localization reached so far
  /// The stage running (0-based) and where it began (docs/model.md §6.8).
  std::uint32_t stage = 0;
  StageStart stage_start;
};

struct DriverResults {
  std::vector<CurvePoint> curve;
  std::vector<std::uint64_t> avalanche_sizes;
  std::vector<EventRecord> events;
  /// Why each stage that has ended ended, in order (the last: the run's stop_reason).
  std::vector<std::string> stage_end_reasons;
};

/// How the passes of a run were run (solver.gpu_loop = "device"; not checkpointed).
struct LoopStats {
  std::uint64_t stretches = 0;    ///< calls of Backend::run_passes
  std::uint64_t loop_passes = 0;  ///< passes counted inside them
  std::uint64_t host_passes = 0;  ///< passes the driver ran itself
  std::uint64_t stops[4] = {};    ///< stretches ended, by LoopStop (chunk, unstable, host, error)
};

class Driver {
 public:
  Driver(const Params& params, Backend& backend);

  /// Fresh start: draws the catalog and records the first curve point.
  void start();
  /// Continues from a checkpoint: the backend state must already be uploaded. A run that ended
  /// at the end of a stage goes on with the next one when the parameters hold more stages (stages
  /// appended to a finished run: `stzkmc resume --append-stage`).
  void restore(const DriverState& state, const DriverResults& results);

  /// One pass of the loop; returns false once finished.
  bool step();
  /// Steps until finished.
  void run();

  /// The caller takes field snapshots once the loaded strain reaches `loaded_strain` (HUGE_VAL:
  /// none is due): the device loop then hands the pass back (Driver::step returns after it).
  void set_fields_due_at(double loaded_strain) { fields_at_ = loaded_strain; }
  /// True when step() runs stretches of passes through Backend::run_passes (solver.gpu_loop).
  bool uses_pass_loop() const { return pass_loop_; }
  const LoopStats& loop_stats() const { return loop_stats_; }

  const DriverState& state() const { return st_; }
  const DriverResults& results() const { return res_; }
  const Params& params() const { return params_; }
  /// The parameters of the stage running (stage_params: its loading and temperature).
  const Params& stage_params() const { return stage_params_; }
  const LoadingProtocol& protocol() const { return *protocol_; }
  Backend& backend() { return backend_; }

  double p1_mean() const;
  double p3_mean() const;
  Sym2 mean_stress() const;
  double loaded_stress() const { return protocol_->loaded_stress(mean_stress()); }
  double loaded_strain() const { return protocol_->loaded_strain(st_.mean_strain); }
  /// What the stall watchdog counts as progress (the protocol's words).
  std::string progress_text() const { return protocol_->progress_text(); }
  double loaded_plastic_strain() const { return protocol_->loaded_plastic_strain(p1_mean(), p3_mean()); }
  /// How far the running stage has come towards its protocol's end, 0 to 1 (the progress line).
  double stage_progress() const { return protocol_->stage_progress(st_.time, st_.applied_strain, st_.mean_strain); }

  /// Downloads the fields at the current time.
  FieldSet fields();

 private:
  /// One pass of the exhaustive rules (reference, probabilistic, residence-time).
  void exhaustive_pass();
  /// One pass run by the driver itself (every rule).
  void host_step();
  /// A stretch of passes through Backend::run_passes (solver.gpu_loop = "device").
  void loop_step();
  PassScalars loop_scalars() const;
  void take_loop_scalars(const PassScalars& s);
  LoopConfig loop_config() const;
  /// One pass of the "bounded" rule: a candidate (accepted or rejected) or a loading stop.
  void bounded_pass();
  /// The backend's bounds for the rest of the current loading step (all: every voxel).
  void update_bounds(bool all);
  /// Flips the unstable voxels (found through the bounded rule's bounds or a full barrier pass)
  /// and solves the stress afresh.
  void athermal_branch(bool through_bounds);
  void thermal_branch(const RateSummary& rates);
  /// The transformation of a selected thermal event, dated `dated` (its t_last; every rule).
  void thermal_event(const Event& e, double dated);
  /// The periodic full solve (solver.full_solve_interval thermal events since the last one).
  void full_solve_if_due();
  void apply_plastic(const PlasticIncrement& inc);
  void advance(double dt);
  void close_avalanche();
  /// End tests, yield and localization tracking, curve points; `transformations` of this pass.
  void after_pass(std::uint64_t transformations);
  /// Stall watchdog (docs/implementation.md, "Runs that cannot progress"); true when the run must stop.
  bool check_progress(std::uint64_t transformations);
  void record_point();
  /// The end of the stage: its protocol's end test, then the end conditions of every stage.
  std::string stage_end_reason(const Sym2& mean_stress) const;
  /// Builds the stage st_.stage from st_.stage_start: its parameters, temperature and protocol.
  /// `carry_softening`: the stage begins now after the one before at another temperature, whose
  /// decay of temporary softening the state keeps (eta_t and t_last rebased to now).
  void use_stage(bool carry_softening);
  /// Ends the stage that has just reached its end and begins the next one.
  void begin_next_stage();

  Params params_;               ///< the whole deck
  Params stage_params_;         ///< the stage running: stage_params(params_, st_.stage)
  double backend_temperature_;  ///< the temperature the backend runs at
  PhysicsConstants pc_;         ///< of stage_params_
  Backend& backend_;
  std::unique_ptr<LoadingProtocol> protocol_;
  double voxel_count_;
  DriverState st_;
  DriverResults res_;
  double bound_sum_ = 0.0;  ///< rule "bounded": sum of the backend's bounds (derived state)
  /// loading.end_creep_rate_factor: the creep rate ratio of the curve as it was at this many rows
  /// (derived from the curve, so not checkpointed).
  mutable std::size_t creep_ratio_rows_ = 0;
  mutable double creep_ratio_ = 0.0;
  bool check_bounds_ = false;  ///< STZ_CHECK_BOUNDS=1: every bound checked at every pass (tests)
  bool pass_loop_ = false;     ///< solver.gpu_loop = "device" and an exhaustive rule on a device law
  double fields_at_ = HUGE_VAL;
  LoopStats loop_stats_;
};

}  // namespace stz
