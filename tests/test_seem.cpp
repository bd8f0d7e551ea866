// SEEM (docs/seem.md): X1 formula, harvest on synthetic AQS traces with known events,
// forward runs reproducing lambda, crossings, and clear messages for bad input.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "cuda/entry.hpp"
#include "io/h5.hpp"
#include "seem/seem_data.hpp"
#include "seem/seem_fixed_point.hpp"
#include "seem/seem_harvest.hpp"
#include "seem/seem_run.hpp"
#include "seem/seem_validate.hpp"
#include "stz/seem/device.hpp"
#include "stz/seem/model.hpp"

using namespace stz::seem;
namespace h5 = stz::io::h5;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("stz_test_seem_" + name)).string();
}

X1Params hand_params() {
  X1Params p;
  p.G0 = 25.9;
  p.uA = 0.101;
  p.tauA = 8.4;
  p.tauB = 2.9;
  p.u0 = -4.4;
  p.omega = 16.0;
  return p;
}

/// Synthetic AQS trace with known events: 1000 steps of dgamma = 1e-3, elastic loading with
/// G(X1) between events; at steps 9, 19, ..., 999 an event, alternating type A
/// (dtau_pl = 0.3 GPa, dX1 = +0.001) and type B (dtau_pl = 0.2 GPa, dX1 = -0.001).
/// X1 therefore alternates between 0 (before A events) and 0.001 (before B events).
AqsTrace synthetic_trace(const X1Params& p) {
  AqsTrace t;
  t.name = "synthetic";
  t.omega = p.omega;
  double x1 = 0.0, tau = 0.05;
  const double dg = 1e-3;
  int n_event = 0;
  for (int k = 0; k <= 1000; ++k) {
    t.gamma.push_back(k * dg);
    t.tau.push_back(tau);
    t.pe.push_back(energy_from_x1(x1, tau, p));
    const double g = shear_modulus(x1, p);
    if (k % 10 == 9) {
      const bool a = n_event++ % 2 == 0;
      tau += g * dg - (a ? 0.3 : 0.2);
      x1 += a ? 0.001 : -0.001;
    } else {
      tau += g * dg;
    }
  }
  return t;
}

HarvestOptions one_bin(const X1Params& p) {
  HarvestOptions h;
  h.x1 = p;
  h.grid.n_x1 = 1;
  h.grid.n_tau = 1;
  h.min_visits = 1;
  return h;
}

}  // namespace

TEST_CASE("X1 formula matches hand-computed values", "[seem][unit]") {
  const X1Params p = hand_params();
  // Omega tau^2/(2 G0) = 16 * 2.25 / 51.8 GPa A^3 = 4.337728314e-3 eV; bracket 1.10346468;
  // X1 = (0.01 - 4.3377e-3 * 1.10346) / (1 + 4.3377e-3 / 0.101) (python, by hand)
  CHECK(x1_from_energy(-4.39, 1.5, p) == Approx(0.004998783239454488).epsilon(1e-12));
  CHECK(x1_from_energy(-4.35, -2.0, p) == Approx(0.03726183235823153).epsilon(1e-12));
  // no stress: X1 is the energy above u0
  CHECK(x1_from_energy(-4.37, 0.0, p) == Approx(0.03).epsilon(1e-12));
  // energy_from_x1 inverts it exactly
  for (double tau : {-2.5, -0.3, 0.0, 0.7, 3.1})
    CHECK(x1_from_energy(energy_from_x1(0.0123, tau, p), tau, p) == Approx(0.0123).epsilon(1e-12));
  // G(X1) = G0 (1 - X1/uA)
  CHECK(shear_modulus(0.0, p) == Approx(25.9));
  CHECK(shear_modulus(0.0505, p) == Approx(12.95));
  // the published values are the defaults
  const X1Params d;
  CHECK(d.G0 == 25.90);
  CHECK(d.uA == 0.101);
  CHECK(d.tauA == 8.4);
  CHECK(d.tauB == 2.90);
}

TEST_CASE("harvest finds the known events, lambda and histograms of a synthetic trace", "[seem][unit]") {
  const X1Params p = hand_params();
  const AqsTrace t = synthetic_trace(p);

  SECTION("one bin: lambda = 100 events / unit strain, both event types") {
    const Database db = harvest({t}, one_bin(p));
    REQUIRE(db.total_events() == 100);
    CHECK(db.visits[0] == 1000);
    CHECK(db.strain[0] == Approx(1.0));
    CHECK(db.lambda[0] == Approx(100.0));
    CHECK(db.mean_dtau[0] == Approx(0.25).epsilon(1e-6));
    CHECK(db.mean_dx1[0] == Approx(0.0).margin(1e-9));
    CHECK(db.dgamma == Approx(1e-3));
    int a = 0, b = 0;
    for (std::size_t k = 0; k < db.ev_dtau.size(); ++k) {
      if (std::abs(db.ev_dtau[k] - 0.3f) < 1e-5f && std::abs(db.ev_dx1[k] - 0.001f) < 1e-7f) ++a;
      if (std::abs(db.ev_dtau[k] - 0.2f) < 1e-5f && std::abs(db.ev_dx1[k] + 0.001f) < 1e-7f) ++b;
    }
    CHECK(a == 50);
    CHECK(b == 50);
    // histogram: all counts sit in two cells, 50 each: (first dtau bin, first dX1 bin) for
    // type B and (last, last) for type A, since the edges span exactly the events' range
    const int hb = db.hist_bins;
    CHECK(db.hist[0] == 50);
    CHECK(db.hist[(hb - 1) * hb + (hb - 1)] == 50);
    long total = 0;
    for (int c : db.hist) total += c;
    CHECK(total == 100);
    // flow map: mean dtau/dgamma over all steps = (tau_end - tau_start) / strain
    CHECK(db.flow_dtau[0] == Approx((t.tau.back() - t.tau.front()) / 1.0).epsilon(1e-9));
  }

  SECTION("two X1 bins separate the event types by their pre-step state") {
    HarvestOptions h = one_bin(p);
    h.grid.n_x1 = 2;
    h.grid.x1_min = -0.0005;
    h.grid.x1_max = 0.0015;
    h.grid.tau_min = -10;
    h.grid.tau_max = 10;
    const Database db = harvest({t}, h);
    CHECK(db.visits[0] == 500);
    CHECK(db.visits[1] == 500);
    CHECK(db.events[0] == 50);
    CHECK(db.events[1] == 50);
    CHECK(db.lambda[0] == Approx(100.0));
    CHECK(db.lambda[1] == Approx(100.0));
    CHECK(db.mean_dtau[0] == Approx(0.3).epsilon(1e-6));
    CHECK(db.mean_dx1[0] == Approx(0.001).epsilon(1e-6));
    CHECK(db.mean_dtau[1] == Approx(0.2).epsilon(1e-6));
    CHECK(db.mean_dx1[1] == Approx(-0.001).epsilon(1e-6));
    REQUIRE(db.ev_offset.size() == 3);
    CHECK(db.ev_offset[1] == 50);
  }

  SECTION("criterion elastic with a threshold also sees the events; a high threshold none") {
    HarvestOptions h = one_bin(p);
    h.criterion = EventCriterion::elastic;
    h.drop_threshold = 0.1;
    CHECK(harvest({t}, h).total_events() == 100);
    h.drop_threshold = 0.25;  // only type A (0.3) exceeds it
    CHECK(harvest({t}, h).total_events() == 50);
  }
}

TEST_CASE("database round-trips through HDF5", "[seem][unit]") {
  const X1Params p = hand_params();
  HarvestOptions h = one_bin(p);
  h.grid.n_x1 = 3;
  h.grid.n_tau = 4;
  const Database db = harvest({synthetic_trace(p)}, h);
  const std::string f = temp_path("db.h5");
  write_database(f, db);
  const Database r = read_database(f);
  CHECK(r.grid.n_x1 == 3);
  CHECK(r.grid.n_tau == 4);
  CHECK(r.grid.x1_min == db.grid.x1_min);
  CHECK(r.x1.u0 == p.u0);
  CHECK(r.visits == db.visits);
  CHECK(r.events == db.events);
  CHECK(r.source == db.source);
  CHECK(r.ev_offset == db.ev_offset);
  CHECK(r.ev_dtau == db.ev_dtau);
  CHECK(r.hist == db.hist);
  CHECK(r.sources == db.sources);
  std::filesystem::remove(f);
}

TEST_CASE("unvisited bins use the nearest trusted bin", "[seem][unit]") {
  Database db;
  db.grid.n_x1 = 3;
  db.grid.n_tau = 3;
  db.min_visits = 10;
  // trusted: (0,0) and (2,2); everything else has too few visits
  db.visits = {20, 0, 0, 0, 9, 0, 0, 0, 15};
  assign_sources(db);
  CHECK(db.source[0] == 0);
  CHECK(db.source[8] == 8);
  CHECK(db.source[1] == 0);  // (0,1): distance 1 to (0,0)
  CHECK(db.source[7] == 8);  // (2,1): distance 1 to (2,2)
  CHECK(db.source[4] == 0);  // (1,1): tie between (0,0) and (2,2) -> lower index
  CHECK(db.source[2] == 0);  // (0,2): distances 4 and 4 -> lower index
}

TEST_CASE("lambda policy monotone borrows from lower-stress bins of the same X1 column", "[seem][unit]") {
  Database db;
  db.grid.n_x1 = 2;
  db.grid.n_tau = 4;
  db.min_visits = 10;
  db.policy = LambdaPolicy::monotone;
  // column 0 (bins 0..3, stress rising): lambda 5, 50, 0 (trusted, no events), untrusted
  // column 1 (bins 4..7): lambda 10, 20, 30, 40 (already monotone)
  db.visits = {20, 20, 20, 3, 20, 20, 20, 20};
  db.lambda = {5, 50, 0, 0, 10, 20, 30, 40};
  assign_sources(db);
  CHECK(db.source == std::vector<std::int32_t>{0, 1, 1, 1, 4, 5, 6, 7});
  db.policy = LambdaPolicy::raw;
  assign_sources(db);
  CHECK(db.source == std::vector<std::int32_t>{0, 1, 2, 2, 4, 5, 6, 7});
  CHECK_THROWS_WITH(parse_policy("smooth"), Catch::Contains("'smooth'"));
}

TEST_CASE("SEEM run reproduces lambda in a constant-state bin", "[seem][unit]") {
  const X1Params p = hand_params();
  const Database db = harvest({synthetic_trace(p)}, one_bin(p));  // lambda = 100 everywhere
  RunOptions o;
  o.x1_start = 0.0;
  o.tau_start = 0.5;
  o.gamma_max = 0.2;  // 200 steps of 1e-3: P(event) = 0.1 per step
  o.n_traj = 20000;
  o.seed = 42;
  o.device = "cpu";
  o.threads = 2;
  const RunResult r = run_ensemble(db, o);
  REQUIRE(r.n_steps == 200);
  const double n = static_cast<double>(o.n_traj) * r.n_steps;
  const double expected = n * 0.1;
  const double sigma = std::sqrt(n * 0.1 * 0.9);
  CHECK(std::abs(static_cast<double>(r.events) - expected) < 5 * sigma);
  const double lambda_est = static_cast<double>(r.events) / (static_cast<double>(o.n_traj) * o.gamma_max);
  CHECK(lambda_est == Approx(100.0).epsilon(0.01));
  // the single bin is trusted, so the unvisited-bin policy is never needed; states leave the
  // grid's data range and are clamped (counted, and so are the trajectories that do)
  CHECK(r.fallback_lookups == 0);
  CHECK(r.trajectories_outside > 0);
  CHECK(r.trajectories_outside <= r.n_traj);
  CHECK(r.trajectories_outside <= r.outside_lookups);
  {
    // One step from the middle of the grid: its lookup is inside; but the grid spans X1 0 to
    // 0.001 only (the trace's two states), so every event (dX1 = +-0.001) ends the trajectory
    // outside it, and the end state counts.
    RunOptions inside = o;
    inside.gamma_max = 1e-3;
    inside.x1_start = 0.5 * (db.grid.x1_min + db.grid.x1_max);
    inside.tau_start = 0.5 * (db.grid.tau_min + db.grid.tau_max);
    const RunResult in = run_ensemble(db, inside);
    CHECK(in.outside_lookups == 0);
    CHECK(in.events > 0);
    CHECK(in.trajectories_outside == in.events);
  }
  // the mean of per-trajectory maxima bounds the maximum of the mean curve from above
  CHECK(r.peak_tau_mean >= *std::max_element(r.mean_tau.begin(), r.mean_tau.end()) - 1e-6);

  SECTION("whole trajectories are the ensemble's members, with their events") {
    for (const char* process : {"steps", "poisson"}) {
      INFO("process " << process);
      RunOptions small = o;
      small.n_traj = 300;
      small.save_trajectories = 300;
      small.record_every = 20;
      small.process = process;
      const RunResult s = run_ensemble(db, small);
      const TrajectorySamples& t = s.samples;
      REQUIRE(t.n == 300);
      const std::size_t n_rec = s.gamma.size();
      REQUIRE(t.tau.size() == 300 * n_rec);
      for (std::size_t k = 0; k < n_rec; ++k) {
        double mean_tau = 0.0;
        for (std::size_t j = 0; j < 300; ++j) mean_tau += t.tau[j * n_rec + k];
        CHECK(mean_tau / 300.0 == Approx(s.mean_tau[k]).epsilon(1e-12));
      }
      std::uint64_t events = 0;
      for (std::uint32_t c : t.ev_count) events += c;
      CHECK(static_cast<std::int64_t>(events) == s.events);
      REQUIRE(t.ev_offset.size() == 301);
      CHECK(t.ev_offset.back() == t.ev_gamma.size());
      // The recorded events (poisson: each one itself; steps: derived from its step).
      for (double d : t.ev_dtau) CHECK((std::abs(d - 0.3) < 1e-6 || std::abs(d - 0.2) < 1e-6));
      for (double d : t.ev_dx1) CHECK(std::abs(std::abs(d) - 0.001) < 1e-9);
    }
  }

  SECTION("results do not depend on the thread count") {
    RunOptions o1 = o;
    o1.threads = 1;
    o1.n_traj = 2000;
    RunOptions o2 = o1;
    o2.threads = 2;
    const RunResult a = run_ensemble(db, o1), b = run_ensemble(db, o2);
    CHECK(a.events == b.events);
    CHECK(a.mean_tau == b.mean_tau);
    CHECK(a.mean_x1 == b.mean_x1);
    CHECK(a.peak_tau_mean == b.peak_tau_mean);
  }

  SECTION("per-trajectory event counts are binomial") {
    std::vector<std::vector<double>> x1, tau;
    std::vector<std::int64_t> ev;
    run_trajectories(db, o, 4000, x1, tau, ev);
    double m = 0, v = 0;
    for (auto e : ev) m += static_cast<double>(e) / ev.size();
    for (auto e : ev) v += (e - m) * (e - m) / (ev.size() - 1);
    CHECK(m == Approx(20.0).epsilon(0.03));
    CHECK(v == Approx(18.0).epsilon(0.15));  // 200 * 0.1 * 0.9
    // mean stress follows the mean flow: tau' = G(X1) - lambda E[dtau_pl] on average
    REQUIRE(tau[0].size() == 201);
  }
}

// Same ensemble on the GPU and the CPU (identical Philox draws; host and device may round
// differently where FMA contraction differs, so the means are compared to a tolerance).
TEST_CASE("SEEM ensemble: GPU matches CPU", "[seem][compare]") {
  if (stz::cuda_device_count() == 0) {
    WARN("no usable CUDA device: SEEM GPU comparison skipped");
    return;
  }
  const X1Params p = hand_params();
  HarvestOptions h = one_bin(p);
  h.grid.n_x1 = 4;
  h.grid.n_tau = 4;
  h.min_visits = 1;
  const Database db = harvest({synthetic_trace(p)}, h);
  RunOptions o;
  o.x1_start = 0.0;
  o.tau_start = 0.1;
  o.gamma_max = 0.5;
  o.n_traj = 50000;
  o.device = "cpu";
  const RunResult c = run_ensemble(db, o);
  o.device = "cuda";
  const RunResult g = run_ensemble(db, o);
  CHECK(g.backend.rfind("cuda", 0) == 0);
  CHECK(std::abs(static_cast<double>(g.events - c.events)) <= 1e-3 * static_cast<double>(c.events));
  // The trajectories that left the grid, counted per warp on the device (never run on a GPU yet).
  CHECK(std::abs(static_cast<double>(g.trajectories_outside - c.trajectories_outside)) <=
        1e-3 * static_cast<double>(c.n_traj) + 2.0);
  for (std::size_t k = 0; k < c.gamma.size(); ++k) {
    CHECK(g.mean_tau[k] == Approx(c.mean_tau[k]).epsilon(1e-3).margin(1e-4));
    CHECK(g.mean_x1[k] == Approx(c.mean_x1[k]).epsilon(1e-3).margin(1e-6));
  }
}

TEST_CASE("crossings of mean trajectories are found", "[seem][unit]") {
  // curve 0 rises along the diagonal, curve 1 falls across it at (0.5, 0.5); curve 2 is
  // parallel to curve 0 and crosses only curve 1
  const std::vector<std::vector<double>> x{{0, 0.25, 0.5, 0.75, 1}, {0, 1}, {0, 1}};
  const std::vector<std::vector<double>> y{{0, 0.25, 0.5, 0.75, 1}, {1, 0}, {0.2, 1.2}};
  const std::vector<std::vector<double>> g{{0, 1, 2, 3, 4}, {0, 1}, {0, 1}};
  const auto c = find_crossings(x, y, g);
  REQUIRE(c.size() == 2);
  CHECK(c[0].a == 0);
  CHECK(c[0].b == 1);
  CHECK(c[0].x1 == Approx(0.5));
  CHECK(c[0].tau == Approx(0.5));
  CHECK(c[0].gamma_a == Approx(2.0));
  CHECK(c[0].gamma_b == Approx(0.5));
  CHECK(c[1].a == 1);
  CHECK(c[1].b == 2);
  CHECK(c[1].x1 == Approx(0.4));
}

TEST_CASE("LAMMPS thermo logs are read by column name", "[seem][unit]") {
  const std::string f = temp_path("log.lammps");
  {
    std::ofstream o(f);
    o << "LAMMPS (29 Sep 2021 - Update 2)\n"
         "Step Temp PotEng\n 0 2000 -1100\n 100 1990 -1101\nLoop time of 1 on 1 procs\n"
         "Step v_gamma v_tau v_pea Volume\n 0 0 0.0 -4.40 4000\nLoop time of 0 on 1 procs\n"
         "Step v_gamma v_tau v_pea Volume\n 1 0.0002 0.006 -4.40 4000\n 9 0.0002 0.005 -4.39 4000\n"
         "WARNING: something harmless\nLoop time of 0 on 1 procs\n"
         "Step v_gamma v_tau v_pea Volume\n 10 0.0004 0.012 -4.41 4000\n 20 0.0004 0.011 -4.38 4000\n";
  }
  LogColumns c;
  const AqsTrace last = read_lammps_log(f, c);
  REQUIRE(last.gamma.size() == 3);
  CHECK(last.tau[1] == Approx(0.005));
  CHECK(last.pe[2] == Approx(-4.38));
  // The same log compressed with gzip (as tools/seem/generate.sh leaves it) reads the same.
  REQUIRE(std::system(("gzip -kf " + f).c_str()) == 0);
  const AqsTrace gz = read_lammps_log(f + ".gz", c);
  CHECK(gz.gamma == last.gamma);
  CHECK(gz.tau == last.tau);
  CHECK(gz.pe == last.pe);
  {  // a truncated .gz is refused by name
    std::ifstream in(f + ".gz", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(f + ".cut.gz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  CHECK_THROWS_WITH(read_lammps_log(f + ".cut.gz", c),
                    Catch::Contains("cannot decompress") && Catch::Contains(".cut.gz"));
  std::filesystem::remove(f + ".gz");
  std::filesystem::remove(f + ".cut.gz");
  c.rows = "all";
  c.stress_scale = 2.0;
  CHECK_THROWS_WITH(read_lammps_log(f, c), Catch::Contains("does not increase"));  // repeated strains
  c.rows = "last";
  c.stress = "c_missing";
  CHECK_THROWS_WITH(read_lammps_log(f, c), Catch::Contains("'c_missing' not found") && Catch::Contains("v_gamma"));
  std::filesystem::remove(f);
  {
    std::ofstream o(f);
    o << "nothing to see\n";
  }
  CHECK_THROWS_WITH(read_lammps_log(f, LogColumns{}), Catch::Contains("no thermo output"));
  std::filesystem::remove(f);
  CHECK_THROWS_WITH(read_lammps_log(f, LogColumns{}), Catch::Contains("cannot open"));
}

TEST_CASE("bad SEEM input gives messages that name the problem", "[seem][unit]") {
  const X1Params p = hand_params();

  SECTION("purely elastic data: no events") {
    AqsTrace t;
    t.name = "elastic_only";
    for (int k = 0; k < 50; ++k) {
      t.gamma.push_back(k * 1e-3);
      t.tau.push_back(25.9 * k * 1e-3);
      t.pe.push_back(energy_from_x1(0.0, t.tau.back(), p));
    }
    CHECK_THROWS_WITH(harvest({t}, one_bin(p)), Catch::Contains("no plastic events"));
  }
  SECTION("ranges that exclude every state") {
    HarvestOptions h = one_bin(p);
    h.grid.x1_min = 1.0;
    h.grid.x1_max = 2.0;
    h.grid.tau_min = -1;
    h.grid.tau_max = 1;
    CHECK_THROWS_WITH(harvest({synthetic_trace(p)}, h), Catch::Contains("outside the grid"));
  }
  SECTION("no bin has enough visits") {
    HarvestOptions h = one_bin(p);
    h.min_visits = 100000;
    CHECK_THROWS_WITH(harvest({synthetic_trace(p)}, h), Catch::Contains("min_visits"));
  }
  SECTION("empty database cannot run") {
    Database db;
    db.grid.n_x1 = db.grid.n_tau = 1;
    db.ev_offset = {0, 0};
    CHECK_THROWS_WITH(make_step_tables(db, 1e-3), Catch::Contains("no plastic events"));
  }
  SECTION("mismatched and non-monotonic traces") {
    AqsTrace t = synthetic_trace(p);
    t.tau.pop_back();
    CHECK_THROWS_WITH(validate_trace(t), Catch::Contains("synthetic") && Catch::Contains("different lengths"));
    AqsTrace u = synthetic_trace(p);
    u.gamma[5] = u.gamma[4];
    CHECK_THROWS_WITH(validate_trace(u), Catch::Contains("between states 4 and 5"));
  }
  SECTION("dataset files: missing dataset, not a database, missing file") {
    const std::string f = temp_path("bad.h5");
    h5::write_file(f, [](hid_t file) {
      auto s = h5::create_group(file, "samples");
      auto g = h5::create_group(s.get(), "r10_s00");
      h5::write_dataset(g.get(), "gamma", std::vector<double>{0, 1e-4});
      h5::write_dataset(g.get(), "pe", std::vector<double>{-4.4, -4.4});
    });
    CHECK_THROWS_WITH(read_aqs_h5(f), Catch::Contains("r10_s00") && Catch::Contains("'tau'"));
    CHECK_THROWS_WITH(read_database(f), Catch::Contains("not a SEEM database"));
    std::filesystem::remove(f);
    CHECK_THROWS_WITH(read_aqs_h5(f), Catch::Contains("No such file or directory"));
  }
  SECTION("holding out every sample of a cooling rate") {
    std::vector<AqsTrace> all(2, synthetic_trace(p));
    all[0].cooling_rate = all[1].cooling_rate = 10;
    all[0].sample = 0;
    all[1].sample = 1;
    std::vector<AqsTrace> train, held;
    CHECK_THROWS_WITH(split_holdout(all, 2, train, held), Catch::Contains("cannot hold out 2"));
    split_holdout(all, 1, train, held);
    REQUIRE(held.size() == 1);
    CHECK(held[0].sample == 1);
  }
  SECTION("bad run options") {
    const Database db = harvest({synthetic_trace(p)}, one_bin(p));
    RunOptions o;
    o.device = "tpu";
    CHECK_THROWS_WITH(run_ensemble(db, o), Catch::Contains("'tpu'"));
    o.device = "cpu";
    o.n_traj = 0;
    CHECK_THROWS_WITH(run_ensemble(db, o), Catch::Contains("trajectories"));
  }
}

TEST_CASE("SEEM fixed point: a deterministic sawtooth settles where the atomistic trace does", "[seem][unit]") {
  // A trace that loads elastically (G dgamma per step, X1 = 0) and drops by 0.3 GPa at every step
  // that starts above 1 GPa. Harvested on 1 x 2 bins split at 1 GPa: lambda dgamma = 1 above (an
  // event at every step), 0 below, so SEEM repeats the trace's sawtooth exactly and its steady
  // state must be the trace's mean over the same strain, whatever the start.
  const X1Params p = hand_params();
  AqsTrace t;
  t.name = "sawtooth";
  t.omega = p.omega;
  double tau = 0.05;
  const double dg = 1e-3, g = shear_modulus(0.0, p);
  for (int k = 0; k <= 2000; ++k) {
    t.gamma.push_back(k * dg);
    t.tau.push_back(tau);
    t.pe.push_back(energy_from_x1(0.0, tau, p));
    tau += g * dg - (tau >= 1.0 ? 0.3 : 0.0);
  }
  HarvestOptions h;
  h.x1 = p;
  h.grid.n_x1 = 1;
  h.grid.n_tau = 2;
  h.grid.x1_min = -0.01;
  h.grid.x1_max = 0.01;
  h.grid.tau_min = 0.0;
  h.grid.tau_max = 2.0;
  h.min_visits = 1;
  AqsTrace copy = t;
  copy.name = "sawtooth copy";
  const std::vector<AqsTrace> glasses{t, copy};
  const Database db = harvest(glasses, h);
  REQUIRE(db.lambda[1] * db.dgamma == Approx(1.0));
  REQUIRE(db.lambda[0] == 0.0);

  FixedPointOptions o;
  o.run.gamma_max = 1.0;
  o.run.n_traj = 20;
  o.run.record_every = 1;
  o.run.device = "cpu";
  o.window = 0.5;
  o.starts_x1 = 1;
  o.starts_tau = 3;  // 0, 0.5 and 1 GPa
  o.bootstrap = 4;
  o.bootstrap_traj = 5;
  o.aqs_window_lo = 1.0;
  o.aqs_window_hi = 2.0;
  const FixedPointResult r = fixed_point(db, glasses, glasses, o);
  REQUIRE(r.starts.size() == 3);
  CHECK(r.starts[1].tau_start == Approx(0.5));
  CHECK(r.aqs.glasses == 2);
  INFO("SEEM " << r.tau << " GPa, trace " << r.aqs.tau << " GPa, attractor " << r.attractor_tau);
  CHECK(r.aqs.tau_se == 0.0);
  CHECK(std::abs(r.tau - r.aqs.tau) < 0.01);  // the window's sampling of a 0.3 GPa sawtooth
  CHECK(r.spread_tau < 0.01);
  CHECK(std::abs(r.x1) < 1e-12);
  // The mean flow: +G below 1 GPa, G - 300 above: its path is the same sawtooth.
  CHECK(std::abs(r.attractor_tau - r.aqs.tau) < 0.02);
  CHECK(r.attractor_wander < 0.5);
  // Identical glasses: every replica harvests the same database, and the dynamics are
  // deterministic, so every replica lands where the run from the same start does.
  REQUIRE(r.boot_x1.size() == 4);
  CHECK(r.boot_escaped == 0);
  CHECK(r.boot_sd_tau < 1e-12);
  CHECK(r.boot_tau[0] == Approx(r.starts[0].tau).margin(1e-12));

  SECTION("the atomistic steady state is each glass's mean over the window") {
    AqsTrace line;
    line.name = "line";
    line.omega = p.omega;
    for (int k = 0; k <= 300; ++k) {
      line.gamma.push_back(k * 1e-3);
      line.tau.push_back(k * 1e-3);
      line.pe.push_back(energy_from_x1(0.0, k * 1e-3, p));
    }
    const SteadyStateAqs a = aqs_steady_state({line}, p, 0.2, 0.3);
    CHECK(a.tau == Approx(0.25).epsilon(1e-12));
    CHECK(std::abs(a.x1) < 1e-9);
    CHECK_THROWS_WITH(aqs_steady_state({line}, p, 0.2, 0.5), Catch::Contains("reaches the strain 0.5"));
  }
  SECTION("bad options name themselves") {
    FixedPointOptions bad = o;
    bad.window = 2.0;
    CHECK_THROWS_WITH(fixed_point(db, glasses, glasses, bad), Catch::Contains("--window"));
    bad = o;
    bad.bootstrap = 3;
    CHECK_THROWS_WITH(fixed_point(db, {}, {}, bad), Catch::Contains("--bootstrap needs"));
  }
}

TEST_CASE("SEEM Poisson process: event counts are Poisson at any record step", "[seem][unit]") {
  // One bin, lambda = 100 per unit strain (the synthetic trace): over a strain of 0.2 the count
  // of events per trajectory is Poisson with mean 20 and variance 20 — not binomial (variance
  // 18 for steps of 1e-3, where lambda dgamma = 0.1) — and does not depend on the record step,
  // even one that holds five events on average.
  const X1Params p = hand_params();
  const Database db = harvest({synthetic_trace(p)}, one_bin(p));
  std::vector<RunResult> runs;
  for (const double dgamma : {1e-3, 0.05}) {
    INFO("dgamma " << dgamma);
    RunOptions o;
    o.x1_start = 0.0;
    o.tau_start = 0.5;
    o.gamma_max = 0.2;
    o.dgamma = dgamma;
    o.seed = 9;
    o.device = "cpu";
    o.process = "poisson";
    std::vector<std::vector<double>> x1, tau;
    std::vector<std::int64_t> ev;
    run_trajectories(db, o, 6000, x1, tau, ev);
    double m = 0, v = 0;
    for (auto e : ev) m += static_cast<double>(e) / ev.size();
    for (auto e : ev) v += (e - m) * (e - m) / (ev.size() - 1);
    CHECK(std::abs(m - 20.0) < 5.0 * std::sqrt(20.0 / 6000.0));
    CHECK(std::abs(v - 20.0) < 5.0 * 20.0 * std::sqrt(2.0 / 6000.0));  // binomial's 18 lies 5.5 sigma away
    // The ensemble's run agrees and counts no step cut short.
    o.n_traj = 2000;
    const RunResult r = run_ensemble(db, o);
    CHECK(r.saturated_steps == 0);
    CHECK(std::abs(static_cast<double>(r.events) / 2000.0 - 20.0) < 5.0 * std::sqrt(20.0 / 2000.0));
    runs.push_back(r);
  }
  // Each trajectory's maximum stress includes the stress just before each event inside an
  // increment: the yield does not depend on the record step (4 records would miss most peaks).
  const double se = std::hypot(runs[0].peak_tau_sd, runs[1].peak_tau_sd) / std::sqrt(2000.0);
  CHECK(std::abs(runs[0].peak_tau_mean - runs[1].peak_tau_mean) < 5.0 * se);
  RunOptions bad;
  bad.process = "jumps";
  CHECK_THROWS_WITH(run_ensemble(db, bad), Catch::Contains("--process = 'jumps'"));
  bad.process = "poisson";
  bad.device = "cuda";
  CHECK_THROWS_WITH(run_ensemble(db, bad), Catch::Contains("CPU only"));
}

TEST_CASE("SEEM Poisson process: the stress of the first event past a bin edge is exponential", "[seem][unit]") {
  // Two X1 columns x two stress rows split at 1 GPa. Only the bin (column 0, upper row) has
  // events, at lambda = 500 per unit strain: one kind, dX1 = uA, which sets G = 0 and moves the
  // state into column 1 (no events): the stress freezes where the first event happened. Loading
  // from 0.5 GPa at G0 crosses the edge at exactly 1 GPa, so (tau_end - 1) lambda / G0 must be a
  // unit exponential draw.
  std::vector<std::int32_t> source{0, 1, 2, 3};
  std::vector<double> lambda{0.0, 500.0, 0.0, 0.0};
  std::vector<std::uint32_t> threshold(4, 0), offset{0, 0, 1, 1, 1};
  std::vector<float> dtau{0.0f}, dx1{0.5f};
  StepView v;
  v.n_x1 = 2;
  v.n_tau = 2;
  v.x1_min = 0.0;
  v.inv_dx1 = 2.0;  // columns [0, 0.5), [0.5, 1)
  v.tau_min = 0.0;
  v.inv_dtau = 1.0;  // rows [0, 1), [1, 2)
  v.dgamma = 10.0;   // far past the event
  v.G0 = 25.0;
  v.uA = 0.5;
  v.source = source.data();
  v.threshold = threshold.data();
  v.ev_offset = offset.data();
  v.ev_dtau = dtau.data();
  v.ev_dx1 = dx1.data();
  v.lambda = lambda.data();
  const int n = 20000;
  double mean = 0.0;
  int above_one = 0;
  for (int j = 0; j < n; ++j) {
    double x1 = 0.0, tau = 0.5;
    std::uint32_t events = 0;
    double peak = tau;
    const unsigned f = poisson_step(v, x1, tau, 5, static_cast<std::uint32_t>(j), 0, events, peak);
    REQUIRE(peak == tau);  // the stress froze at the event: its highest
    REQUIRE(events == 1);
    REQUIRE(x1 == 0.5);
    REQUIRE((f & step_saturated) == 0);
    const double e = (tau - 1.0) * 500.0 / 25.0;
    REQUIRE(e >= 0.0);
    mean += e / n;
    above_one += e > 1.0;
  }
  CHECK(std::abs(mean - 1.0) < 5.0 / std::sqrt(static_cast<double>(n)));
  const double p = std::exp(-1.0);
  CHECK(std::abs(above_one / static_cast<double>(n) - p) < 5.0 * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("k-fold validation holds every glass out once, stratified by cooling rate", "[seem][unit]") {
  const X1Params p = hand_params();
  std::vector<AqsTrace> all;
  for (const double rate : {10.0, 100.0})
    for (int i = 0; i < 5; ++i) {
      AqsTrace t = synthetic_trace(p);
      t.cooling_rate = rate;
      t.sample = 4 - i;  // out of order: folds go by sample index
      t.name = "r" + std::to_string(static_cast<int>(rate)) + "_s" + std::to_string(t.sample);
      all.push_back(t);
    }
  std::map<std::string, int> held_count;
  for (int f = 0; f < 3; ++f) {
    std::vector<AqsTrace> train, held;
    split_fold(all, 3, f, train, held);
    CHECK(train.size() + held.size() == all.size());
    int per_rate[2] = {0, 0};
    for (const AqsTrace& t : held) {
      ++held_count[t.name];
      ++per_rate[t.cooling_rate == 10.0 ? 0 : 1];
      CHECK(t.sample % 3 == f);  // sample index i is held out by fold i % 3
    }
    CHECK(per_rate[0] == per_rate[1]);
  }
  CHECK(held_count.size() == all.size());
  for (const auto& [name, n] : held_count) CHECK(n == 1);
  std::vector<AqsTrace> train, held;
  CHECK_THROWS_WITH(split_fold(all, 6, 0, train, held), Catch::Contains("has only 5 glasses"));
  CHECK_THROWS_WITH(split_fold(all, 1, 0, train, held), Catch::Contains("--folds = 1"));

  // Identical glasses: the training and held-out AQS means coincide (a zero noise floor), and
  // every fold validates both rates.
  HarvestOptions h = one_bin(p);
  const Database base = harvest(all, h);
  RunOptions o;
  o.n_traj = 200;
  o.gamma_max = 0.2;
  o.device = "cpu";
  const KFoldResult k = kfold_validate(base, all, 3, o);
  REQUIRE(k.per_fold.size() == 3);
  REQUIRE(k.rates.size() == 2);
  for (const KFoldRate& r : k.rates) {
    CHECK(r.folds == 3);
    CHECK(r.glasses == 5);
    CHECK(r.floor_tau.mean < 1e-12);  // means of equal curves: round-off only
    CHECK(r.yield_aqs.se == 0.0);
  }
}

TEST_CASE("fixed point: starts that settle apart form basins; the fixed point is the largest", "[seem][unit]") {
  // Eight starts within a bin of (0.026, 1.74), two near the grid's top (0.038, 1.51); bins of
  // 0.002 eV/atom and 0.2 GPa.
  const std::vector<double> x1{0.0387, 0.0376, 0.0265, 0.0262, 0.0260, 0.0261, 0.0260, 0.0261, 0.0260, 0.0260};
  const std::vector<double> tau{1.509, 1.515, 1.690, 1.718, 1.731, 1.747, 1.746, 1.740, 1.738, 1.759};
  const auto basins = group_basins(x1, tau, 0.002, 0.2);
  REQUIRE(basins.size() == 2);
  CHECK(basins[0].starts == std::vector<int>{2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(basins[1].starts == std::vector<int>{0, 1});
  double mx = 0.0, mt = 0.0;
  for (int k = 2; k < 10; ++k) mx += x1[k] / 8.0, mt += tau[k] / 8.0;
  CHECK(basins[0].x1 == mx);  // summed in start order, as the plain mean
  CHECK(basins[0].tau == mt);
  // One basin: exactly the mean of every start (the result before basins existed).
  const auto one = group_basins({0.02, 0.0201, 0.0199}, {1.6, 1.61, 1.59}, 0.002, 0.2);
  REQUIRE(one.size() == 1);
  CHECK(one[0].x1 == 0.02 / 3.0 + 0.0201 / 3.0 + 0.0199 / 3.0);
  // Far apart in stress alone: two basins.
  CHECK(group_basins({0.02, 0.02}, {1.0, 1.5}, 0.002, 0.2).size() == 2);
}

TEST_CASE("k-fold validation with one X1 fit per fold uses each fold's own fit", "[seem][unit]") {
  const X1Params p = hand_params();
  std::vector<AqsTrace> all;
  for (const double rate : {10.0, 100.0})
    for (int i = 0; i < 3; ++i) {
      AqsTrace t = synthetic_trace(p);
      t.cooling_rate = rate;
      t.sample = i;
      t.name = "r" + std::to_string(static_cast<int>(rate)) + "_s" + std::to_string(i);
      all.push_back(t);
    }
  const Database base = harvest(all, one_bin(p));
  RunOptions o;
  o.n_traj = 100;
  o.gamma_max = 0.2;
  o.device = "cpu";
  // Fold 1's fit puts the energy zero 2 meV/atom higher: every X1 it sees is 2 meV/atom lower
  // (exactly so at zero stress; the start stress here is 0.05 GPa, a 1e-5 relative effect).
  X1Params shifted = p;
  shifted.u0 += 0.002;
  const KFoldResult k = kfold_validate(base, all, 3, o, {p, shifted, p});
  CHECK(k.per_fold_x1);
  REQUIRE(k.per_fold.size() == 3);
  for (std::size_t r = 0; r < 2; ++r) {
    const double x0 = k.per_fold[0].rates[r].x1_start;
    CHECK(k.per_fold[1].rates[r].x1_start == Approx(x0 - 0.002).margin(1e-7));
    CHECK(k.per_fold[2].rates[r].x1_start == Approx(x0).margin(1e-12));
    // the fold's SEEM ensemble starts there and its held-out AQS X1 curve is read with the same fit
    CHECK(k.per_fold[1].rates[r].held.mean_x1.front() ==
          Approx(k.per_fold[0].rates[r].held.mean_x1.front() - 0.002).margin(1e-7));
  }
  CHECK_FALSE(kfold_validate(base, all, 3, o).per_fold_x1);
  CHECK_THROWS_WITH(kfold_validate(base, all, 3, o, {p, p}), Catch::Contains("2 X1 fits for 3 folds"));
}
