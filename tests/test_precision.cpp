// solver.precision = "mixed" (issue 15): the cpu backend's exhaustive pass in float against the
// double pass — the events it selects for the same state, and the statistics of whole runs over
// seeds. The error budget of the pass itself is checked in test_dispatch.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <vector>

#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "test_support.hpp"

using namespace stz;
using test::cpu_backend;
using test::mean_and_standard_error;
using test::MeanSe;

namespace {

Params with_precision(Params p, Precision precision) {
  p.solver.precision = precision;
  return p;
}

/// A state of a run loaded past `strain` on the double pass (plastic flow, a rough stress
/// field), taken where no barrier is negative (between avalanches), with its time and mean stress.
State loaded_state(const Params& p, double strain, Sym2* mean_stress, double* time) {
  auto b = cpu_backend(p);
  Driver d(p, *b);
  d.start();
  while (d.loaded_strain() < strain && d.step()) {
  }
  for (;;) {
    State s;
    b->download(s, true);
    *mean_stress = d.mean_stress();
    *time = d.state().time;
    auto probe = cpu_backend(p);
    probe->initialize();
    probe->upload(s);
    if (!probe->compute_barriers_and_rates(*time, *mean_stress).any_unstable) return s;
    REQUIRE(d.step());
  }
}

}  // namespace

TEST_CASE("Mixed precision selects the double pass's event except within its error budget of a boundary", "[unit]") {
  // One state in plastic flow; both passes on it; 100,000 evenly spaced u. A selection can
  // differ only where u lies within the rates' relative error (about 1e-5) of a cumulative
  // boundary, so at most a few in 10^4.
  const Params p = test::small_params(32, 3);
  Sym2 mean{};
  double time = 0.0;
  const State s = loaded_state(p, 0.03, &mean, &time);
  auto full = cpu_backend(p);
  auto mixed = cpu_backend(with_precision(p, Precision::mixed));
  full->initialize();
  mixed->initialize();
  full->upload(s);
  mixed->upload(s);
  const RateSummary rf = full->compute_barriers_and_rates(time, mean);
  const RateSummary rm = mixed->compute_barriers_and_rates(time, mean);
  REQUIRE_FALSE(rf.any_unstable);
  REQUIRE_FALSE(rm.any_unstable);
  const double kT = derive_constants(p).kT;
  INFO("min barrier double " << rf.min_barrier << " eV, mixed " << rm.min_barrier << " eV; rate sums "
                             << rf.shifted_rate_sum << ", " << rm.shifted_rate_sum);
  CHECK(std::abs(rm.min_barrier - rf.min_barrier) < 1e-4 * kT);
  CHECK(std::abs(rm.shifted_rate_sum / rf.shifted_rate_sum - 1.0) < 1e-4);
  const int draws = 100000;
  int differ = 0;
  double worst_q = 0.0;
  for (int i = 0; i < draws; ++i) {
    const double u = (i + 0.5) / draws;
    const Event a = full->select_thermal_event(u);
    const Event b = mixed->select_thermal_event(u);
    if (a.voxel != b.voxel || a.mode != b.mode)
      ++differ;
    else
      worst_q = std::max(worst_q, std::abs(a.barrier - b.barrier));
  }
  INFO(differ << " of " << draws << " selections differ; worst barrier difference " << worst_q << " eV");
  CHECK(differ <= 30);  // 3e-4 of the draws
  CHECK(worst_q < 1e-4 * kT);
}

TEST_CASE("Mixed precision: the statistics of whole runs over 12 seeds agree with the double pass", "[unit]") {
  // 64^2 to the default end strain, seeds 1..12 in both precisions: peak stress, 0.2 % offset
  // stress, thermal events and athermal flips within 3 combined standard errors. Paired seeds
  // start with the same catalog; their event sequences part at the first selection the float
  // rates send across a boundary, after which the runs are independent samples.
  const int seeds = 12;
  std::vector<double> f[4], m[4];
  int identical = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    double v[2][4];
    for (int k = 0; k < 2; ++k) {
      const Params p = with_precision(test::small_params(64, static_cast<std::uint64_t>(seed)),
                                      k == 0 ? Precision::full_double : Precision::mixed);
      auto b = cpu_backend(p, 2);
      Driver d(p, *b);
      d.start();
      d.run();
      const DriverState& st = d.state();
      REQUIRE(st.stop_reason == "end strain reached");
      REQUIRE(st.milestones.yield.offset_reached);
      v[k][0] = st.milestones.yield.peak_stress;
      v[k][1] = st.milestones.yield.offset_stress;
      v[k][2] = static_cast<double>(st.counters.thermal_events);
      v[k][3] = static_cast<double>(st.counters.athermal_flips);
    }
    for (int q = 0; q < 4; ++q) {
      f[q].push_back(v[0][q]);
      m[q].push_back(v[1][q]);
    }
    if (v[0][2] == v[1][2] && v[0][3] == v[1][3]) ++identical;
  }
  const char* names[4] = {"peak stress (GPa)", "0.2% offset stress (GPa)", "thermal events", "athermal flips"};
  std::ostringstream summary;
  for (int q = 0; q < 4; ++q) {
    const MeanSe a = mean_and_standard_error(f[q]), b = mean_and_standard_error(m[q]);
    const double se = std::sqrt(a.se * a.se + b.se * b.se);
    summary << names[q] << ": double " << a.mean << " +- " << a.se << ", mixed " << b.mean << " +- " << b.se << "\n";
    INFO(names[q] << ": double " << a.mean << " +- " << a.se << ", mixed " << b.mean << " +- " << b.se);
    CHECK(a.se > 0.0);  // the seeds do scatter
    CHECK(std::abs(a.mean - b.mean) <= 3.0 * se);
  }
  WARN("64^2, seeds 1.." << seeds << " (" << identical << " with identical event counts):\n" << summary.str());
}

TEST_CASE("solver.precision = mixed is refused where it is not implemented, naming key and value", "[unit]") {
  Params p = with_precision(test::small_params(16, 1), Precision::mixed);
  try {
    make_backend("reference", p, BackendOptions{});
    FAIL("mixed precision accepted on the reference backend");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("solver.precision = \"mixed\"") != std::string::npos);
    CHECK(what.find("reference") != std::string::npos);
  }
  CHECK_THROWS_AS(resolve_backend_name("reference", p), std::invalid_argument);
  // The CUDA backend has the mixed pass; "auto" keeps it on the cpu until a GPU has verified it.
  CHECK(resolve_backend_name("cuda", p) == "cuda");
  CHECK(resolve_backend_name("auto", p) == "cpu");
  CHECK(resolve_backend_name("cpu", p) == "cpu");
  p.kinetics.rule = ThermalRule::bounded;
  try {
    validate(p);
    FAIL("mixed precision accepted with the bounded rule");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("solver.precision") != std::string::npos);
    CHECK(what.find("bounded") != std::string::npos);
  }
}
