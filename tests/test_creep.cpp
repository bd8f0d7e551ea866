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

std::unique_ptr<Backend> cpu_backend(const Params& p) {
  BackendOptions o;
  o.threads = 1;
  return make_backend("cpu", p, o);
}

}  // namespace

TEST_CASE("Creep far below any activity: the elastic strain of the load, unchanged, while time runs", "[unit]") {
  // 0.3 GPa on a 2.2 eV glass: t_res ~ 1e20 s, no event within 1e4 s. The loaded strain is the
  // elastic response of the held stress: sigma / E* (uniaxial, lateral stress free) in tension and
  // compression, sigma12 / mu (engineering shear) in shear.
  for (const LoadingMode mode : {LoadingMode::tension, LoadingMode::compression, LoadingMode::shear}) {
    Params p = creep_params(16, 0.3, mode, 1e4, 100.0);
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
    CHECK(st.time == Approx(1e4).epsilon(1e-9));
    CHECK(st.counters.thermal_events == 0);
    CHECK(st.counters.athermal_flips == 0);
    CHECK(st.counters.elastic_steps == 100);  // 1e4 s in steps of 100 s
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
