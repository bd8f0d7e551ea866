#include "core/driver.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/stage_analysis.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/bounds.hpp"
#include "stz/rng.hpp"

namespace stz {

Driver::Driver(const Params& params, Backend& backend)
    : params_(params),
      stage_params_(stz::stage_params(params, 0)),
      backend_temperature_(params.kinetics.temperature),
      pc_(derive_constants(stage_params_)),
      backend_(backend),
      voxel_count_(static_cast<double>(params.grid.n) * params.grid.n) {
  // A debugging mode for tests: every voxel's bound checked against its exact rate at every
  // candidate of the "bounded" rule (O(N^2 M) per candidate).
  const char* check = std::getenv("STZ_CHECK_BOUNDS");
  check_bounds_ = check && std::string(check) == "1";
  validate(params_);
  if (params_.kinetics.rule == ThermalRule::bounded && !backend_.has_bounded_rule())
    throw std::invalid_argument("kinetics.rule = \"bounded\" is not implemented by the " + backend_.name() +
                                " backend: run it with run.backend = \"cpu\" (or choose another kinetics.rule)");
  use_stage(false);
}

void Driver::use_stage(bool carry_softening) {
  stage_params_ = stz::stage_params(params_, st_.stage);
  const double temperature = stage_params_.kinetics.temperature;
  if (temperature != backend_temperature_) {
    if (carry_softening) {
      // Temporary softening decays as exp(-integral of dt / tau(T)): what has decayed at the old
      // temperature stays decayed, and the rest decays from now on with the new tau. Evaluating
      // the old t_last with the new tau instead would undo (cooling) or speed up (heating) the
      // decay of every voxel at once (docs/model.md §6.8).
      const double old_tau = derive_constants(stz::stage_params(params_, st_.stage - 1)).tau;
      State s;
      backend_.download(s, true);
      // Voxels without temporary softening (never transformed, or decayed to exactly 0) keep
      // their t_last: moving it would put every voxel on the CPU backend's list of voxels whose
      // softening still decays (cpu_backend.cpp), and eta_t = 0 makes t_last irrelevant.
      for (std::size_t v = 0; v < s.eta_t.size(); ++v) {
        s.eta_t[v] *= temporary_softening_decay(st_.time - s.t_last[v], old_tau);
        if (s.eta_t[v] != 0.0) s.t_last[v] = st_.time;
      }
      backend_.upload(s);
    }
    backend_.set_temperature(temperature);
    backend_temperature_ = temperature;
  }
  pc_ = derive_constants(stage_params_);
  protocol_ = make_protocol(stage_params_, backend_.medium(), st_.stage_start);
  // A protocol without a device law runs on the host; the device loop knows neither stages nor
  // the end conditions every stage may add (nor the bounded rule's debugging check).
  const LoadingParams& l = stage_params_.loading;
  pass_loop_ = params_.solver.gpu_loop == GpuLoop::device && protocol_->device_law() != nullptr &&
               stage_count(params_) == 1 && l.end_stress >= 1000.0 && l.end_plastic_strain == 0.0 &&
               l.end_events == 0 && !(params_.kinetics.rule == ThermalRule::bounded && check_bounds_);
}

double Driver::p1_mean() const { return st_.p1_sum / voxel_count_; }
double Driver::p3_mean() const { return st_.p3_sum / voxel_count_; }
Sym2 Driver::mean_stress() const { return protocol_->mean_stress(st_.mean_strain, p1_mean(), p3_mean()); }

void Driver::start() {
  st_ = DriverState{};
  res_ = DriverResults{};
  use_stage(false);  // before the state exists: it is drawn at the stage's temperature
  backend_.initialize();
  backend_.full_solve();
  st_.counters.full_solves = 1;
  st_.mean_strain = protocol_->stage_start_strain(st_.mean_strain, p1_mean(), p3_mean());
  st_.applied_strain = loaded_strain();  // 0 under strain control; creep: the elastic strain of the load
  st_.milestones.yield.peak_stress = loaded_stress();
  st_.milestones.yield.peak_strain = loaded_strain();
  st_.next_progress_strain = protocol_->progress_unit();
  record_point();
}

void Driver::restore(const DriverState& state, const DriverResults& results) {
  st_ = state;
  res_ = results;
  use_stage(false);  // the state was carried into this stage's temperature before it was saved
  // Ended at the end of a stage, and more stages follow (appended since): the next one begins as
  // it would have in one uninterrupted run.
  if (st_.finished && !st_.stalled && st_.stage + 1 < stage_count(params_)) {
    st_.finished = false;
    st_.stop_reason.clear();
    begin_next_stage();
  }
  // The bounds themselves came with the backend's state; their sum is derived.
  if (params_.kinetics.rule == ThermalRule::bounded && st_.bounds_valid) bound_sum_ = backend_.bound_sum();
}

void Driver::run() {
  while (step()) {
  }
}

bool Driver::step() {
  if (st_.finished) return false;
  // An avalanche in progress is closed by the next thermal pass on the host (its size is a result);
  // the bounded rule's bounds are first computed (all of them) on the host.
  // (and a pass that must flip a barrier below zero is the driver's own)
  const bool bounds_ready = params_.kinetics.rule != ThermalRule::bounded || (st_.bounds_valid && !st_.bounds_unstable);
  if (pass_loop_ && st_.open_avalanche == 0 && bounds_ready)
    loop_step();
  else
    host_step();
  return !st_.finished;
}

void Driver::host_step() {
  const std::uint64_t before = st_.counters.thermal_events + st_.counters.athermal_flips;
  if (params_.kinetics.rule == ThermalRule::bounded)
    bounded_pass();
  else
    exhaustive_pass();
  ++st_.counters.passes;
  ++loop_stats_.host_passes;
  after_pass(st_.counters.thermal_events + st_.counters.athermal_flips - before);
}

PassScalars Driver::loop_scalars() const {
  PassScalars s;
  s.time = st_.time;
  s.applied_strain = st_.applied_strain;
  s.mean_strain = st_.mean_strain;
  s.p1_sum = st_.p1_sum;
  s.p3_sum = st_.p3_sum;
  s.step_time_used = st_.step_time_used;
  s.passes = st_.counters.passes;
  s.thermal_events = st_.counters.thermal_events;
  s.elastic_steps = st_.counters.elastic_steps;
  s.events_since_full_solve = st_.events_since_full_solve;
  s.stall_events = st_.stall_events;
  s.next_progress_strain = st_.next_progress_strain;
  s.peak_stress = st_.milestones.yield.peak_stress;
  s.peak_strain = st_.milestones.yield.peak_strain;
  s.bounded.bound_sum = bound_sum_;
  s.bounded.bound_horizon = st_.bound_horizon;
  s.bounded.wait_start = st_.wait_start;
  s.bounded.unstable = st_.bounds_unstable;
  s.bounded.candidates_rejected = st_.candidates_rejected;
  s.bounded.bound_refreshes = st_.bound_refreshes;
  return s;
}

void Driver::take_loop_scalars(const PassScalars& s) {
  st_.time = s.time;
  st_.applied_strain = s.applied_strain;
  st_.mean_strain = s.mean_strain;
  st_.p1_sum = s.p1_sum;
  st_.p3_sum = s.p3_sum;
  st_.step_time_used = s.step_time_used;
  st_.counters.passes = s.passes;
  st_.counters.thermal_events = s.thermal_events;
  st_.counters.elastic_steps = s.elastic_steps;
  st_.events_since_full_solve = s.events_since_full_solve;
  st_.stall_events = s.stall_events;
  st_.next_progress_strain = s.next_progress_strain;
  st_.milestones.yield.peak_stress = s.peak_stress;
  st_.milestones.yield.peak_strain = s.peak_strain;
  bound_sum_ = s.bounded.bound_sum;
  st_.bound_horizon = s.bounded.bound_horizon;
  st_.wait_start = s.bounded.wait_start;
  st_.bounds_unstable = s.bounded.unstable;
  st_.candidates_rejected = s.bounded.candidates_rejected;
  st_.bound_refreshes = s.bounded.bound_refreshes;
}

LoopConfig Driver::loop_config() const {
  LoopConfig c;
  c.law = *protocol_->device_law();
  c.rule = params_.kinetics.rule;
  c.clock = params_.kinetics.softening_clock;
  c.seed = params_.seed;
  c.log_prefactor = std::log(pc_.rate_prefactor);
  c.inv_kT = pc_.inv_kT;
  c.bound_shift = bound_shift(pc_.kT);
  c.voxel_count = voxel_count_;
  c.full_solve_interval = static_cast<std::uint64_t>(params_.solver.full_solve_interval);
  c.stall_limit = stall_event_limit(params_);
  // after_pass's test for a curve point, as a threshold on the schedule coordinate.
  const double interval = protocol_->record_interval();
  c.record_at = static_cast<double>(st_.records) * interval - 1e-9 * interval;
  c.fields_at = fields_at_;
  c.offset_reached = st_.milestones.yield.offset_reached;
  c.localization_reached = st_.milestones.localization_reached;
  c.max_passes = static_cast<std::uint32_t>(params_.solver.gpu_loop_chunk);
  return c;
}

void Driver::loop_step() {
  PassScalars s = loop_scalars();
  std::vector<LoopEvent> events;
  const LoopOutcome out = backend_.run_passes(s, loop_config(), params_.record_events ? &events : nullptr);
  take_loop_scalars(s);
  for (const LoopEvent& e : events) res_.events.push_back({e.time, e.voxel, e.mode, e.barrier, Branch::thermal});
  ++loop_stats_.stretches;
  loop_stats_.loop_passes += out.passes;
  ++loop_stats_.stops[static_cast<std::uint32_t>(out.stop) & 3u];
  switch (out.stop) {
    case LoopStop::chunk: return;
    case LoopStop::unstable: {
      // The bounded rule: a watched barrier is below zero; the driver's own pass flips it.
      if (params_.kinetics.rule == ThermalRule::bounded) {
        host_step();
        return;
      }
      // The backend holds that pass's barriers (Backend::run_passes): its athermal pass follows
      // as in the driver's own loop, without computing the barriers again.
      const std::uint64_t before = st_.counters.athermal_flips;
      athermal_branch(false);
      ++st_.counters.passes;
      ++loop_stats_.host_passes;
      after_pass(st_.counters.athermal_flips - before);
      return;
    }
    case LoopStop::host:
      // What the driver's loop does after such a pass that close_loop_pass left to the host
      // (the bounded rule: the bounds after the full solve, as in bounded_pass).
      full_solve_if_due();
      if (out.bounds_pending) update_bounds(false);
      after_pass(out.last_transformations);
      return;
    case LoopStop::error: break;
  }
  throw std::logic_error("the " + backend_.name() + " backend's device loop could not select a thermal event at pass " +
                         std::to_string(st_.counters.passes) + " (a bug: run with solver.gpu_loop = \"host\")");
}

void Driver::exhaustive_pass() {
  const RateSummary rates = backend_.compute_barriers_and_rates(st_.time, mean_stress());
  if (rates.any_unstable)
    athermal_branch(false);
  else
    thermal_branch(rates);
}

void Driver::update_bounds(bool all) {
  // The segment: from now to the end of the current loading step, the mean stress moving
  // linearly (strain control is linear in time between events).
  const double remaining = protocol_->step_time(st_.time - st_.step_time_used) - st_.step_time_used;
  double applied = st_.applied_strain;
  Sym2 strain_end = st_.mean_strain;
  protocol_->advance(st_.time, remaining, p1_mean(), p3_mean(), applied, strain_end);
  const Sym2 mean_end = protocol_->mean_stress(strain_end, p1_mean(), p3_mean());
  const BoundSummary b = backend_.update_bounds(st_.time, mean_stress(), mean_end, all);
  bound_sum_ = b.bound_sum;
  st_.bound_refreshes += b.refreshed;
  if (all) ++st_.full_bound_refreshes;
  st_.bounds_valid = true;
  st_.bounds_unstable = b.any_unstable;
  // No watched barrier can reach zero before the end of the step: no horizon inside it.
  st_.bound_horizon = bound_horizon_of(st_.time, b.unstable_fraction, remaining);
}

void Driver::bounded_pass() {
  if (!st_.bounds_valid) update_bounds(true);
  if (st_.bounds_unstable) {
    // An athermal pass as under the exhaustive rules (the same flips, then a full solve), its
    // unstable voxels found through the bounds; then the bounds of what changed.
    athermal_branch(true);
    update_bounds(false);
    return;
  }
  close_avalanche();
  // The next candidate, or the next stop: the end of the step, or the time a watched barrier
  // could reach zero (the scalar side is stz/kmc_loop.hpp's, shared with the device loop).
  const BoundedPlan plan = plan_bounded_pass(
      bound_sum_, st_.bound_horizon, st_.time, protocol_->step_time(st_.time - st_.step_time_used), st_.step_time_used,
      params_.seed, st_.counters.passes, std::log(pc_.rate_prefactor), bound_shift(pc_.kT), pc_.inv_kT);
  if (!plan.candidate) {
    // No candidate before the end of the step (or before a watched barrier could reach zero):
    // the loading moves on, and the bounds are checked for the next segment.
    advance(plan.dt);
    st_.wait_start = st_.time;
    ++st_.counters.elastic_steps;
    st_.step_time_used =
        plan.step_end || st_.step_time_used + plan.dt >= plan.step_time ? 0.0 : st_.step_time_used + plan.dt;
    update_bounds(false);
    return;
  }
  advance(plan.dt);
  st_.step_time_used += plan.dt;
  const Sym2 mean_now = mean_stress();
  double applied = st_.applied_strain;
  Sym2 strain_end = st_.mean_strain;
  protocol_->advance(st_.time, protocol_->step_time(st_.time - st_.step_time_used) - st_.step_time_used, p1_mean(),
                     p3_mean(), applied, strain_end);
  const Sym2 mean_end = protocol_->mean_stress(strain_end, p1_mean(), p3_mean());
  if (check_bounds_) backend_.check_bounds(st_.time, mean_now);
  const std::uint32_t voxel = backend_.select_bounded_voxel(plan.u_voxel);
  const BoundedCandidate c =
      backend_.bounded_candidate(voxel, plan.u_accept, plan.u_mode, st_.time, mean_now, mean_end);
  bound_sum_ = c.bound_sum;
  if (!c.accepted) {
    ++st_.candidates_rejected;
    ++st_.bound_refreshes;  // the rejected voxel's bound, computed again
    return;
  }
  // Dated at the start of its waiting interval (the published convention) or now.
  thermal_event(c.event, params_.kinetics.softening_clock == SofteningClock::pass ? st_.wait_start : st_.time);
  st_.wait_start = st_.time;
  update_bounds(false);
}

void Driver::thermal_event(const Event& e, double dated) {
  if (params_.record_events) res_.events.push_back({st_.time, e.voxel, e.mode, e.barrier, Branch::thermal});
  apply_plastic(backend_.transform(e, dated));
  ++st_.counters.thermal_events;
  ++st_.events_since_full_solve;
  full_solve_if_due();
}

void Driver::full_solve_if_due() {
  if (st_.events_since_full_solve < static_cast<std::uint64_t>(params_.solver.full_solve_interval)) return;
  backend_.full_solve();
  ++st_.counters.full_solves;
  st_.events_since_full_solve = 0;
}

void Driver::athermal_branch(bool through_bounds) {
  std::vector<Event> flipped;
  std::vector<Event>* record = params_.record_events ? &flipped : nullptr;
  const PlasticIncrement inc = through_bounds ? backend_.bounded_athermal_pass(st_.time, mean_stress(), record)
                                              : backend_.athermal_pass(st_.time, record);
  for (const Event& e : flipped) res_.events.push_back({st_.time, e.voxel, e.mode, e.barrier, Branch::athermal});
  apply_plastic(inc);
  // The exhaustive rules solve afresh after every athermal pass (the published order); the
  // bounded rule's pass has updated the stress itself, by kernels when few voxels flipped.
  if (!through_bounds) backend_.full_solve();
  if (!through_bounds || inc.full_solve) {
    ++st_.counters.full_solves;
    st_.events_since_full_solve = 0;
  }
  ++st_.counters.athermal_passes;
  st_.counters.athermal_flips += inc.flips;
  st_.open_avalanche += inc.flips;
}

void Driver::close_avalanche() {
  if (st_.open_avalanche == 0) return;
  res_.avalanche_sizes.push_back(st_.open_avalanche);
  ++st_.counters.avalanches;
  st_.open_avalanche = 0;
}

void Driver::thermal_branch(const RateSummary& rates) {
  close_avalanche();
  // The decision of every exhaustive rule (stz/kmc_loop.hpp, shared with the device loop).
  const ThermalPlan plan =
      plan_thermal_pass(params_.kinetics.rule, params_.seed, st_.counters.passes, std::log(pc_.rate_prefactor),
                        pc_.inv_kT, rates.min_barrier, rates.shifted_rate_sum,
                        protocol_->step_time(st_.time - st_.step_time_used), st_.step_time_used);
  st_.step_time_used = plan.step_time_used;
  if (!plan.event) {
    ++st_.counters.elastic_steps;
    advance(plan.dt);
    return;
  }
  const Event e = backend_.select_thermal_event(plan.u_select);
  // commit_loop_pass (stz/kmc_loop.hpp) repeats this order for the device loop.
  if (params_.kinetics.softening_clock == SofteningClock::event) {
    // The event happens at the end of its waiting time, and its temporary softening starts then.
    advance(plan.dt);
    thermal_event(e, st_.time);
    return;
  }
  // The published convention: the transformation is dated at the start of the pass (t_last = t),
  // then the clock moves on (docs/model.md §5.3).
  thermal_event(e, st_.time);
  advance(plan.dt);
}

void Driver::apply_plastic(const PlasticIncrement& inc) {
  st_.p1_sum += inc.dp1_sum;
  st_.p3_sum += inc.dp3_sum;
  st_.mean_strain = protocol_->after_plastic_change(st_.mean_strain, st_.applied_strain, p1_mean(), p3_mean());
  st_.applied_strain = protocol_->applied_after_plastic_change(st_.applied_strain, st_.mean_strain);
}

void Driver::advance(double dt) {
  const double before = st_.time;
  st_.time += dt;
  protocol_->advance(before, dt, p1_mean(), p3_mean(), st_.applied_strain, st_.mean_strain);
}

void Driver::after_pass(std::uint64_t transformations) {
  const Sym2 sigma = mean_stress();
  track_milestones(st_.milestones, protocol_->loaded_stress(sigma), loaded_strain(), loaded_plastic_strain(),
                   st_.applied_strain, [this](std::vector<double>& p1, std::vector<double>& p3) {
                     State s;
                     backend_.download(s, false);
                     p1 = std::move(s.p1);
                     p3 = std::move(s.p3);
                   });
  const std::string end = stage_end_reason(sigma);
  if (!end.empty()) {
    close_avalanche();
    record_point();
    res_.stage_end_reasons.push_back(end);
    if (st_.stage + 1 < stage_count(params_)) {
      begin_next_stage();
      return;
    }
    st_.finished = true;
    st_.stop_reason = end;
    return;
  }
  if (check_progress(transformations)) {
    close_avalanche();
    record_point();
    st_.finished = st_.stalled = true;
    return;
  }
  // Tolerance: the coordinate grows in steps, never exactly to k * interval.
  const double interval = protocol_->record_interval();
  if (protocol_->schedule_coordinate(st_.time, st_.applied_strain) >=
      static_cast<double>(st_.records) * interval - 1e-9 * interval)
    record_point();
}

std::string Driver::stage_end_reason(const Sym2& mean_stress) const {
  std::string end = protocol_->end_reason(st_.mean_strain, mean_stress, st_.time);
  if (!end.empty()) return end;
  const LoadingParams& l = stage_params_.loading;
  if (protocol_->loaded_stress(mean_stress) >= l.end_stress) return "loaded stress reached loading.end_stress";
  if (l.end_plastic_strain > 0.0 && loaded_plastic_strain() >= l.end_plastic_strain)
    return "loaded plastic strain reached loading.end_plastic_strain";
  if (l.end_events > 0 &&
      st_.counters.thermal_events + st_.counters.athermal_flips - st_.stage_start.transformations >= l.end_events)
    return "loading.end_events transformations in the stage";
  if (l.end_creep_rate_factor > 0.0 && l.protocol == LoadingProtocolKind::creep) {
    // Tertiary creep, from the curve points (a new one at most every pass): the rate over the
    // last window of strain against the stage's minimum.
    if (res_.curve.size() != creep_ratio_rows_) {
      creep_ratio_rows_ = res_.curve.size();
      std::size_t first = res_.curve.size();
      while (first > 0 && res_.curve[first - 1].stage == st_.stage) --first;
      creep_ratio_ = creep_rate_ratio(res_.curve, first, stage_params_);
    }
    if (creep_ratio_ >= l.end_creep_rate_factor)
      return "tertiary creep: the creep rate exceeds loading.end_creep_rate_factor times its minimum";
  }
  return "";
}

void Driver::begin_next_stage() {
  ++st_.stage;
  StageStart& s = st_.stage_start;
  s.index = st_.stage;
  s.time = st_.time;
  s.applied_strain = st_.applied_strain;
  s.loaded_strain = loaded_strain();
  s.loaded_stress = loaded_stress();
  s.transformations = st_.counters.thermal_events + st_.counters.athermal_flips;
  use_stage(true);
  // The stage's own load (creep: its stress at once), then a fresh loading step and schedule.
  st_.mean_strain = protocol_->stage_start_strain(st_.mean_strain, p1_mean(), p3_mean());
  st_.applied_strain = protocol_->stage_start_applied(st_.applied_strain, st_.mean_strain);
  st_.step_time_used = 0.0;
  st_.bounds_valid = false;  // the bounded rule's bounds follow the stage's stress path
  st_.wait_start = st_.time;
  st_.stall_events = 0;
  st_.next_progress_strain = protocol_->progress_unit();
  record_point();
}

bool Driver::check_progress(std::uint64_t transformations) {
  const double unit = protocol_->progress_unit();
  const double coordinate = protocol_->schedule_coordinate(st_.time, st_.applied_strain);
  if (progress_mark_reached(coordinate, st_.next_progress_strain, unit)) {
    st_.stall_events = 0;
    st_.next_progress_strain = next_progress_mark(coordinate, unit);
    return false;
  }
  st_.stall_events += transformations;
  const std::uint64_t limit = stall_event_limit(params_);
  if (st_.stall_events < limit) return false;
  st_.stop_reason = "stalled: " + std::to_string(st_.stall_events) + " transformations without " + progress_text() +
                    " (limit run.max_stall_events = " + std::to_string(limit) + ")";
  return true;
}

void Driver::record_point() {
  CurvePoint c;
  c.applied_strain = st_.applied_strain;
  c.strain = st_.mean_strain;
  c.stress = mean_stress();
  c.p1_mean = p1_mean();
  c.p3_mean = p3_mean();
  c.time = st_.time;
  c.counters = st_.counters;
  c.stage = st_.stage;
  res_.curve.push_back(c);
  // Next point at the first multiple of the interval beyond the current coordinate
  // (validate() bounds end_strain / record_interval, so the count fits).
  const double interval = protocol_->record_interval();
  const double coordinate = protocol_->schedule_coordinate(st_.time, st_.applied_strain);
  const double next = std::floor(std::max(0.0, coordinate) / interval + 1e-9) + 1.0;
  st_.records = next < 9e18 ? static_cast<std::uint64_t>(next) : std::uint64_t{9000000000000000000ULL};
}

FieldSet Driver::fields() {
  State s;
  backend_.download(s, false);
  return make_fields(s, stage_params_, st_.time, mean_stress());  // eta at the stage's temperature
}

}  // namespace stz
