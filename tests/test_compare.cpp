// CPU-vs-GPU comparison tests ([compare]): the backend chosen with --backend (the candidate)
// against the CPU reference backend. ctest runs them as `stz_tests --backend cuda "[compare]"`
// (test compare_cpu_cuda, skipped without a GPU). With --backend cpu they compare the CPU
// backend with itself, which checks the tests' own logic on machines without a GPU.
//
// Tolerances (docs/cuda.md, "Precision and error budget"): both backends evaluate the same
// double-precision formulas from include/stz/physics, so continuous quantities differ only by
// round-off (FFTW vs cuFFT, summation order of the rates, FMA contraction, the last ulp of
// exp/log/sin/cos). Discrete quantities (which voxel-mode fires, counters, generations) must
// be identical.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cpu/fft_solver.hpp"
#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "cuda/entry.hpp"
#include "stz/grid.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/physics/medium.hpp"
#include "test_support.hpp"

using namespace stz;
using test::mean_and_standard_error;
using test::MeanSe;
using Approx = Catch::Detail::Approx;

namespace {

// ---- Tolerances -----------------------------------------------------------------------------
/// Stress fields and mean stresses, GPa (fields are O(1-10) GPa; round-off is ~1e-13).
constexpr double stress_tol = 1e-9;
/// Barriers of recorded events, eV (kT = 0.026 eV; round-off ~1e-14).
constexpr double barrier_tol = 1e-9;
/// The same in the mixed-precision pass (solver.precision = "mixed"): both backends form Q in
/// float with the same roundings, but a resolved stress 1e-13 GPa apart, or an A formed in double
/// a few ulp apart (nvcc contracts softening and the direction factor; CUDA's exp), can round to
/// neighbouring floats (Q then differs by ~0.15 eV/GPa x 1.2e-7 GPa); one float ulp of a 2 eV
/// barrier is 2.4e-7 eV.
constexpr double mixed_barrier_tol = 1e-6;

double barrier_tolerance(const Params& p) {
  return p.solver.precision == Precision::mixed ? mixed_barrier_tol : barrier_tol;
}
/// Accumulated eigenstrain and softening (sums of the same floats in the same order: exact
/// unless a catalog float differs in its last bit).
constexpr double strain_tol = 1e-12;
/// Relative tolerance on times (sums of residence times computed from differently ordered
/// rate sums).
constexpr double time_rel_tol = 1e-9;
/// Catalog floats may differ by one float ulp where the GPU's log/sin/cos and glibc's round a
/// Box-Muller normal to opposite sides of a float boundary (probability ~1e-8 per draw).
constexpr double catalog_rel_tol = 2.4e-7;
constexpr std::size_t catalog_mismatch_limit = 3;
/// Stress after single-voxel updates vs a double-precision full solve (issue 4), GPa.
constexpr double update_vs_solve_tol = 1e-6;

std::unique_ptr<Backend> make_reference(const Params& p) { return make_backend("cpu", p); }
std::unique_ptr<Backend> make_candidate(const Params& p) { return test::make_test_backend(p); }

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

double max_abs(const std::vector<double>& a) {
  double m = 0.0;
  for (double x : a) m = std::max(m, std::abs(x));
  return m;
}

bool close_rel(double a, double b, double rel) {
  return std::abs(a - b) <= rel * std::max({std::abs(a), std::abs(b), 1e-300});
}

/// Number of catalog floats that differ; each may differ by at most catalog_rel_tol.
std::size_t catalog_mismatches(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  std::size_t count = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    ++count;
    INFO("catalog entry " << i << ": " << a[i] << " vs " << b[i]);
    CHECK(close_rel(a[i], b[i], catalog_rel_tol));
  }
  return count;
}

void require_same_catalog(const State& ref, const State& cand) {
  std::size_t mismatches = catalog_mismatches(ref.barrier, cand.barrier);
  mismatches += catalog_mismatches(ref.sfts_e1, cand.sfts_e1);
  mismatches += catalog_mismatches(ref.sfts_e3, cand.sfts_e3);
  INFO(mismatches << " of " << 3 * ref.barrier.size() << " catalog floats differ in the last bit");
  REQUIRE(mismatches <= catalog_mismatch_limit);
}

void require_same_fields(const State& ref, const State& cand) {
  REQUIRE(ref.n == cand.n);
  // The applied SFTS come from the catalog: where a catalog float is one ulp off (see
  // catalog_rel_tol), so is the SFTS applied from it, and the eigenstrain accumulated from it
  // by about that much (|e| < 0.1, so < 1e-8).
  const std::size_t sfts_mismatches = catalog_mismatches(ref.d1, cand.d1) + catalog_mismatches(ref.d3, cand.d3);
  REQUIRE(sfts_mismatches <= catalog_mismatch_limit);
  const double p_tol = sfts_mismatches ? 1e-8 : strain_tol;
  CHECK(max_abs_diff(ref.p1, cand.p1) <= p_tol);
  CHECK(max_abs_diff(ref.p3, cand.p3) <= p_tol);
  CHECK(max_abs_diff(ref.eta_p, cand.eta_p) <= strain_tol);
  CHECK(max_abs_diff(ref.eta_t, cand.eta_t) <= strain_tol);
  CHECK(ref.generation == cand.generation);
  std::size_t bad_times = 0;
  for (std::size_t i = 0; i < ref.t_last.size(); ++i)
    if (!close_rel(ref.t_last[i], cand.t_last[i], time_rel_tol)) ++bad_times;
  CHECK(bad_times == 0u);
  const double d11 = max_abs_diff(ref.s11, cand.s11);
  const double d22 = max_abs_diff(ref.s22, cand.s22);
  const double d12 = max_abs_diff(ref.s12, cand.s12);
  INFO("stress differences (GPa): " << d11 << ", " << d22 << ", " << d12 << "; field scale " << max_abs(ref.s11));
  CHECK(d11 <= stress_tol);
  CHECK(d22 <= stress_tol);
  CHECK(d12 <= stress_tol);
}

struct LockstepResult {
  std::uint64_t passes = 0;
  bool same_counters = true;
  std::string first_difference;
};

/**
 * Steps both drivers pass by pass (at most max_passes, or until the reference has
 * `stop_after_thermal` thermal events) and stops at the first pass after which their counters
 * differ.
 */
LockstepResult run_lockstep(Driver& ref, Driver& cand, std::uint64_t max_passes, std::uint64_t stop_after_thermal) {
  LockstepResult r;
  for (; r.passes < max_passes; ++r.passes) {
    const bool more_ref = ref.step();
    const bool more_cand = cand.step();
    const Counters& a = ref.state().counters;
    const Counters& b = cand.state().counters;
    if (more_ref != more_cand || a.thermal_events != b.thermal_events || a.athermal_passes != b.athermal_passes ||
        a.athermal_flips != b.athermal_flips || a.elastic_steps != b.elastic_steps) {
      std::ostringstream os;
      os << "after pass " << r.passes << ": thermal " << a.thermal_events << " vs " << b.thermal_events
         << ", athermal flips " << a.athermal_flips << " vs " << b.athermal_flips << ", elastic steps "
         << a.elastic_steps << " vs " << b.elastic_steps << ", running " << more_ref << " vs " << more_cand;
      r.first_difference = os.str();
      r.same_counters = false;
      ++r.passes;
      break;
    }
    if (!more_ref || a.thermal_events >= stop_after_thermal) {
      ++r.passes;
      break;
    }
  }
  return r;
}

/// Index of the first differing event record (voxel, mode, branch), or the common length.
std::size_t first_event_difference(const std::vector<EventRecord>& a, const std::vector<EventRecord>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i].voxel != b[i].voxel || a[i].mode != b[i].mode || a[i].branch != b[i].branch) return i;
  return n;
}

/// Events, counters, curves and fields of two finished (or equally far) runs of the same seed.
void require_same_results(Driver& ref, Driver& cand, Backend& ref_backend, Backend& cand_backend,
                          const LockstepResult& run, std::uint64_t min_thermal, double q_tol) {
  const auto& ev_a = ref.results().events;
  const auto& ev_b = cand.results().events;
  const std::size_t same = first_event_difference(ev_a, ev_b);
  const std::uint64_t thermal = ref.state().counters.thermal_events;
  INFO("passes " << run.passes << ", thermal events " << thermal << ", athermal flips "
                 << ref.state().counters.athermal_flips << ", identical event prefix " << same << " of " << ev_a.size()
                 << " / " << ev_b.size() << (run.same_counters ? "" : "; counters differ ") << run.first_difference);
  REQUIRE(thermal >= min_thermal);
  REQUIRE(run.same_counters);
  REQUIRE(ev_a.size() == ev_b.size());
  REQUIRE(same == ev_a.size());
  WARN("compared " << ev_a.size() << " events (" << thermal << " thermal) over " << run.passes
                   << " passes: identical sequence");
  double worst_q = 0.0;
  std::size_t bad_times = 0;
  for (std::size_t i = 0; i < ev_a.size(); ++i) {
    worst_q = std::max(worst_q, std::abs(ev_a[i].barrier - ev_b[i].barrier));
    if (!close_rel(ev_a[i].time, ev_b[i].time, time_rel_tol)) ++bad_times;
  }
  CHECK(worst_q <= q_tol);
  CHECK(bad_times == 0u);

  const auto& ca = ref.results().curve;
  const auto& cb = cand.results().curve;
  REQUIRE(ca.size() == cb.size());
  for (std::size_t i = 0; i < ca.size(); ++i) {
    INFO("curve point " << i);
    CHECK(std::abs(ca[i].stress.xx - cb[i].stress.xx) <= stress_tol);
    CHECK(std::abs(ca[i].stress.yy - cb[i].stress.yy) <= stress_tol);
    CHECK(std::abs(ca[i].stress.xy - cb[i].stress.xy) <= stress_tol);
    CHECK(std::abs(ca[i].strain.xx - cb[i].strain.xx) <= strain_tol);
    CHECK(std::abs(ca[i].p1_mean - cb[i].p1_mean) <= strain_tol);
    CHECK(close_rel(ca[i].time, cb[i].time, time_rel_tol));
    CHECK(ca[i].counters.thermal_events == cb[i].counters.thermal_events);
  }
  CHECK(close_rel(ref.state().time, cand.state().time, time_rel_tol));
  CHECK(std::abs(ref.loaded_stress() - cand.loaded_stress()) <= stress_tol);

  State a, b;
  ref_backend.download(a, true);
  cand_backend.download(b, true);
  require_same_catalog(a, b);
  require_same_fields(a, b);
}

/**
 * The same seed on both backends: identical catalogs, identical event sequences (voxel, mode,
 * branch) and counters, continuous quantities within the stated tolerances.
 */
void compare_same_seed(const Params& p, std::uint64_t max_passes, std::uint64_t stop_after_thermal,
                       std::uint64_t min_thermal) {
  auto ref_backend = make_reference(p);
  auto cand_backend = make_candidate(p);
  Driver ref(p, *ref_backend);
  Driver cand(p, *cand_backend);
  ref.start();
  cand.start();
  {
    State a, b;
    ref_backend->download(a, true);
    cand_backend->download(b, true);
    require_same_catalog(a, b);
    require_same_fields(a, b);  // after the first full solve: zero eigenstrain, zero field
  }
  const LockstepResult run = run_lockstep(ref, cand, max_passes, stop_after_thermal);
  require_same_results(ref, cand, *ref_backend, *cand_backend, run, min_thermal, barrier_tolerance(p));
}

/**
 * The reference's own loop against a candidate run with other solver settings (the device
 * loop: stretches of passes), both to the end: the same checks as compare_same_seed.
 */
void compare_whole_runs(const Params& p, const Params& candidate_params, std::uint64_t min_thermal) {
  auto ref_backend = make_reference(p);
  auto cand_backend = make_candidate(candidate_params);
  Driver ref(p, *ref_backend);
  Driver cand(candidate_params, *cand_backend);
  ref.start();
  cand.start();
  ref.run();
  cand.run();
  REQUIRE(cand.uses_pass_loop());
  REQUIRE(cand.loop_stats().loop_passes > cand.loop_stats().host_passes);
  LockstepResult run;
  run.passes = ref.state().counters.passes;
  const Counters& a = ref.state().counters;
  const Counters& b = cand.state().counters;
  run.same_counters = a.passes == b.passes && a.thermal_events == b.thermal_events &&
                      a.athermal_flips == b.athermal_flips && a.elastic_steps == b.elastic_steps &&
                      a.full_solves == b.full_solves;
  require_same_results(ref, cand, *ref_backend, *cand_backend, run, min_thermal, barrier_tolerance(p));
  WARN("device loop: " << cand.loop_stats().loop_passes << " passes in " << cand.loop_stats().stretches
                       << " stretches, " << cand.loop_stats().host_passes << " on the host");
}

}  // namespace

TEST_CASE("Same seed: same catalog, events and fields as the CPU backend over a 64x64 run", "[compare]") {
  // The reference profile to the end strain: about 2600 thermal events and a few athermal
  // avalanches at 64^2 (docs/model.md §9.3), all required to be identical.
  Params p = test::small_params(64, 2024);
  p.record_events = true;
  compare_same_seed(p, 1000000, UINT64_MAX, 1000);
}

TEST_CASE("Same seed, other profiles: events as the CPU backend", "[compare]") {
  Params p = test::small_params(64, 77);
  p.record_events = true;
  SECTION("fast loading: temporary softening active between events, cache off") {
    // At 1e2/s most plasticity is athermal (~160 thermal events, ~800 flips in the whole run):
    // compare the whole run.
    p.loading.strain_rate = 1e2;
    p.solver.cache_softened_barriers = false;
    compare_same_seed(p, 1000000, UINT64_MAX, 100);
  }
  SECTION("no direction factor, single-voxel athermal variant, exact loading") {
    p.softening.direction = DirectionFactor::none;
    p.athermal.variant = AthermalVariant::single;
    p.loading.condition = LoadingCondition::exact;
    compare_same_seed(p, 1000000, 1000, 1000);
  }
  SECTION("N = 66: partial barrier tiles (66^2 voxels is not a multiple of the 8 voxels per GPU block)") {
    Params q = test::small_params(66, 78);
    q.record_events = true;
    compare_same_seed(q, 1000000, 300, 300);
  }
  SECTION("residence-time rule, weak glass, frequent full solves") {
    p.kinetics.rule = ThermalRule::residence_time;
    p.catalog.barrier_mean = 1.8;
    p.solver.full_solve_interval = 100;
    compare_same_seed(p, 1000000, 1000, 1000);
  }
  SECTION("bounded rule (bounds, candidates, rejections, athermal passes through the bounds)") {
    p.kinetics.rule = ThermalRule::bounded;
    p.catalog.barrier_mean = 1.8;
    p.solver.full_solve_interval = 100;
    compare_same_seed(p, 1000000, 1000, 1000);
  }
  SECTION("mixed precision (float A, barriers and rates relative to each voxel's minimum), whole run") {
    // Both backends run the same float expressions with the same roundings (docs/cuda.md,
    // "Mixed precision"): the same events are required, as in double precision.
    p.solver.precision = Precision::mixed;
    compare_same_seed(p, 1000000, UINT64_MAX, 1000);
  }
}

TEST_CASE("The device loop (solver.gpu_loop = device) runs the CPU's events over a whole 64x64 run", "[compare]") {
  Params p = test::small_params(64, 2024);
  p.record_events = true;
  Params device = p;
  device.solver.gpu_loop = GpuLoop::device;
  SECTION("reference profile, stretches of 64 passes") { compare_whole_runs(p, device, 1000); }
  SECTION("residence-time rule, event clock, frequent full solves, stretches of 5") {
    p.kinetics.rule = ThermalRule::residence_time;
    p.kinetics.softening_clock = SofteningClock::event;
    p.catalog.barrier_mean = 1.8;
    p.solver.full_solve_interval = 100;
    p.loading.end_strain = 0.03;
    device = p;
    device.solver.gpu_loop = GpuLoop::device;
    device.solver.gpu_loop_chunk = 5;
    compare_whole_runs(p, device, 1000);
  }
  SECTION("mixed precision, stretches of 64 passes") {
    p.solver.precision = Precision::mixed;
    device = p;
    device.solver.gpu_loop = GpuLoop::device;
    compare_whole_runs(p, device, 1000);
  }
}

TEST_CASE("Unit kernels and the single-voxel update equal the CPU's FFTW kernels", "[compare]") {
  const int n = 64;
  Params p = test::small_params(n, 3);
  auto b = make_candidate(p);
  b->initialize();
  State s;
  b->download(s, true);
  // A unit e1 in mode 0 of voxel j, then a unit e3 in mode 1 of voxel j: the field is K1 + K3
  // shifted to j.
  const std::uint32_t j = 5 * n + 9;
  s.sfts_e1[voxel_mode_index(j, 0, p.grid.modes)] = 1.0f;
  s.sfts_e3[voxel_mode_index(j, 0, p.grid.modes)] = 0.0f;
  b->upload(s);
  const PlasticIncrement inc1 = b->transform({j, 0, 0.0}, 0.0);
  CHECK(inc1.dp1_sum == 1.0);
  CHECK(inc1.dp3_sum == 0.0);
  State after1;
  b->download(after1, true);
  // The redraw of generation 1 replaced the catalog row: put a unit e3 into mode 1.
  after1.sfts_e1[voxel_mode_index(j, 1, p.grid.modes)] = 0.0f;
  after1.sfts_e3[voxel_mode_index(j, 1, p.grid.modes)] = 1.0f;
  b->upload(after1);
  b->transform({j, 1, 0.0}, 0.0);
  State after2;
  b->download(after2, false);

  FftElasticSolver solver(n, make_medium(p.elastic));
  const UnitKernels k = solver.unit_kernels();
  const int jx = static_cast<int>(j % n), jy = static_cast<int>(j / n);
  double worst1 = 0.0, worst2 = 0.0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const std::size_t v = voxel_index(x, y, n);
      const std::size_t kk = voxel_index(wrap_difference(x, jx, n), wrap_difference(y, jy, n), n);
      worst1 = std::max({worst1, std::abs(after1.s11[v] - k.k1_11[kk]), std::abs(after1.s22[v] - k.k1_22[kk]),
                         std::abs(after1.s12[v] - k.k1_12[kk])});
      worst2 = std::max({worst2, std::abs(after2.s11[v] - k.k1_11[kk] - k.k3_11[kk]),
                         std::abs(after2.s22[v] - k.k1_22[kk] - k.k3_22[kk]),
                         std::abs(after2.s12[v] - k.k1_12[kk] - k.k3_12[kk])});
    }
  INFO("max |K_candidate - K_fftw| = " << worst1 << " (e1), " << worst2 << " (e1 + e3); E* = 69.46 GPa");
  CHECK(worst1 <= 1e-12);
  CHECK(worst2 <= 1e-12);
  // docs/model.md §3: a unit e1 gives sigma11 = -0.2146 E* at its own voxel.
  CHECK(after1.s11[j] / 69.46 == Approx(-0.21460).margin(1e-3));
}

TEST_CASE("Stress after 1e5 single-voxel updates is within 1e-6 GPa of a double-precision full solve", "[compare]") {
  // 1e5 transformations at random voxel-modes of a 64^2 grid (about 24 per voxel) with no full
  // solve in between: the drift of the incremental field is pure round-off accumulation.
  const int n = 64;
  Params p = test::small_params(n, 13);
  auto b = make_candidate(p);
  b->initialize();
  std::mt19937_64 gen(4242);
  const std::uint64_t voxels = static_cast<std::uint64_t>(n) * n;
  for (int i = 0; i < 100000; ++i) {
    const Event e{static_cast<std::uint32_t>(gen() % voxels), static_cast<std::uint32_t>(gen() % 20), 0.0};
    b->transform(e, 1e-6 * i);
  }
  State updated, solved;
  b->download(updated, true);
  b->full_solve();
  b->download(solved, false);
  const double scale = max_abs(solved.s11);
  const double d11 = max_abs_diff(updated.s11, solved.s11);
  const double d22 = max_abs_diff(updated.s22, solved.s22);
  const double d12 = max_abs_diff(updated.s12, solved.s12);
  WARN("after 1e5 single-voxel updates: max |incremental - full solve| = " << d11 << ", " << d22 << ", " << d12
                                                                           << " GPa (field scale " << scale << " GPa)");
  CHECK(scale > 1.0);
  CHECK(d11 <= update_vs_solve_tol);
  CHECK(d22 <= update_vs_solve_tol);
  CHECK(d12 <= update_vs_solve_tol);
  // The candidate's full solve against the CPU's FFTW solve of the same eigenstrain.
  auto ref = make_reference(p);
  ref->upload(updated);
  ref->full_solve();
  State ref_solved;
  ref->download(ref_solved, false);
  CHECK(max_abs_diff(ref_solved.s11, solved.s11) <= stress_tol);
  CHECK(max_abs_diff(ref_solved.s22, solved.s22) <= stress_tol);
  CHECK(max_abs_diff(ref_solved.s12, solved.s12) <= stress_tol);
}

namespace {
struct RunStats {
  double peak_stress, offset_stress, thermal_events, athermal_flips;
};

RunStats full_run(Backend& backend, const Params& p) {
  Driver d(p, backend);
  d.start();
  d.run();
  const DriverState& st = d.state();
  REQUIRE(st.stop_reason == "end strain reached");
  REQUIRE(st.milestones.yield.offset_reached);
  return {st.milestones.yield.peak_stress, st.milestones.yield.offset_stress,
          static_cast<double>(st.counters.thermal_events), static_cast<double>(st.counters.athermal_flips)};
}

}  // namespace

TEST_CASE("Yield stress and event counts over 5 seeds at 128x128 agree statistically", "[compare]") {
  // Paired seeds (1..5 on both backends): as long as the event sequences stay identical the
  // differences vanish; where round-off ties make a long run diverge, the two runs are
  // independent samples of the same distribution. Means must agree within 3 combined
  // standard errors (issue 4).
  // Against itself (--backend cpu, ctest compare_cpu_cpu) the test's logic is what is checked:
  // 3 seeds at 64^2 keep that quick.
  const bool gpu = test::backend_name == "cuda";
  const int seeds = gpu ? 5 : 3, n = gpu ? 128 : 64;
  std::vector<double> ref_stats[4], cand_stats[4];
  int identical = 0;
  for (int s = 1; s <= seeds; ++s) {
    Params p = test::small_params(n, static_cast<std::uint64_t>(s));
    auto ref = make_reference(p);
    auto cand = make_candidate(p);
    const RunStats a = full_run(*ref, p);
    const RunStats b = full_run(*cand, p);
    const double va[4] = {a.peak_stress, a.offset_stress, a.thermal_events, a.athermal_flips};
    const double vb[4] = {b.peak_stress, b.offset_stress, b.thermal_events, b.athermal_flips};
    for (int q = 0; q < 4; ++q) {
      ref_stats[q].push_back(va[q]);
      cand_stats[q].push_back(vb[q]);
    }
    if (a.thermal_events == b.thermal_events && a.athermal_flips == b.athermal_flips) ++identical;
  }
  const char* names[4] = {"peak stress (GPa)", "0.2% offset stress (GPa)", "thermal events", "athermal flips"};
  std::ostringstream summary;
  for (int q = 0; q < 4; ++q) {
    const MeanSe a = mean_and_standard_error(ref_stats[q]);
    const MeanSe b = mean_and_standard_error(cand_stats[q]);
    const double se = std::sqrt(a.se * a.se + b.se * b.se);
    summary << names[q] << ": cpu " << a.mean << " +- " << a.se << ", candidate " << b.mean << " +- " << b.se << "\n";
    INFO(names[q] << ": reference " << a.mean << " +- " << a.se << ", candidate " << b.mean << " +- " << b.se);
    CHECK(std::abs(a.mean - b.mean) <= 3.0 * se);
  }
  WARN(n << "^2, seeds 1.." << seeds << " (" << identical << " with identical event counts):\n" << summary.str());
  // Sanity (docs/model.md §9.3 bands are for 64^2; 128^2 yields a little higher).
  const MeanSe peak = mean_and_standard_error(ref_stats[0]);
  CHECK(peak.mean > 1.5);
  CHECK(peak.mean < 3.5);
}

TEST_CASE("A grid too large for the GPU fails before allocation, naming need and free memory", "[compare]") {
  if (test::backend_name != "cuda") {
    SUCCEED("only meaningful for the CUDA backend");
    return;
  }
  Params p = test::small_params(32768, 1);  // 32768^2 x 20 voxel-modes: ~0.8 TB
  try {
    auto b = make_candidate(p);
    FAIL("a 32768^2 grid was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("grid N=32768 needs") != std::string::npos);
    CHECK(what.find("GiB free") != std::string::npos);
  }
}

TEST_CASE("The CUDA backend describes its device", "[compare]") {
  if (test::backend_name != "cuda") {
    SUCCEED("only meaningful for the CUDA backend");
    return;
  }
  auto b = make_candidate(test::small_params(8, 1));
  CHECK(b->name() == "cuda");
  CHECK(b->device_description().find(cuda_device_name(0)) != std::string::npos);
  WARN(b->device_description());
}

TEST_CASE("Beyond 1024 rate blocks: pass summary, selections and a state round trip as the CPU", "[compare]") {
  // N = 1040: 1,081,600 voxels in 1057 blocks of 1024 rates, more than the one-block scan's
  // 1024 threads, so the GPU scan works in chunks. The state round trip goes through several
  // chunks of the page-locked staging buffers (the catalog alone is 86 MB at M = 20). Against
  // itself (--backend cpu) M = 2 keeps the host memory small.
  Params p = test::small_params(1040, 5);
  p.grid.modes = test::backend_name == "cuda" ? 20 : 2;
  auto ref = make_reference(p);
  auto cand = make_candidate(p);
  ref->initialize();
  cand->initialize();
  const Sym2 mean{0.8, -0.1, 0.2};
  const RateSummary a = ref->compute_barriers_and_rates(0.0, mean);
  const RateSummary b = cand->compute_barriers_and_rates(0.0, mean);
  REQUIRE_FALSE(a.any_unstable);
  REQUIRE_FALSE(b.any_unstable);
  CHECK(std::abs(a.min_barrier - b.min_barrier) <= barrier_tol);
  CHECK(close_rel(a.shifted_rate_sum, b.shifted_rate_sum, time_rel_tol));
  for (int i = 0; i < 40; ++i) {
    const double u = (i + 0.5) / 40.0;
    const Event ea = ref->select_thermal_event(u);
    const Event eb = cand->select_thermal_event(u);
    INFO("u = " << u);
    CHECK(ea.voxel == eb.voxel);
    CHECK(ea.mode == eb.mode);
  }
  State s;
  const auto t0 = std::chrono::steady_clock::now();
  cand->download(s, true);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double bytes = 3.0 * 4.0 * static_cast<double>(s.barrier.size()) + 8.0 * 10.0 * s.p1.size();
  WARN("download of the whole state (" << bytes / 1e6 << " MB): " << seconds * 1e3 << " ms, " << bytes / seconds / 1e9
                                       << " GB/s");
  for (std::size_t i = 0; i < s.p1.size(); i += 7919) s.p1[i] = 1e-3 * static_cast<double>(i % 13);
  auto again = make_candidate(p);
  again->upload(s);
  State back;
  again->download(back, true);
  CHECK(back.barrier == s.barrier);
  CHECK(back.sfts_e1 == s.sfts_e1);
  CHECK(back.sfts_e3 == s.sfts_e3);
  CHECK(back.p1 == s.p1);
  CHECK(back.s12 == s.s12);
  CHECK(back.t_last == s.t_last);
}

TEST_CASE("An avalanche of more than 4096 simultaneous flips matches the CPU", "[compare]") {
  // Above 4096 flips the GPU sums the eigenstrain increments in 256 fixed chunks.
  Params p = test::small_params(128, 9);
  auto ref = make_reference(p);
  auto cand = make_candidate(p);
  ref->initialize();
  cand->initialize();
  const Sym2 mean{6.0, -6.0, 0.0};
  REQUIRE(ref->compute_barriers_and_rates(0.0, mean).any_unstable);
  REQUIRE(cand->compute_barriers_and_rates(0.0, mean).any_unstable);
  std::vector<Event> fa, fb;
  const PlasticIncrement ia = ref->athermal_pass(0.0, &fa);
  const PlasticIncrement ib = cand->athermal_pass(0.0, &fb);
  INFO(ia.flips << " flips");
  REQUIRE(ia.flips > 4096u);
  REQUIRE(ia.flips == ib.flips);
  REQUIRE(fa.size() == fb.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < fa.size(); ++i)
    if (fa[i].voxel != fb[i].voxel || fa[i].mode != fb[i].mode) ++differ;
  CHECK(differ == 0u);
  CHECK(std::abs(ia.dp1_sum - ib.dp1_sum) <= 1e-9 * std::max(1.0, std::abs(ia.dp1_sum)));
  CHECK(std::abs(ia.dp3_sum - ib.dp3_sum) <= 1e-9 * std::max(1.0, std::abs(ia.dp3_sum)));
  ref->full_solve();
  cand->full_solve();
  State sa, sb;
  ref->download(sa, true);
  cand->download(sb, true);
  require_same_catalog(sa, sb);
  require_same_fields(sa, sb);
}

TEST_CASE("A run resumed from a downloaded state continues bit for bit on the same backend", "[compare]") {
  // What a checkpoint holds (state with catalog, driver state and results), restored into a
  // fresh backend of the candidate's kind: the continuation must equal the uninterrupted run.
  Params p = test::small_params(64, 31);
  p.record_events = true;
  auto first = make_candidate(p);
  Driver whole(p, *first);
  whole.start();
  while (whole.state().counters.thermal_events < 300 && whole.step()) {
  }
  State saved;
  first->download(saved, true);
  const DriverState saved_driver = whole.state();
  const DriverResults saved_results = whole.results();
  while (whole.state().counters.thermal_events < 700 && whole.step()) {
  }
  auto second = make_candidate(p);
  second->initialize();
  second->upload(saved);
  Driver resumed(p, *second);
  resumed.restore(saved_driver, saved_results);
  while (resumed.state().counters.thermal_events < 700 && resumed.step()) {
  }
  const auto& ea = whole.results().events;
  const auto& eb = resumed.results().events;
  REQUIRE(ea.size() == eb.size());
  REQUIRE(first_event_difference(ea, eb) == ea.size());
  CHECK(whole.state().time == resumed.state().time);
  State a, b;
  first->download(a, true);
  second->download(b, true);
  CHECK(a.s11 == b.s11);
  CHECK(a.s12 == b.s12);
  CHECK(a.p1 == b.p1);
  CHECK(a.eta_t == b.eta_t);
  CHECK(a.barrier == b.barrier);
}

TEST_CASE("run.backend = auto falls back to the CPU when the CUDA backend cannot be made", "[compare]") {
  const Params p = test::small_params(16, 1);
  BackendOptions missing_device;
  missing_device.device = 99;
  std::string why;
  int fallbacks = 0;
  const auto note = [&](const std::string& reason) {
    why = reason;
    ++fallbacks;
  };
  auto b = make_resolved_backend("auto", "cuda", p, missing_device, note);
  INFO(why);
  CHECK(b->name() == "cpu");
  CHECK(fallbacks == 1);
  CHECK_FALSE(why.empty());
  if (cuda_device_count() > 0) CHECK(why.find("does not exist") != std::string::npos);
  // The caller can stop the fallback (the session does when the host lacks the memory).
  CHECK_THROWS_WITH(make_resolved_backend("auto", "cuda", p, missing_device,
                                          [](const std::string&) { throw std::invalid_argument("no memory"); }),
                    "no memory");
  // An explicit request never falls back.
  CHECK_THROWS(make_resolved_backend("cuda", "cuda", p, missing_device, note));
  auto c = make_resolved_backend("cpu", "cpu", p, {}, note);
  CHECK(c->name() == "cpu");
  CHECK(fallbacks == 1);  // only the first call fell back through `note`
}

TEST_CASE("Device ordinals: a missing one is refused by name, another GPU runs the same events", "[compare]") {
  if (test::backend_name != "cuda") {
    SUCCEED("only meaningful for the CUDA backend");
    return;
  }
  const int count = cuda_device_count();
  Params p = test::small_params(32, 4);
  BackendOptions beyond;
  beyond.device = count;
  try {
    make_backend("cuda", p, beyond);
    FAIL("device ordinal " << count << " was accepted with " << count << " device(s)");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("does not exist") != std::string::npos);
  }
  if (count < 2) {
    WARN("one GPU: the run on device ordinal 1 was not tried");
    return;
  }
  p.record_events = true;
  BackendOptions second;
  second.device = 1;
  auto b0 = make_backend("cuda", p);
  auto b1 = make_backend("cuda", p, second);
  Driver d0(p, *b0), d1(p, *b1);
  d0.start();
  d1.start();
  while (d0.state().counters.thermal_events < 200 && d0.step() && d1.step()) {
  }
  CHECK(first_event_difference(d0.results().events, d1.results().events) == d0.results().events.size());
}
