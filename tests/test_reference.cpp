// [reference] The backend under test (--backend cpu|cuda) against the reference backend, event
// for event: the same transformations (voxel, mode, thermal or athermal) in the same order at the
// same times, and the same final state. The reference backend (host/backends/reference) has no
// caches, no blocking and no FFT library, so every optimization of the others is checked here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "test_support.hpp"

using namespace stz;

namespace {

struct Run {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Driver> driver;
};

Run start(const std::string& kind, const Params& p) {
  Run r;
  r.backend = make_backend(kind, p, BackendOptions{2, 0});
  r.driver = std::make_unique<Driver>(p, *r.backend);
  r.driver->start();
  return r;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

/// Runs both to the end (or `max_passes`) and compares them pass by pass and at the end.
void compare_with_reference(Params p, std::size_t max_passes = 1000000) {
  p.record_events = true;
  Run tested = start(test::backend_name, p), oracle = start("reference", p);
  std::size_t pass = 0;
  bool more = true;
  while (more && pass < max_passes) {
    const bool a = tested.driver->step();
    const bool b = oracle.driver->step();
    ++pass;
    const DriverState& x = tested.driver->state();
    const DriverState& y = oracle.driver->state();
    INFO("pass " << pass);
    REQUIRE(a == b);
    REQUIRE(x.counters.thermal_events == y.counters.thermal_events);
    REQUIRE(x.counters.athermal_flips == y.counters.athermal_flips);
    REQUIRE(x.counters.elastic_steps == y.counters.elastic_steps);
    REQUIRE(x.candidates_rejected == y.candidates_rejected);
    REQUIRE(std::abs(x.time - y.time) <= 1e-9 * std::max(1e-30, std::abs(y.time)));
    more = a;
  }
  const auto& ea = tested.driver->results().events;
  const auto& eb = oracle.driver->results().events;
  REQUIRE(ea.size() == eb.size());
  REQUIRE_FALSE(ea.empty());
  std::size_t thermal = 0, athermal = 0;
  for (std::size_t i = 0; i < ea.size(); ++i) {
    INFO("event " << i);
    REQUIRE(ea[i].voxel == eb[i].voxel);
    REQUIRE(ea[i].mode == eb[i].mode);
    REQUIRE(ea[i].branch == eb[i].branch);
    CHECK(std::abs(ea[i].barrier - eb[i].barrier) < 1e-9);
    (ea[i].branch == Branch::thermal ? thermal : athermal) += 1;
  }
  INFO(ea.size() << " events: " << thermal << " thermal, " << athermal << " athermal, " << pass << " passes");
  State sa, sb;
  tested.backend->download(sa, true);
  oracle.backend->download(sb, true);
  // The same transformations: the eigenstrain, softening and catalog are bitwise equal.
  CHECK(sa.p1 == sb.p1);
  CHECK(sa.p3 == sb.p3);
  CHECK(sa.eta_p == sb.eta_p);
  CHECK(sa.eta_t == sb.eta_t);
  CHECK(sa.generation == sb.generation);
  CHECK(sa.sfts_e1 == sb.sfts_e1);
  CHECK(sa.barrier == sb.barrier);
  // Stresses come from different solvers (FFT + kernel updates vs direct convolution).
  CHECK(max_abs_diff(sa.s11, sb.s11) < 1e-9);
  CHECK(max_abs_diff(sa.s22, sb.s22) < 1e-9);
  CHECK(max_abs_diff(sa.s12, sb.s12) < 1e-9);
}

}  // namespace

TEST_CASE("the backend transforms the reference backend's events in its order", "[reference]") {
  if (test::backend_name == "reference") return;  // nothing to compare
  SECTION("reference profile, tension, a whole run at 16^2") { compare_with_reference(test::small_params(16, 3)); }
  SECTION("24^2 (not a power of two), shear, exact loading, residence-time rule") {
    Params p = test::small_params(24, 5);
    p.loading.mode = LoadingMode::shear;
    p.loading.condition = LoadingCondition::exact;
    p.kinetics.rule = ThermalRule::residence_time;
    compare_with_reference(p);
  }
  SECTION("soft catalog: many athermal avalanches, single-voxel variant, no direction factor") {
    Params p = test::small_params(16, 11);
    p.catalog.barrier_mean = 1.6;
    p.athermal.variant = AthermalVariant::single;
    p.softening.direction = DirectionFactor::none;
    p.loading.strain_rate = 1.0;
    compare_with_reference(p);
  }
  SECTION("simultaneous avalanches at a high rate, probabilistic rule, uncached barriers") {
    Params p = test::small_params(32, 2);
    p.catalog.barrier_mean = 1.7;
    p.loading.strain_rate = 100.0;
    p.kinetics.rule = ThermalRule::probabilistic;
    p.solver.cache_softened_barriers = false;
    p.solver.full_solve_interval = 50;
    compare_with_reference(p, 4000);
  }
}

TEST_CASE("the bounded rule makes the reference backend's choices: candidates, rejections, events", "[reference]") {
  // The reference backend checks every voxel's margin and sums every bound afresh; its athermal
  // pass looks at every voxel's exact barriers, not only the watched ones.
  if (test::backend_name != "cpu") return;  // the other backends have no bounded rule
  SECTION("tension, a whole run at 16^2") {
    Params p = test::small_params(16, 3);
    p.kinetics.rule = ThermalRule::bounded;
    p.catalog.barrier_mean = 1.9;
    compare_with_reference(p);
  }
  SECTION("24^2, shear, exact loading, avalanches of single flips, softening dated at the event") {
    Params p = test::small_params(24, 5);
    p.kinetics.rule = ThermalRule::bounded;
    p.kinetics.softening_clock = SofteningClock::event;
    p.catalog.barrier_mean = 1.6;
    p.loading.mode = LoadingMode::shear;
    p.loading.condition = LoadingCondition::exact;
    p.athermal.variant = AthermalVariant::single;
    compare_with_reference(p, 6000);
  }
  SECTION("32^2 at a high rate, simultaneous avalanches, frequent full solves") {
    Params p = test::small_params(32, 2);
    p.kinetics.rule = ThermalRule::bounded;
    p.catalog.barrier_mean = 1.7;
    p.loading.strain_rate = 100.0;
    p.solver.full_solve_interval = 50;
    compare_with_reference(p, 6000);
  }
}
