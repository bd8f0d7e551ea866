// Staged runs (Params::stages, a deck's [[stage]] tables; docs/model.md §6.8; issue 16): one
// stage is today's run bit for bit; a staged run equals the run continued stage by stage from
// its state (what `stzkmc resume --append-stage` does); elastic unloading and reloading have the
// modulus of the loading condition; a cold stage has no thermal event; the end conditions every
// stage may add end it where they say; the per-stage analysis reads the curve right.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "core/stage_analysis.hpp"
#include "stz/loading/strain_law.hpp"
#include "test_support.hpp"

using namespace stz;
using test::cpu_backend;

namespace {

LoadingStage stage_of(const Params& p) { return {p.loading, p.kinetics.temperature}; }

LoadingStage strain_rate_stage(const Params& p, double rate, double end_strain) {
  LoadingStage s = stage_of(p);
  s.loading.strain_rate = rate;
  s.loading.end_strain = end_strain;
  return s;
}

struct Outcome {
  DriverState state;
  DriverResults results;
  State fields;
};

Outcome run_whole(const Params& p) {
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  Outcome o{d.state(), d.results(), {}};
  b->download(o.fields, true);
  return o;
}

/// The first stage alone, then each further stage appended to the finished run and continued
/// from its state in a fresh backend and driver (as `stzkmc resume --append-stage` does).
Outcome run_stage_by_stage(const Params& p) {
  Params first = p;
  first.stages.resize(1);
  Outcome o = run_whole(first);
  for (std::size_t k = 2; k <= p.stages.size(); ++k) {
    Params q = p;
    q.stages.resize(k);
    auto b = cpu_backend(q);
    b->initialize();
    b->upload(o.fields);
    Driver d(q, *b);
    d.restore(o.state, o.results);
    d.run();
    o = {d.state(), d.results(), {}};
    b->download(o.fields, true);
  }
  return o;
}

void check_same_curve(const std::vector<CurvePoint>& a, const std::vector<CurvePoint>& b, bool same_stage = true) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("curve row " << i);
    CHECK(a[i].applied_strain == b[i].applied_strain);
    CHECK(a[i].strain.xx == b[i].strain.xx);
    CHECK(a[i].strain.yy == b[i].strain.yy);
    CHECK(a[i].strain.xy == b[i].strain.xy);
    CHECK(a[i].stress.xx == b[i].stress.xx);
    CHECK(a[i].stress.xy == b[i].stress.xy);
    CHECK(a[i].p1_mean == b[i].p1_mean);
    CHECK(a[i].p3_mean == b[i].p3_mean);
    CHECK(a[i].time == b[i].time);
    CHECK(a[i].counters.passes == b[i].counters.passes);
    CHECK(a[i].counters.thermal_events == b[i].counters.thermal_events);
    CHECK(a[i].counters.athermal_flips == b[i].counters.athermal_flips);
    if (same_stage) CHECK(a[i].stage == b[i].stage);
  }
}

void check_same_run(const Outcome& a, const Outcome& b) {
  check_same_curve(a.results.curve, b.results.curve);
  CHECK(a.results.avalanche_sizes == b.results.avalanche_sizes);
  REQUIRE(a.results.events.size() == b.results.events.size());
  for (std::size_t i = 0; i < a.results.events.size(); ++i) {
    CHECK(a.results.events[i].time == b.results.events[i].time);
    CHECK(a.results.events[i].voxel == b.results.events[i].voxel);
    CHECK(a.results.events[i].mode == b.results.events[i].mode);
  }
  CHECK(a.results.stage_end_reasons == b.results.stage_end_reasons);
  CHECK(a.state.stop_reason == b.state.stop_reason);
  CHECK(a.state.time == b.state.time);
  CHECK(a.state.p1_sum == b.state.p1_sum);
  CHECK(a.state.p3_sum == b.state.p3_sum);
  CHECK(a.fields.eta_p == b.fields.eta_p);
  CHECK(a.fields.t_last == b.fields.t_last);
}

/// Load, unload, hold (relaxation, warmer), creep, cycle: every protocol as a later stage.
Params five_stage_params(ThermalRule rule) {
  Params p = test::small_params(32, 11);
  p.record_events = true;
  p.kinetics.rule = rule;
  if (rule == ThermalRule::residence_time) p.kinetics.softening_clock = SofteningClock::event;
  p.stages.push_back(strain_rate_stage(p, 1e-4, 0.035));
  LoadingStage unload = strain_rate_stage(p, -2e-4, 0.0);
  unload.loading.stop_stress = 1.0;
  p.stages.push_back(unload);
  LoadingStage hold = stage_of(p);
  hold.loading.protocol = LoadingProtocolKind::relaxation;
  hold.loading.end_time = 300.0;
  hold.temperature = 330.0;
  p.stages.push_back(hold);
  LoadingStage creep = stage_of(p);
  creep.loading.protocol = LoadingProtocolKind::creep;
  creep.loading.creep_stress = 0.6;
  creep.loading.end_time = 400.0;
  creep.loading.end_strain = 1.0;
  p.stages.push_back(creep);
  {
    LoadingStage cycle = stage_of(p);
    cycle.loading.protocol = LoadingProtocolKind::cyclic;
    cycle.loading.cyclic_mean = 0.02;
    cycle.loading.cyclic_amplitude = 0.01;
    cycle.loading.cycles = 1;
    p.stages.push_back(cycle);
    LoadingStage stress = cycle;  // stress cycles from the stress the strain cycle ended at
    stress.loading.cyclic_control = CyclicControl::stress;
    stress.loading.cyclic_mean = 0.0;
    stress.loading.cyclic_amplitude = 0.5;
    stress.loading.end_strain = 1.0;
    p.stages.push_back(stress);
  }
  return p;
}

}  // namespace

TEST_CASE("One [[stage]] equal to [loading] is the run without stages, bit for bit", "[unit]") {
  Params p = test::small_params(32, 5);
  p.record_events = true;
  p.loading.end_strain = 0.045;
  const Outcome plain = run_whole(p);
  Params staged = p;
  staged.stages.push_back(stage_of(p));
  const Outcome one = run_whole(staged);
  check_same_run(plain, one);
  CHECK(one.results.stage_end_reasons == std::vector<std::string>{"end strain reached"});
}

TEST_CASE("A staged run equals the run continued stage by stage from its state", "[unit]") {
  const ThermalRule rule = GENERATE(ThermalRule::reference, ThermalRule::residence_time, ThermalRule::bounded);
  INFO("kinetics.rule = " << to_string(rule));
  const Params p = five_stage_params(rule);
  const Outcome whole = run_whole(p);
  INFO("stop: " << whole.state.stop_reason << "; stage " << whole.state.stage);
  REQUIRE(whole.results.stage_end_reasons.size() == p.stages.size());
  CHECK(whole.state.stage + 1 == p.stages.size());
  // Every stage did something and ended by its own condition.
  CHECK(whole.results.stage_end_reasons[0] == "end strain reached");
  CHECK(whole.results.stage_end_reasons[1] == "loaded stress fell below loading.stop_stress");
  CHECK(whole.results.stage_end_reasons[2] == "end time reached");
  CHECK(whole.results.stage_end_reasons[3] == "end time reached");
  CHECK(whole.results.stage_end_reasons[4] == "cycles completed");
  CHECK(whole.results.stage_end_reasons[5] == "cycles completed");
  const Outcome stepwise = run_stage_by_stage(p);
  check_same_run(whole, stepwise);
}

TEST_CASE("Elastic unloading and reloading stages have the modulus of the loading condition", "[unit]") {
  // A cold stage (50 K: no thermal event in its time) after loading at 300 K: the stress follows
  // the strain elastically, sigma = modulus (strain - plastic strain), on the way down and up.
  const LoadingMode mode = GENERATE(LoadingMode::tension, LoadingMode::shear);
  const LoadingCondition condition = GENERATE(LoadingCondition::reference, LoadingCondition::exact);
  Params p = test::small_params(32, 3);
  p.loading.mode = mode;
  p.loading.condition = condition;
  const double top = mode == LoadingMode::shear ? 0.06 : 0.03;
  p.stages.push_back(strain_rate_stage(p, 1e-4, top));
  LoadingStage down = strain_rate_stage(p, -1e-4, 0.5 * top);
  down.temperature = 50.0;
  p.stages.push_back(down);
  LoadingStage up = strain_rate_stage(p, 1e-4, top);
  up.temperature = 50.0;
  p.stages.push_back(up);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  const ElasticMedium m = b->medium();
  const double modulus = mode == LoadingMode::shear ? m.mu : m.e_star;  // sigma12 = mu gamma; sigma11 = E* eps11
  INFO("mode " << to_string(mode) << ", condition " << to_string(condition) << ", modulus " << modulus << " GPa");
  const std::vector<StageAnalysis> stages = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(stages.size() == 3);
  CHECK(stages[0].transformations > 0);  // the loading stage was plastic
  for (int k : {1, 2}) {
    INFO("stage " << k + 1);
    CHECK(stages[k].transformations == 0);
    CHECK(stages[k].plastic_strain_change == 0.0);
    CHECK(stages[k].initial_slope == Approx(modulus).epsilon(1e-9));
    CHECK(stages[k].end_reason == "end strain reached" + std::string(k == 1 ? " (unloading)" : ""));
  }
  CHECK(stages[1].end_strain == Approx(0.5 * top).margin(p.loading.strain_step));
  // Back at the top, the stress is what it was: the unloading-reloading loop of an elastic
  // stage is closed.
  CHECK(stages[2].end_stress - stages[0].end_stress ==
        Approx(modulus * (stages[2].end_strain - stages[0].end_strain)).margin(1e-9));
}

TEST_CASE("The end conditions of any stage: stress, plastic strain, transformations", "[unit]") {
  Params p = test::small_params(32, 9);
  LoadingStage by_stress = strain_rate_stage(p, 1e-4, 0.2);
  by_stress.loading.end_stress = 1.5;
  p.stages.push_back(by_stress);
  LoadingStage by_plastic = strain_rate_stage(p, 1e-4, 0.2);
  by_plastic.loading.end_plastic_strain = 0.01;
  p.stages.push_back(by_plastic);
  LoadingStage by_events = strain_rate_stage(p, 1e-4, 0.3);
  by_events.loading.end_events = 200;
  p.stages.push_back(by_events);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  const auto& reasons = d.results().stage_end_reasons;
  REQUIRE(reasons.size() == 3);
  CHECK(reasons[0] == "loaded stress reached loading.end_stress");
  CHECK(reasons[1] == "loaded plastic strain reached loading.end_plastic_strain");
  CHECK(reasons[2] == "loading.end_events transformations in the stage");
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, reasons);
  REQUIRE(s.size() == 3);
  // Each ends at the first pass that reaches its condition: the point before it had not.
  const auto& curve = d.results().curve;
  CHECK(s[0].end_stress >= 1.5);
  CHECK(curve[s[0].first_row + s[0].rows - 2].stress.xx < 1.5);
  CHECK(curve[s[1].first_row + s[1].rows - 1].p1_mean >= 0.01);
  CHECK(s[2].transformations >= 200);
  std::uint64_t largest = 0;
  for (std::uint64_t a : d.results().avalanche_sizes) largest = std::max(largest, a);
  CHECK(s[2].transformations <= 200 + largest);
}

TEST_CASE("A stage's temperature: relaxation at 340 K relaxes more than at 280 K from the same state", "[unit]") {
  auto relaxed = [](double temperature) {
    Params p = test::small_params(32, 4);
    p.stages.push_back(strain_rate_stage(p, 1e-4, 0.03));
    LoadingStage hold = stage_of(p);
    hold.loading.protocol = LoadingProtocolKind::relaxation;
    hold.loading.end_time = 1000.0;
    hold.temperature = temperature;
    p.stages.push_back(hold);
    auto b = cpu_backend(p);
    Driver d(p, *b);
    d.start();
    d.run();
    const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
    REQUIRE(s.size() == 2);
    CHECK(s[1].temperature == temperature);
    // The strain is held: the loaded strain does not move while the stress relaxes.
    CHECK(s[1].end_strain == Approx(s[1].start_strain).epsilon(1e-12));
    return s[1];
  };
  const StageAnalysis cold = relaxed(280.0), warm = relaxed(340.0);
  SECTION("loading.end_relaxed_fraction ends a relaxation stage at that relative stress drop") {
    Params p = test::small_params(32, 4);
    p.stages.push_back(strain_rate_stage(p, 1e-4, 0.03));
    LoadingStage hold = stage_of(p);
    hold.loading.protocol = LoadingProtocolKind::relaxation;
    hold.loading.end_time = 1e6;
    hold.loading.end_relaxed_fraction = 0.5 * warm.relaxed_fraction;
    hold.temperature = 340.0;
    p.stages.push_back(hold);
    auto b = cpu_backend(p);
    Driver d(p, *b);
    d.start();
    d.run();
    const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
    REQUIRE(s.size() == 2);
    CHECK(s[1].end_reason == "relaxed by loading.end_relaxed_fraction");
    CHECK(s[1].relaxed_fraction >= hold.loading.end_relaxed_fraction);
    CHECK(s[1].end_time - s[1].start_time < 1000.0);  // the same relaxation as above, stopped half way
  }
  INFO("relaxed " << cold.relaxed_fraction << " at 280 K, " << warm.relaxed_fraction << " at 340 K");
  CHECK(cold.start_stress == warm.start_stress);  // the same loading stage before
  CHECK(warm.transformations > cold.transformations);
  CHECK(warm.relaxed_fraction > cold.relaxed_fraction);
  CHECK(warm.stress_per_decade < 0.0);
}

TEST_CASE("The per-stage analysis of a cyclic stage: a loop per cycle, zero area when elastic", "[unit]") {
  Params p = test::small_params(32, 6);
  LoadingStage cycle = stage_of(p);
  cycle.loading.protocol = LoadingProtocolKind::cyclic;
  cycle.loading.cyclic_amplitude = 0.004;
  cycle.loading.cyclic_mean = 0.0;
  cycle.loading.cycles = 3;
  cycle.temperature = 50.0;  // no thermal event: the loops are elastic
  p.stages.push_back(cycle);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 1);
  REQUIRE(s[0].cycles.size() == 3);
  for (const CycleRecord& c : s[0].cycles) {
    CHECK(c.loop_area == Approx(0.0).margin(1e-12));
    CHECK(c.plastic_strain == 0.0);
    CHECK(c.peak_stress == Approx(b->medium().e_star * 0.004).epsilon(1e-9));
    CHECK(c.valley_stress == Approx(-b->medium().e_star * 0.004).epsilon(1e-9));
  }
}

TEST_CASE("Stress cycles: elastic loops are closed lines at the held stress; ratcheting under a mean stress",
          "[unit]") {
  const LoadingMode mode = GENERATE(LoadingMode::tension, LoadingMode::shear);
  INFO("mode " << to_string(mode));
  Params p = test::small_params(32, 8);
  p.loading.mode = mode;
  LoadingStage cycle = stage_of(p);
  cycle.loading.protocol = LoadingProtocolKind::cyclic;
  cycle.loading.cyclic_control = CyclicControl::stress;
  cycle.loading.cyclic_mean = 0.2;
  cycle.loading.cyclic_amplitude = 0.5;
  cycle.loading.cycles = 2;
  cycle.temperature = 50.0;  // no thermal event: elastic
  p.stages.push_back(cycle);
  LoadingStage warm = cycle;  // then, in tension, the same cycles about a high mean stress at 300 K
  warm.temperature = 300.0;
  warm.loading.cyclic_mean = 1.6;  // top 1.9 GPa: active, below runaway (at 300 K the margin is narrow)
  warm.loading.cyclic_amplitude = 0.3;
  warm.loading.cycles = 3;
  warm.loading.end_strain = 1.0;
  if (mode == LoadingMode::tension) p.stages.push_back(warm);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  const ElasticMedium m = b->medium();
  const double modulus = mode == LoadingMode::shear ? m.mu : m.e_star;
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == p.stages.size());
  CHECK(s[0].end_reason == "cycles completed");
  CHECK(s[0].transformations == 0);
  REQUIRE(s[0].cycles.size() == 2);
  for (const CycleRecord& c : s[0].cycles) {
    CHECK(c.peak_stress == Approx(0.7).epsilon(1e-9));
    CHECK(c.valley_stress == Approx(-0.3).epsilon(1e-9));
    CHECK(c.loop_area == Approx(0.0).margin(1e-12));
  }
  // At every point of the elastic stage the loaded strain is the held stress over the modulus.
  const auto& curve = d.results().curve;
  for (std::uint64_t i = s[0].first_row; i < s[0].first_row + s[0].rows; ++i) {
    const StrainLaw law = make_strain_law(p, m);
    CHECK(law.loaded_strain(curve[i].strain) == Approx(law.loaded_stress(curve[i].stress) / modulus).margin(1e-12));
    CHECK(law.loaded_stress(curve[i].stress) == Approx(curve[i].applied_strain * modulus).margin(1e-12));
  }
  // About a high mean stress the glass ratchets: plastic strain accumulates, cycle after cycle,
  // while the stress follows the wave exactly.
  if (mode != LoadingMode::tension) return;
  CHECK(s[1].end_reason == "cycles completed");
  REQUIRE(s[1].cycles.size() == 3);
  for (const CycleRecord& c : s[1].cycles) CHECK(c.peak_stress == Approx(warm.loading.cyclic_mean + 0.3).epsilon(1e-9));
  CHECK(s[1].plastic_strain_change > 0.0);
  CHECK(s[1].transformations > 0);
}

TEST_CASE("The bounded rule under strain and stress cycles: every bound holds at every candidate", "[unit]") {
  // Each leg of a wave is cut into whole loading steps, so the stress path of a step is straight
  // and the rate bounds (computed for the path to the step's end) stay bounds. The driver checks
  // every voxel's bound against its exact rate at every candidate and throws on a violation.
  setenv("STZ_CHECK_BOUNDS", "1", 1);
  Params p = test::small_params(16, 12);
  p.kinetics.rule = ThermalRule::bounded;
  p.kinetics.softening_clock = SofteningClock::event;
  LoadingStage strain = stage_of(p);
  strain.loading.protocol = LoadingProtocolKind::cyclic;
  strain.loading.cyclic_amplitude = 0.0333;  // not a whole number of strain steps
  strain.loading.cyclic_mean = 0.004;
  strain.loading.cycles = 2;
  p.stages.push_back(strain);
  LoadingStage stress = strain;
  stress.loading.cyclic_control = CyclicControl::stress;
  stress.loading.cyclic_amplitude = 0.5;
  stress.loading.cyclic_mean = 0.0;
  stress.loading.end_strain = 1.0;
  p.stages.push_back(stress);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  CHECK_NOTHROW(d.run());
  unsetenv("STZ_CHECK_BOUNDS");
  CHECK(d.results().stage_end_reasons == std::vector<std::string>{"cycles completed", "cycles completed"});
  CHECK(d.state().counters.thermal_events > 50);
  // Every turning point is a curve point: the recorded extremes are the wave's.
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 2);
  REQUIRE(s[1].cycles.size() == 2);
  for (const CycleRecord& c : s[1].cycles) {
    CHECK(c.peak_stress == Approx(0.5).epsilon(1e-9));
    CHECK(c.valley_stress == Approx(-0.5).epsilon(1e-9));
  }
  const auto& curve = d.results().curve;
  double top = -1.0;
  for (std::uint64_t i = s[0].first_row; i < s[0].first_row + s[0].rows; ++i)
    top = std::max(top, curve[i].applied_strain);
  CHECK(top == Approx(0.0373).epsilon(1e-12));
}

TEST_CASE("Creep ends at tertiary creep: the rate exceeds loading.end_creep_rate_factor times its minimum", "[unit]") {
  Params p = test::small_params(32, 5);
  p.kinetics.rule = ThermalRule::residence_time;
  p.loading.protocol = LoadingProtocolKind::creep;
  p.loading.creep_stress = 1.9;
  p.loading.end_time = 1e7;
  p.loading.time_step = 1.0;
  p.loading.end_strain = 1.0;  // far: the rate must end it
  p.loading.end_creep_rate_factor = 10.0;
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  CHECK(d.state().stop_reason ==
        "tertiary creep: the creep rate exceeds loading.end_creep_rate_factor times its minimum");
  const auto& curve = d.results().curve;
  // The test reads the curve points: the newest one (before the point that ends the stage) put
  // the ratio above the factor, the one before it had not.
  REQUIRE(curve.size() > 3);
  const std::vector<CurvePoint> at_end(curve.begin(), curve.end() - 1), before(curve.begin(), curve.end() - 2);
  CHECK(creep_rate_ratio(at_end, 0, p) >= 10.0);
  CHECK(creep_rate_ratio(before, 0, p) < 10.0);
  const std::vector<StageAnalysis> s = analyze_stages(curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 1);
  CHECK(s[0].end_strain < 0.5);  // long before the end strain
  CHECK(s[0].min_creep_rate > 0.0);
}

TEST_CASE("Stages that begin late: a clock of 1e8 s still reaches every turning point and end time", "[unit]") {
  // Each stage counts its time as a difference of clock readings near 1e8 s, which resolve only
  // ~1.5e-8 s: a step to a turning point or to end_time that the clock cannot make must count as
  // made (protocol.hpp, clock_resolution), else the run repeats steps of zero length forever.
  Params p = test::small_params(16, 3);
  p.kinetics.temperature = 50.0;  // no thermal event: the loading alone
  LoadingStage creep = stage_of(p);
  creep.loading.protocol = LoadingProtocolKind::creep;
  creep.loading.creep_stress = 0.3;
  creep.loading.end_time = 1e8;
  creep.loading.time_step = 1.1e7;
  creep.loading.end_strain = 1.0;
  p.stages.push_back(creep);
  LoadingStage hold = stage_of(p);
  hold.loading.protocol = LoadingProtocolKind::relaxation;
  hold.loading.end_time = 0.3;
  hold.loading.time_step = 0.07;
  p.stages.push_back(hold);
  LoadingStage strain_cycles = stage_of(p);
  strain_cycles.loading.protocol = LoadingProtocolKind::cyclic;
  strain_cycles.loading.cyclic_mean = 0.0;
  strain_cycles.loading.cyclic_amplitude = 0.00333;
  strain_cycles.loading.cycles = 2;
  p.stages.push_back(strain_cycles);
  LoadingStage stress_cycles = strain_cycles;
  stress_cycles.loading.cyclic_control = CyclicControl::stress;
  stress_cycles.loading.cyclic_amplitude = 0.3;
  stress_cycles.loading.end_strain = 1.0;
  p.stages.push_back(stress_cycles);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  CHECK(d.results().stage_end_reasons ==
        std::vector<std::string>{"end time reached", "end time reached", "cycles completed", "cycles completed"});
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 4);
  CHECK(s[1].end_time - s[1].start_time == Approx(0.3).margin(1e-6));
  REQUIRE(s[2].cycles.size() == 2);
  REQUIRE(s[3].cycles.size() == 2);
  for (const CycleRecord& c : s[3].cycles) {
    CHECK(c.peak_stress == Approx(0.3).epsilon(1e-6));
    CHECK(c.valley_stress == Approx(-0.3).epsilon(1e-6));
  }
}

TEST_CASE("After stress cycles, strain control under the exact condition goes on from the loaded strain", "[unit]") {
  // Stress cycles write sigma / M in the applied-strain column, which lags the loaded strain by
  // the plastic strain; under the "exact" condition the applied strain is the loaded strain, so a
  // strain-controlled stage must begin from the loaded strain (protocol.hpp, start_applied_strain)
  // or the strain (and the stress) would jump.
  Params p = test::small_params(32, 8);
  p.loading.condition = LoadingCondition::exact;
  LoadingStage ratchet = stage_of(p);  // about a high mean stress: plastic strain accumulates
  ratchet.loading.protocol = LoadingProtocolKind::cyclic;
  ratchet.loading.cyclic_control = CyclicControl::stress;
  ratchet.loading.cyclic_mean = 1.75;
  ratchet.loading.cyclic_amplitude = 0.3;
  ratchet.loading.cycles = 3;
  ratchet.loading.end_strain = 1.0;
  p.stages.push_back(ratchet);
  LoadingStage cycle = stage_of(p);  // strain cycles about zero: the first leg descends to the top
  cycle.loading.protocol = LoadingProtocolKind::cyclic;
  cycle.loading.cyclic_mean = 0.0;
  cycle.loading.cyclic_amplitude = 0.004;
  cycle.loading.cycles = 1;
  cycle.temperature = 50.0;  // elastic
  p.stages.push_back(cycle);
  LoadingStage reload = strain_rate_stage(p, 1e-4, 0.012);
  reload.temperature = 50.0;
  p.stages.push_back(reload);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  CHECK(d.results().stage_end_reasons ==
        std::vector<std::string>{"cycles completed", "cycles completed", "end strain reached"});
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 3);
  REQUIRE(s[0].plastic_strain_change > 2e-4);  // a jump of the strain by it would show
  const auto& curve = d.results().curve;
  const StrainLaw law = make_strain_law(p, b->medium());
  const double interval = p.loading.record_interval;
  for (std::size_t k = 1; k < 3; ++k) {
    INFO("stage " << k);
    const std::uint64_t first = s[k].first_row;
    CHECK(curve[first].applied_strain == law.loaded_strain(curve[first].strain));
    // The first curve interval: the loaded strain moves by at most one record interval (the
    // strain-rate stage: by exactly one), not by the plastic strain more.
    const double moved = law.loaded_strain(curve[first + 1].strain) - law.loaded_strain(curve[first].strain);
    CHECK(std::abs(moved) <= interval * (1.0 + 1e-9));
    if (k == 2) CHECK(moved == Approx(interval).epsilon(1e-9));
  }
  // The elastic strain cycle, begun above its top, is one whole cycle: a closed loop at the wave's
  // extremes.
  REQUIRE(s[1].cycles.size() == 1);
  const double plastic = law.loaded_plastic_strain(d.state().p1_sum, d.state().p3_sum) / (32.0 * 32.0);
  CHECK(s[1].cycles[0].loop_area == Approx(0.0).margin(1e-12));
  CHECK(s[1].cycles[0].peak_stress == Approx(b->medium().e_star * (0.004 - plastic)).epsilon(1e-9));
}

TEST_CASE("A relaxation that begins unloaded has no relaxed fraction, and end_relaxed_fraction does not end it",
          "[unit]") {
  Params p = test::small_params(16, 2);
  p.loading.protocol = LoadingProtocolKind::relaxation;
  p.loading.relaxation_strain = 0.0;
  p.loading.stop_stress = -1.0;
  p.loading.end_time = 50.0;
  p.loading.end_relaxed_fraction = 0.5;
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  CHECK(d.state().stop_reason == "end time reached");
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 1);
  CHECK(std::isnan(s[0].relaxed_fraction));
}

TEST_CASE("A temperature change rebases only the voxels that carry temporary softening", "[unit]") {
  // Voxels without temporary softening keep their t_last: moving all of them to the stage's start
  // would put every voxel on the CPU backend's list of voxels whose softening still decays.
  Params p = test::small_params(32, 4);
  // Fast (tau is 0.16 us at 300 K): the transformations near the stage's end still carry
  // softening; before yield, so that the held strain sets off no avalanche.
  p.stages.push_back(strain_rate_stage(p, 1e2, 0.05));
  LoadingStage hold = stage_of(p);
  hold.loading.protocol = LoadingProtocolKind::relaxation;
  hold.loading.end_time = 1.0;
  hold.temperature = 20.0;  // no thermal event in it
  p.stages.push_back(hold);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  const std::vector<StageAnalysis> s = analyze_stages(d.results().curve, p, d.results().stage_end_reasons);
  REQUIRE(s.size() == 2);
  REQUIRE(s[1].transformations == 0);
  State st;
  b->download(st, true);
  std::size_t rebased = 0, softened = 0;
  for (std::size_t v = 0; v < st.t_last.size(); ++v) {
    rebased += st.t_last[v] == s[1].start_time;
    softened += st.eta_t[v] != 0.0;
  }
  INFO(rebased << " voxels rebased, " << softened << " with temporary softening, " << s[0].transformations
               << " transformations before");
  CHECK(rebased > 0);
  CHECK(rebased == softened);
  CHECK(rebased <= s[0].transformations);
}
