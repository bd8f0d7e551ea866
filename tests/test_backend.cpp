// Backend tests: one body for every backend (run with --backend cpu|cuda).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "core/driver.hpp"
#include "stz/grid.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/rng.hpp"
#include "test_oracle.hpp"
#include "test_support.hpp"

using namespace stz;
using Approx = Catch::Detail::Approx;

namespace {

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST_CASE("The catalog follows the documented Philox layout", "[backend]") {
  Params p = test::small_params(8, 123);
  auto b = test::make_test_backend(p);
  b->initialize();
  State s;
  b->download(s, true);
  for (std::uint32_t v : {0u, 17u, 63u})
    for (std::uint32_t m : {0u, 7u, 19u}) {
      const std::size_t k = voxel_mode_index(v, m, p.grid.modes);
      CHECK(s.barrier[k] == rng::initial_barrier(123, v, m, 2.0, 0.25));
      CHECK(s.sfts_e1[k] == rng::sfts(123, v, 0, m, 0.14).e1);
      CHECK(s.sfts_e3[k] == rng::sfts(123, v, 0, m, 0.14).e3);
    }
  CHECK(s.t_last[5] < 0.0);
}

TEST_CASE("Barriers match the formulas of docs/model.md 4 evaluated independently", "[backend]") {
  Params p = test::small_params(8, 5);
  auto b = test::make_test_backend(p);
  b->initialize();
  // Transform a few voxels so softening and direction factors are exercised.
  for (std::uint32_t v : {3u, 10u, 40u}) b->transform({v, v % 20, 0.0}, 1e-8 * v);
  const Sym2 mean{1.1, 0.0, 0.05};
  const double t = 2e-7;
  b->compute_barriers_and_rates(t, mean);
  State s;
  b->download(s, true);
  const std::vector<double> q = test::independent_barriers(s, p, t, mean);
  double qmin = 1e300;
  for (double x : q) qmin = std::min(qmin, x);
  const RateSummary r = b->compute_barriers_and_rates(t, mean);
  CHECK(r.min_barrier == Approx(qmin).epsilon(1e-12));
  CHECK_FALSE(r.any_unstable);
  const double kT = derive_constants(p).kT;
  double sum = 0;
  for (double x : q) sum += std::exp(-(x - qmin) / kT);
  CHECK(r.shifted_rate_sum == Approx(sum).epsilon(1e-12));
}

TEST_CASE("Single-voxel kernel updates equal a full FFT solve after 1000 random events", "[backend]") {
  Params p = test::small_params(64, 11);
  auto b = test::make_test_backend(p);
  b->initialize();
  std::mt19937_64 gen(99);
  for (int i = 0; i < 1000; ++i) {
    const Event e{static_cast<std::uint32_t>(gen() % (64 * 64)), static_cast<std::uint32_t>(gen() % 20), 0.0};
    b->transform(e, 1e-3 * i);
  }
  State updated, solved;
  b->download(updated, false);
  b->full_solve();
  b->download(solved, false);
  double scale = 0;
  for (double x : solved.s11) scale = std::max(scale, std::abs(x));
  CHECK(scale > 1.0);  // the field is not trivially zero
  CHECK(max_abs_diff(updated.s11, solved.s11) < 1e-9);
  CHECK(max_abs_diff(updated.s22, solved.s22) < 1e-9);
  CHECK(max_abs_diff(updated.s12, solved.s12) < 1e-9);
}

TEST_CASE("kMC selection frequencies match k/R (chi-square)", "[backend]") {
  Params p = test::small_params(4, 21);
  p.grid.modes = 3;
  p.catalog.barrier_std = 0.01;  // rates within a factor ~20 so every cell is well populated
  auto b = test::make_test_backend(p);
  b->initialize();
  const Sym2 mean{0.1, 0.0, 0.02};
  const RateSummary r = b->compute_barriers_and_rates(0.0, mean);
  REQUIRE_FALSE(r.any_unstable);
  State s;
  b->download(s, true);
  const std::vector<double> q = test::independent_barriers(s, p, 0.0, mean);
  const double kT = derive_constants(p).kT;
  std::vector<double> prob(q.size());
  double total = 0;
  for (std::size_t i = 0; i < q.size(); ++i) total += prob[i] = std::exp(-q[i] / kT);
  for (double& x : prob) x /= total;
  const int draws = 100000;
  std::vector<int> count(q.size(), 0);
  for (int i = 0; i < draws; ++i) {
    const Event e = b->select_thermal_event(rng::kmc_uniform(777, rng::event_selection, i));
    ++count[voxel_mode_index(e.voxel, e.mode, p.grid.modes)];
  }
  double chi2 = 0;
  double min_expected = 1e300;
  for (std::size_t i = 0; i < q.size(); ++i) {
    const double expected = draws * prob[i];
    min_expected = std::min(min_expected, expected);
    chi2 += (count[i] - expected) * (count[i] - expected) / expected;
  }
  REQUIRE(min_expected > 20);
  // 47 degrees of freedom: P(chi2 > 90) ~ 1e-4.
  CHECK(chi2 < 90.0);
}

TEST_CASE("Selection walks the cumulative rates in voxel-mode order across rate blocks", "[backend][racecheck]") {
  // 48^2 voxels: three blocks of 1024 voxel rates on the GPU, so the block search, the in-block
  // scan and the mode walk all take part. Small enough for compute-sanitizer racecheck
  // (tools/gpu_check.sh, step sanitize). Each draw u must land in the selected voxel-mode's
  // interval of the cumulative rates summed here in voxel-major order (up to round-off).
  Params p = test::small_params(48, 5);
  p.catalog.barrier_std = 0.05;
  auto b = test::make_test_backend(p);
  b->initialize();
  const Sym2 mean{0.3, 0.0, 0.05};
  const RateSummary r = b->compute_barriers_and_rates(0.0, mean);
  REQUIRE_FALSE(r.any_unstable);
  State s;
  b->download(s, true);
  const std::vector<double> q = test::independent_barriers(s, p, 0.0, mean);
  const double kT = derive_constants(p).kT;
  const double q_min = *std::min_element(q.begin(), q.end());
  std::vector<double> cumulative(q.size());
  double total = 0;
  for (std::size_t i = 0; i < q.size(); ++i) cumulative[i] = total += std::exp(-(q[i] - q_min) / kT);
  const double slack = 1e-9 * total;
  for (int i = 0; i < 200; ++i) {
    const double u = rng::kmc_uniform(4242, rng::event_selection, i);
    const Event e = b->select_thermal_event(u);
    const std::size_t k = voxel_mode_index(e.voxel, e.mode, p.grid.modes);
    const double target = u * total;
    const double below = k == 0 ? 0.0 : cumulative[k - 1];
    INFO("draw " << i << ": u = " << u << ", voxel " << e.voxel << ", mode " << e.mode);
    CHECK(below <= target + slack);
    CHECK(cumulative[k] >= target - slack);
  }
}

TEST_CASE("Athermal pass flips every voxel with min Q below Q_ath in its argmin mode", "[backend]") {
  Params p = test::small_params(16, 4);
  auto b = test::make_test_backend(p);
  b->initialize();
  // A large shear stress drives some barriers negative.
  const Sym2 mean{6.0, -6.0, 0.0};
  const RateSummary r = b->compute_barriers_and_rates(0.0, mean);
  REQUIRE(r.any_unstable);
  State before;
  b->download(before, true);
  const std::vector<double> q = test::independent_barriers(before, p, 0.0, mean);
  std::vector<Event> flipped;
  const PlasticIncrement inc = b->athermal_pass(0.0, &flipped);
  std::vector<Event> expected;
  double dp1 = 0;
  for (std::uint32_t v = 0; v < before.voxels(); ++v) {
    std::uint32_t am = 0;
    for (std::uint32_t m = 1; m < 20; ++m)
      if (q[v * 20 + m] < q[v * 20 + am]) am = m;
    if (q[v * 20 + am] < 0.33) {
      expected.push_back({v, am, q[v * 20 + am]});
      dp1 += before.sfts_e1[v * 20 + am];
    }
  }
  REQUIRE(flipped.size() == expected.size());
  CHECK(inc.flips == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(flipped[i].voxel == expected[i].voxel);
    CHECK(flipped[i].mode == expected[i].mode);
  }
  CHECK(inc.dp1_sum == Approx(dp1).epsilon(1e-12));
  State after;
  b->download(after, true);
  const std::uint32_t v0 = expected.front().voxel;
  CHECK(after.generation[v0] == 1u);
  CHECK(after.p1[v0] == Approx(before.sfts_e1[v0 * 20 + expected.front().mode]));
  CHECK(after.sfts_e1[v0 * 20] == rng::sfts(4, v0, 1, 0, 0.14).e1);  // redrawn, new generation
  CHECK(after.barrier[v0 * 20] == before.barrier[v0 * 20]);          // dF stays
}

namespace {
struct RunResult {
  DriverState st;
  DriverResults res;
  State s;
};

RunResult run_passes(Params p, int threads, int passes) {
  auto b = test::make_test_backend(p, threads);
  Driver d(p, *b);
  d.start();
  for (int i = 0; i < passes && d.step(); ++i) {
  }
  RunResult r{d.state(), d.results(), {}};
  b->download(r.s, true);
  return r;
}

void require_identical(const RunResult& a, const RunResult& b) {
  REQUIRE(a.res.curve.size() == b.res.curve.size());
  for (std::size_t i = 0; i < a.res.curve.size(); ++i) {
    REQUIRE(a.res.curve[i].stress.xx == b.res.curve[i].stress.xx);
    REQUIRE(a.res.curve[i].time == b.res.curve[i].time);
  }
  REQUIRE(a.res.events.size() == b.res.events.size());
  for (std::size_t i = 0; i < a.res.events.size(); ++i) {
    REQUIRE(a.res.events[i].voxel == b.res.events[i].voxel);
    REQUIRE(a.res.events[i].mode == b.res.events[i].mode);
    REQUIRE(a.res.events[i].barrier == b.res.events[i].barrier);
  }
  REQUIRE(a.st.counters.thermal_events == b.st.counters.thermal_events);
  REQUIRE(a.st.time == b.st.time);
  REQUIRE(a.s.p1 == b.s.p1);
  REQUIRE(a.s.s11 == b.s.s11);
  REQUIRE(a.s.sfts_e1 == b.s.sfts_e1);
}
}  // namespace

TEST_CASE("The same seed gives identical results with 1 and 2 threads", "[backend]") {
  Params p = test::small_params(32, 2024);
  p.catalog.barrier_mean = 1.8;  // many events in few passes
  p.record_events = true;
  p.solver.full_solve_interval = 50;
  const RunResult one = run_passes(p, 1, 1500);
  const RunResult two = run_passes(p, 2, 1500);
  REQUIRE(one.st.counters.thermal_events > 100);
  require_identical(one, two);
}

TEST_CASE("Cached softened barriers give results identical to recomputing them", "[backend]") {
  Params p = test::small_params(32, 99);
  p.catalog.barrier_mean = 1.8;
  p.record_events = true;
  p.loading.strain_rate = 1e2;  // fast loading: temporary softening is still active between events
  const RunResult cached = run_passes(p, 0, 2000);
  p.solver.cache_softened_barriers = false;
  const RunResult uncached = run_passes(p, 0, 2000);
  REQUIRE(cached.st.counters.thermal_events > 100);
  require_identical(cached, uncached);
}

TEST_CASE("32x32 tension: elastic slope E* before the first event, then yield and flow", "[backend][slow]") {
  Params p = test::small_params(32, 1);
  auto b = test::make_test_backend(p);
  Driver d(p, *b);
  d.start();
  d.run();
  const auto& curve = d.results().curve;
  REQUIRE(curve.size() > 50);
  int elastic_points = 0;
  for (const CurvePoint& c : curve) {
    if (c.counters.thermal_events > 0 || c.counters.athermal_flips > 0) break;
    if (c.strain.xx <= 0) continue;
    CHECK(c.stress.xx / c.strain.xx == Approx(69.46).epsilon(1e-6));
    CHECK(std::abs(c.stress.yy) < 1e-9);
    ++elastic_points;
  }
  CHECK(elastic_points > 10);
  const DriverState& st = d.state();
  CHECK(st.stop_reason == "end strain reached");
  CHECK(st.counters.thermal_events > 300);
  // Yields: a peak well inside the loading, then flow at lower stress with growing plastic strain.
  CHECK(st.milestones.yield.peak_stress > 1.5);
  CHECK(st.milestones.yield.peak_stress < 4.5);
  CHECK(st.milestones.yield.offset_reached);
  CHECK(curve.back().stress.xx < st.milestones.yield.peak_stress);
  CHECK(curve.back().p1_mean > 0.01);
}
