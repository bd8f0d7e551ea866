// Creep (loading.protocol = "creep", docs/model.md §6.5; issue 16): the loaded stress applied at
// t = 0 and held. Analytic checks: the instantaneous elastic strain of the load, no strain change
// where no barrier is active, the held stress at every curve point; and a run that creeps to
// the end strain, continued from a copy of its state bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "stz/physics/medium.hpp"
#include "test_support.hpp"

using namespace stz;
using test::cpu_backend;

namespace {

Params creep_params(int n, double stress, LoadingMode mode, double end_time, double time_step) {
  Params p = test::small_params(n, 5);
  p.loading.protocol = LoadingProtocolKind::creep;
  p.loading.mode = mode;
  p.loading.creep_stress = stress;
  p.loading.end_time = end_time;
  p.loading.time_step = time_step;
  p.kinetics.rule = ThermalRule::residence_time;
  return p;
}

}  // namespace

TEST_CASE("Creep far below any activity: the elastic strain of the load, unchanged, while time runs", "[unit]") {
  // 0.3 GPa on a 2.2 eV glass: t_res ~ 1e20 s, no event within 1e4 s. The loaded strain is the
  // elastic response of the held stress: sigma / E* (uniaxial, lateral stress free) in tension and
  // compression, sigma12 / mu (engineering shear) in shear.
  for (const LoadingMode mode : {LoadingMode::tension, LoadingMode::compression, LoadingMode::shear}) {
    Params p = creep_params(16, 0.3, mode, 1e4 + 30.0, 100.0);  // the last step clipped to 30 s
    p.catalog.barrier_mean = 2.2;
    auto b = cpu_backend(p);
    Driver d(p, *b);
    d.start();
    const ElasticMedium m = b->medium();
    const double expected = mode == LoadingMode::shear ? 0.3 / m.mu : 0.3 / m.e_star;
    INFO("mode " << to_string(mode) << ", E* " << m.e_star << " GPa, mu " << m.mu << " GPa");
    CHECK(d.loaded_strain() == Approx(expected).epsilon(1e-12));
    CHECK(d.loaded_stress() == Approx(0.3).epsilon(1e-12));
    d.run();
    const DriverState& st = d.state();
    CHECK(st.stop_reason == "end time reached");
    CHECK(st.time == Approx(1e4 + 30.0).epsilon(1e-12));  // the end time, not the step after it
    CHECK(st.counters.thermal_events == 0);
    CHECK(st.counters.athermal_flips == 0);
    CHECK(st.counters.elastic_steps == 101);  // 1e4 s in steps of 100 s, then 30 s
    REQUIRE(d.results().curve.size() > 25);   // log-spaced: 20 per decade, at most one per 100 s pass
    for (const CurvePoint& c : d.results().curve) {
      const double strain =
          mode == LoadingMode::shear ? 2.0 * c.strain.xy : (mode == LoadingMode::tension ? c.strain.xx : -c.strain.xx);
      CHECK(strain == Approx(expected).epsilon(1e-12));
    }
  }
}

TEST_CASE("Creep at an active stress: the stress is held, the strain grows to the end strain", "[unit]") {
  Params p = creep_params(32, 1.9, LoadingMode::tension, 1e6, 1.0);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  const double elastic = d.loaded_strain();
  d.run();
  const DriverState& st = d.state();
  CHECK(st.stop_reason == "end strain reached (tertiary creep)");
  CHECK(st.counters.thermal_events > 100);
  const auto& curve = d.results().curve;
  REQUIRE(curve.size() > 10);
  double last_time = -1.0, last_strain = 0.0;
  for (const CurvePoint& c : curve) {
    CHECK(c.stress.xx == Approx(1.9).epsilon(1e-12));  // the held stress
    CHECK(std::abs(c.stress.yy) < 1e-12);              // lateral stress free
    CHECK(std::abs(c.stress.xy) < 1e-12);
    CHECK(c.time >= last_time);
    // eps11 = sigma / E* + <p1> (the strain follows the plastic strain).
    CHECK(c.strain.xx == Approx(elastic + c.p1_mean).epsilon(1e-12));
    last_time = c.time;
    last_strain = c.strain.xx;
  }
  CHECK(last_strain >= p.loading.end_strain);
  CHECK(st.time > 0.0);
}

TEST_CASE("A creep run continued from a copy of its state equals the uninterrupted run", "[unit]") {
  Params p = creep_params(32, 1.9, LoadingMode::shear, 1e6, 1.0);
  p.loading.end_strain = 0.04;
  auto a = cpu_backend(p);
  Driver whole(p, *a);
  whole.start();
  whole.run();
  auto b = cpu_backend(p);
  Driver first(p, *b);
  first.start();
  for (int i = 0; i < 500 && first.step(); ++i) {
  }
  State s;
  b->download(s, true);
  auto c = cpu_backend(p);
  Driver second(p, *c);
  c->initialize();
  c->upload(s);
  second.restore(first.state(), first.results());
  second.run();
  CHECK(second.state().counters.thermal_events == whole.state().counters.thermal_events);
  CHECK(second.state().time == whole.state().time);
  CHECK(second.state().p1_sum == whole.state().p1_sum);
  CHECK(second.state().p3_sum == whole.state().p3_sum);
  CHECK(second.results().curve.size() == whole.results().curve.size());
}

// ---- Stress relaxation (loading.protocol = "relaxation", docs/model.md §6.6) -------------------

TEST_CASE("Relaxation far below any activity keeps the elastic stress of the held strain", "[unit]") {
  for (const LoadingMode mode : {LoadingMode::tension, LoadingMode::shear}) {
    Params p = creep_params(16, 0.0, mode, 1e4, 100.0);
    p.loading.protocol = LoadingProtocolKind::relaxation;
    p.loading.relaxation_strain = 0.004;
    p.catalog.barrier_mean = 2.2;
    auto b = cpu_backend(p);
    Driver d(p, *b);
    d.start();
    const ElasticMedium m = b->medium();
    const double expected = mode == LoadingMode::shear ? 0.004 * m.mu : 0.004 * m.e_star;
    INFO("mode " << to_string(mode));
    CHECK(d.loaded_stress() == Approx(expected).epsilon(1e-12));
    d.run();
    CHECK(d.state().stop_reason == "end time reached");
    CHECK(d.state().counters.thermal_events == 0);
    for (const CurvePoint& c : d.results().curve) {
      const double stress = mode == LoadingMode::shear ? c.stress.xy : c.stress.xx;
      CHECK(stress == Approx(expected).epsilon(1e-12));
    }
  }
}

TEST_CASE("Relaxation at a high strain: the strain is held, the stress relaxes as E*(eps0 - <p1>)", "[unit]") {
  Params p = creep_params(32, 0.0, LoadingMode::tension, 3e3, 1.0);
  p.loading.protocol = LoadingProtocolKind::relaxation;
  p.loading.relaxation_strain = 0.035;
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  const double e_star = b->medium().e_star;
  const double initial = d.loaded_stress();
  CHECK(initial == Approx(0.035 * e_star).epsilon(1e-12));
  d.run();
  CHECK(d.state().stop_reason == "end time reached");
  CHECK(d.state().counters.thermal_events > 50);
  for (const CurvePoint& c : d.results().curve) {
    CHECK(c.strain.xx == Approx(0.035).epsilon(1e-12));  // held exactly
    CHECK(std::abs(c.stress.yy) < 1e-12);
    CHECK(c.stress.xx == Approx(e_star * (0.035 - c.p1_mean)).epsilon(1e-9));
  }
  CHECK(d.loaded_stress() < 0.8 * initial);  // it relaxes
}

// ---- Cyclic straining (loading.protocol = "cyclic", docs/model.md §6.7) -------------------------

namespace {
Params cyclic_params(int n, std::uint64_t seed, double amplitude, int cycles) {
  Params p = test::small_params(n, seed);
  p.loading.protocol = LoadingProtocolKind::cyclic;
  p.loading.cyclic_amplitude = amplitude;
  p.loading.cycles = cycles;
  return p;
}

/// The work sigma11 d eps11 (trapezoids) between curve points i - 1 and i.
double work_increment(const std::vector<CurvePoint>& curve, std::size_t i) {
  return 0.5 * (curve[i].stress.xx + curve[i - 1].stress.xx) * (curve[i].strain.xx - curve[i - 1].strain.xx);
}
}  // namespace

TEST_CASE("Cyclic straining below the first activation gives closed loops of zero area", "[unit]") {
  Params p = cyclic_params(16, 3, 0.003, 2);
  p.catalog.barrier_mean = 2.2;
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  CHECK(d.state().stop_reason == "cycles completed");
  CHECK(d.state().counters.thermal_events == 0);
  // The path: up 0.003, then two cycles of 4 x 0.003, at 1e-4/s.
  CHECK(d.state().time == Approx((0.003 + 8 * 0.003) / p.loading.strain_rate).epsilon(1e-9));
  const double e_star = b->medium().e_star;
  double area = 0.0, lowest = 1.0, highest = -1.0;
  const auto& curve = d.results().curve;
  for (std::size_t i = 0; i < curve.size(); ++i) {
    CHECK(curve[i].stress.xx == Approx(e_star * curve[i].applied_strain).margin(1e-12));
    lowest = std::min(lowest, curve[i].applied_strain);
    highest = std::max(highest, curve[i].applied_strain);
    if (i > 0) area += work_increment(curve, i);
  }
  CHECK(highest == Approx(0.003).epsilon(1e-9));
  CHECK(lowest == Approx(-0.003).epsilon(1e-9));
  // From 0 to the top and back to the top twice: the loops enclose nothing; what is left is the
  // first rise, E* 0.003^2 / 2.
  CHECK(area == Approx(0.5 * e_star * 0.003 * 0.003).epsilon(1e-9));
}

TEST_CASE("Cyclic straining: elastic unloading and reloading have the slope E*, the loops open", "[unit]") {
  // Under the reference condition in tension sigma11 = E*(eps11 - <p1>): between curve points
  // without a plastic change the slope is E* exactly, on unloading and on reloading alike.
  const Params p = cyclic_params(32, 2, 0.035, 1);
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  CHECK(d.state().stop_reason == "cycles completed");
  const double e_star = b->medium().e_star;
  const auto& curve = d.results().curve;
  int elastic_down = 0, elastic_up = 0;
  double loop_area = 0.0;  // the cycle from the first top back to the top: the energy dissipated
  bool in_loop = false;
  for (std::size_t i = 1; i < curve.size(); ++i) {
    const CurvePoint &a = curve[i - 1], &c = curve[i];
    if (in_loop) loop_area += work_increment(curve, i);
    if (c.applied_strain < a.applied_strain) in_loop = true;  // the first top is passed
    if (!in_loop && i + 1 < curve.size() && curve[i + 1].applied_strain < c.applied_strain) in_loop = true;
    if (c.p1_mean != a.p1_mean || c.strain.xx == a.strain.xx) continue;
    const double slope = (c.stress.xx - a.stress.xx) / (c.strain.xx - a.strain.xx);
    CHECK(slope == Approx(e_star).epsilon(1e-6));
    (c.applied_strain < a.applied_strain ? elastic_down : elastic_up)++;
  }
  INFO(elastic_down << " elastic unloading and " << elastic_up << " elastic loading intervals");
  CHECK(elastic_down > 3);
  CHECK(elastic_up > 3);
  INFO("loop area " << loop_area << " GPa (energy dissipated per unit volume in the cycle)");
  CHECK(loop_area > 0.01);  // the loop opens: plastic events dissipate (GPa x strain = GJ/m^3)
}
