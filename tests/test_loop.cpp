// The device-resident loop (solver.gpu_loop = "device", stz/kmc_loop.hpp): stretches of passes
// through Backend::run_passes must give the run the driver's own loop gives. On the host
// backends (cpu, reference) the two are the same arithmetic and must agree bit for bit; on the
// CUDA backend the device evaluates the thermal decision with the GPU's exp/log (and nvcc's FMA
// contraction), so the event sequence must be identical and continuous quantities agree to
// round-off (docs/cuda.md, "Precision and error budget").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/driver.hpp"
#include "stz/kmc_loop.hpp"
#include "test_support.hpp"

using namespace stz;

namespace {

struct LoopRun {
  DriverState st;
  DriverResults res;
  State s;
  LoopStats stats;
  std::vector<std::uint64_t> snapshot_passes;  ///< passes after which a field snapshot was due
};

/// A whole run as the session drives it: field snapshots due at `field_strains` (loaded strain).
LoopRun run_whole(const Params& p, const std::vector<double>& field_strains) {
  auto b = test::make_test_backend(p);
  Driver d(p, *b);
  d.start();
  std::size_t next = 0;
  LoopRun r;
  const auto due = [&] { d.set_fields_due_at(next < field_strains.size() ? field_strains[next] : HUGE_VAL); };
  due();
  while (true) {
    const bool more = d.step();
    while (next < field_strains.size() && d.loaded_strain() >= field_strains[next]) {
      r.snapshot_passes.push_back(d.state().counters.passes);
      ++next;
    }
    due();
    if (!more) break;
  }
  r.st = d.state();
  r.res = d.results();
  r.stats = d.loop_stats();
  b->download(r.s, true);
  return r;
}

bool close(double a, double b, bool exact) {
  if (exact) return a == b;
  return std::abs(a - b) <= 1e-9 * std::max({std::abs(a), std::abs(b), 1e-12});
}

void require_same_run(const LoopRun& host, const LoopRun& loop, bool exact) {
  const Counters& a = host.st.counters;
  const Counters& b = loop.st.counters;
  CHECK(a.passes == b.passes);
  CHECK(a.thermal_events == b.thermal_events);
  CHECK(a.elastic_steps == b.elastic_steps);
  CHECK(a.athermal_passes == b.athermal_passes);
  CHECK(a.athermal_flips == b.athermal_flips);
  CHECK(a.avalanches == b.avalanches);
  CHECK(a.full_solves == b.full_solves);
  CHECK(host.st.stop_reason == loop.st.stop_reason);
  CHECK(host.st.stalled == loop.st.stalled);
  CHECK(host.st.records == loop.st.records);
  CHECK(host.st.stall_events == loop.st.stall_events);
  CHECK(host.st.events_since_full_solve == loop.st.events_since_full_solve);
  CHECK(host.st.candidates_rejected == loop.st.candidates_rejected);
  // (on the GPU the device forms the bounds' segment: a margin check on an ulp may flip)
  if (exact) CHECK(host.st.bound_refreshes == loop.st.bound_refreshes);
  CHECK(host.st.full_bound_refreshes == loop.st.full_bound_refreshes);
  CHECK(host.st.bounds_unstable == loop.st.bounds_unstable);
  CHECK(close(host.st.bound_horizon, loop.st.bound_horizon, exact));
  CHECK(close(host.st.wait_start, loop.st.wait_start, exact));
  CHECK(host.snapshot_passes == loop.snapshot_passes);
  CHECK(host.res.avalanche_sizes == loop.res.avalanche_sizes);
  CHECK(close(host.st.time, loop.st.time, exact));
  CHECK(close(host.st.applied_strain, loop.st.applied_strain, exact));
  CHECK(close(host.st.mean_strain.xx, loop.st.mean_strain.xx, exact));
  CHECK(close(host.st.milestones.yield.peak_stress, loop.st.milestones.yield.peak_stress, exact));
  CHECK(close(host.st.milestones.yield.offset_stress, loop.st.milestones.yield.offset_stress, exact));
  CHECK(host.st.milestones.localization_reached == loop.st.milestones.localization_reached);
  CHECK(close(host.st.milestones.localization.sli, loop.st.milestones.localization.sli, exact));
  REQUIRE(host.res.events.size() == loop.res.events.size());
  for (std::size_t i = 0; i < host.res.events.size(); ++i) {
    INFO("event " << i);
    REQUIRE(host.res.events[i].voxel == loop.res.events[i].voxel);
    REQUIRE(host.res.events[i].mode == loop.res.events[i].mode);
    REQUIRE(host.res.events[i].branch == loop.res.events[i].branch);
    REQUIRE(close(host.res.events[i].time, loop.res.events[i].time, exact));
    REQUIRE(close(host.res.events[i].barrier, loop.res.events[i].barrier, exact));
  }
  REQUIRE(host.res.curve.size() == loop.res.curve.size());
  for (std::size_t i = 0; i < host.res.curve.size(); ++i) {
    INFO("curve point " << i);
    CHECK(close(host.res.curve[i].applied_strain, loop.res.curve[i].applied_strain, exact));
    CHECK(close(host.res.curve[i].stress.xx, loop.res.curve[i].stress.xx, exact));
    CHECK(close(host.res.curve[i].stress.xy, loop.res.curve[i].stress.xy, exact));
    CHECK(close(host.res.curve[i].time, loop.res.curve[i].time, exact));
    CHECK(host.res.curve[i].counters.thermal_events == loop.res.curve[i].counters.thermal_events);
  }
  CHECK(host.s.generation == loop.s.generation);
  if (exact) {
    CHECK(host.s.p1 == loop.s.p1);
    CHECK(host.s.s11 == loop.s.s11);
    CHECK(host.s.t_last == loop.s.t_last);
    CHECK(host.s.sfts_e1 == loop.s.sfts_e1);
  }
}

}  // namespace

TEST_CASE("The device loop runs the driver's own run: events, curve, milestones, snapshots, state", "[backend]") {
  const bool exact = test::backend_name != "cuda";
  const int n = test::backend_name == "reference" ? 16 : 32;
  Params p = test::small_params(n, 31);
  p.record_events = true;
  p.solver.full_solve_interval = 40;  // full solves inside stretches
  p.solver.gpu_loop_chunk = 7;
  std::vector<double> fields{0.01, 0.03};
  std::string profile;
  SECTION("reference rule, tension, published clock") { profile = "reference"; }
  SECTION("residence-time rule, event clock, shear, exact condition") {
    profile = "residence-time";
    p.kinetics.rule = ThermalRule::residence_time;
    p.kinetics.softening_clock = SofteningClock::event;
    p.loading.mode = LoadingMode::shear;
    p.loading.condition = LoadingCondition::exact;
    p.loading.end_strain = 0.08;
  }
  SECTION("probabilistic rule, compression at 1e2/s, weak glass") {
    profile = "probabilistic";
    p.kinetics.rule = ThermalRule::probabilistic;
    p.loading.mode = LoadingMode::compression;
    p.loading.strain_rate = 1e2;
    p.catalog.barrier_mean = 1.8;
    p.solver.gpu_loop_chunk = 3;
  }
  SECTION("bounded rule, tension, published clock") {
    profile = "bounded";
    p.kinetics.rule = ThermalRule::bounded;
    p.catalog.barrier_mean = 1.9;
  }
  SECTION("bounded rule, event clock, shear, exact condition, 1e2/s") {
    profile = "bounded-event";
    p.kinetics.rule = ThermalRule::bounded;
    p.kinetics.softening_clock = SofteningClock::event;
    p.loading.mode = LoadingMode::shear;
    p.loading.condition = LoadingCondition::exact;
    p.loading.strain_rate = 1e2;
    p.loading.end_strain = 0.06;
    p.catalog.barrier_mean = 1.6;
  }
  SECTION("a run the stall watchdog stops") {
    profile = "stall";
    p.catalog.barrier_mean = 1.6;
    p.loading.strain_rate = 1e-7;
    p.max_stall_events = 150;
    fields.clear();
  }
  INFO("profile " << profile << " on the " << test::backend_name << " backend");
  const LoopRun host = run_whole(p, fields);
  p.solver.gpu_loop = GpuLoop::device;
  const LoopRun loop = run_whole(p, fields);
  REQUIRE(host.stats.stretches == 0);
  REQUIRE(loop.stats.stretches > 0);
  // Most passes ran inside stretches; every kind of stop happened.
  CHECK(loop.stats.loop_passes > loop.stats.host_passes);
  CHECK(loop.stats.stops[static_cast<int>(LoopStop::host)] > 0);
  CHECK(loop.stats.stops[static_cast<int>(LoopStop::error)] == 0);
  if (profile != "stall") {
    CHECK(loop.stats.stops[static_cast<int>(LoopStop::chunk)] > 0);
    // (every avalanche begins with a stretch that stops at an unstable pass)
    const bool unstable_stops = loop.stats.stops[static_cast<int>(LoopStop::unstable)] > 0;
    const bool avalanches = loop.st.counters.athermal_passes > 0;
    CHECK((avalanches || test::backend_name == "reference"));
    CHECK(unstable_stops == avalanches);
    CHECK(host.snapshot_passes.size() == fields.size());
  } else {
    CHECK(loop.st.stalled);
  }
  if (p.kinetics.rule == ThermalRule::bounded) CHECK(loop.st.candidates_rejected > 0);
  WARN(profile << ": " << loop.st.counters.passes << " passes, " << loop.st.counters.thermal_events
               << " thermal events, " << loop.st.counters.athermal_passes << " athermal passes, "
               << loop.st.candidates_rejected << " rejected candidates; " << loop.stats.loop_passes << " passes in "
               << loop.stats.stretches << " stretches, " << loop.stats.host_passes << " on the host");
  require_same_run(host, loop, exact);
}

TEST_CASE("The thermal decision of each exhaustive rule against its closed form", "[unit]") {
  const double log_prefactor = std::log(1e13), inv_kT = 1.0 / 0.025852;
  const double q_min = 0.9, s = 3.5, step = 1e-4;
  const double t_res = 1.0 / std::exp(log_prefactor - q_min * inv_kT + std::log(s));
  const std::uint64_t seed = 5;
  for (std::uint64_t draw = 0; draw < 200; ++draw) {
    const ThermalPlan r =
        plan_thermal_pass(ThermalRule::reference, seed, draw, log_prefactor, inv_kT, q_min, s, step, 0);
    CHECK(r.event == (t_res < step));
    CHECK(r.dt == Approx(r.event ? t_res : step).epsilon(1e-12));
    const ThermalPlan pr =
        plan_thermal_pass(ThermalRule::probabilistic, seed, draw, log_prefactor, inv_kT, q_min, s, step, 0);
    CHECK(pr.event == (rng::kmc_uniform(seed, rng::event_acceptance, draw) < 1.0 - std::exp(-step / t_res)));
    const double used = 0.25 * step;
    const ThermalPlan w =
        plan_thermal_pass(ThermalRule::residence_time, seed, draw, log_prefactor, inv_kT, q_min, s, step, used);
    const double wait = -std::log(rng::kmc_uniform_open0(seed, rng::waiting_time, draw)) * t_res;
    CHECK(w.event == (wait < step - used));
    CHECK(w.dt == Approx(w.event ? wait : step - used).epsilon(1e-12));
    CHECK(w.step_time_used == Approx(w.event ? used + wait : 0.0).epsilon(1e-12));
    if (w.event) CHECK(w.u_select == rng::kmc_uniform(seed, rng::event_selection, draw));
  }
}
