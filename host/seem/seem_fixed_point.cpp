// The steady state of SEEM: starts, bootstrap over glasses, atomistic steady state, mean flow.
#include "seem/seem_fixed_point.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>

#include "io/h5.hpp"

namespace stz::seem {

namespace h5 = io::h5;

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("SEEM fixed point: " + what); }

/// Percentile p (0..100) of unsorted values (seem_run's percentile_sorted).
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return percentile_sorted(v, p);
}

double standard_deviation(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double m = 0.0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

void check(const Database& db, const FixedPointOptions& o) {
  if (!(o.window > 0.0) || !(o.window <= o.run.gamma_max))
    fail("--window = " + std::to_string(o.window) + ": allowed (0, --gamma-max = " + std::to_string(o.run.gamma_max) +
         "]");
  if (o.starts_x1 < 1 || o.starts_x1 > 100) fail("--starts-x1 = " + std::to_string(o.starts_x1) + ": allowed 1 to 100");
  if (o.starts_tau < 1 || o.starts_tau > 100)
    fail("--starts-tau = " + std::to_string(o.starts_tau) + ": allowed 1 to 100");
  if (o.bootstrap < 0 || o.bootstrap > 100000)
    fail("--bootstrap = " + std::to_string(o.bootstrap) + ": allowed 0 to 100000");
  if (o.bootstrap_traj < 1) fail("--bootstrap-traj = " + std::to_string(o.bootstrap_traj) + ": allowed >= 1");
  if (!(o.aqs_window_hi > o.aqs_window_lo) || !(o.aqs_window_lo >= 0.0))
    fail("the atomistic window [" + std::to_string(o.aqs_window_lo) + ", " + std::to_string(o.aqs_window_hi) +
         "] must have 0 <= lo < hi");
  if (db.flow_dx1.size() != static_cast<std::size_t>(db.grid.n_bins()) ||
      db.flow_dtau.size() != static_cast<std::size_t>(db.grid.n_bins()))
    fail("the database has no flow map (harvest it again with this version)");
}

/// Mean of a trace's series over [lo, hi] of strain (trapezoids on the trace's own points).
double window_mean(const std::vector<double>& g, const std::vector<double>& y, double lo, double hi) {
  double area = 0.0, length = 0.0;
  for (std::size_t k = 1; k < g.size(); ++k) {
    const double a = std::max(g[k - 1], lo), b = std::min(g[k], hi);
    if (!(b > a)) continue;
    const double w = g[k] - g[k - 1];
    auto at = [&](double x) { return y[k - 1] + (y[k] - y[k - 1]) * (x - g[k - 1]) / w; };
    area += 0.5 * (at(a) + at(b)) * (b - a);
    length += b - a;
  }
  return area / length;
}

}  // namespace

void steady_state(const RunResult& r, double window, double& x1, double& tau) {
  const double from = r.gamma.back() - window;
  double sx = 0.0, st = 0.0;
  int n = 0;
  for (std::size_t k = 0; k < r.gamma.size(); ++k)
    if (r.gamma[k] >= from) {
      sx += r.mean_x1[k];
      st += r.mean_tau[k];
      ++n;
    }
  if (n == 0) fail("no record point in the steady-state window");
  x1 = sx / n;
  tau = st / n;
}

SteadyStateAqs aqs_steady_state(const std::vector<AqsTrace>& traces, const X1Params& p, double lo, double hi) {
  std::vector<double> xs, ts;
  for (const AqsTrace& t : traces) {
    if (t.gamma.empty() || t.gamma.back() < hi) continue;
    const std::vector<double> x1 = x1_series(t, p);
    xs.push_back(window_mean(t.gamma, x1, lo, hi));
    ts.push_back(window_mean(t.gamma, t.tau, lo, hi));
  }
  if (xs.empty()) fail("no AQS trace reaches the strain " + std::to_string(hi) + " of the atomistic window");
  SteadyStateAqs s;
  s.glasses = static_cast<int>(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    s.x1 += xs[i] / s.glasses;
    s.tau += ts[i] / s.glasses;
  }
  s.x1_se = standard_deviation(xs) / std::sqrt(static_cast<double>(s.glasses));
  s.tau_se = standard_deviation(ts) / std::sqrt(static_cast<double>(s.glasses));
  return s;
}

void integrate_mean_flow(const Database& db, double x1, double tau, double dgamma, std::int64_t steps,
                         std::vector<double>& path_x1, std::vector<double>& path_tau) {
  const BinGrid& g = db.grid;
  const double dx = (g.x1_max - g.x1_min) / g.n_x1, dt = (g.tau_max - g.tau_min) / g.n_tau;
  path_x1.assign(1, x1);
  path_tau.assign(1, tau);
  for (std::int64_t s = 0; s < steps; ++s) {
    // The bin, clamped to the grid as `seem run` does, then the policy's source bin.
    const int ix = std::clamp(static_cast<int>(std::floor((x1 - g.x1_min) / dx)), 0, g.n_x1 - 1);
    const int it = std::clamp(static_cast<int>(std::floor((tau - g.tau_min) / dt)), 0, g.n_tau - 1);
    int b = ix * g.n_tau + it;
    if (db.source[b] >= 0) b = db.source[b];
    const double fx = db.flow_dx1[b], ft = db.flow_dtau[b];
    if (!std::isfinite(fx) || !std::isfinite(ft)) break;  // no data reachable: the path stops
    x1 += fx * dgamma;
    tau += ft * dgamma;
    path_x1.push_back(x1);
    path_tau.push_back(tau);
  }
}

std::vector<FixedPointBasin> group_basins(const std::vector<double>& x1, const std::vector<double>& tau, double bin_x1,
                                          double bin_tau) {
  std::vector<FixedPointBasin> basins;
  for (std::size_t i = 0; i < x1.size(); ++i) {
    FixedPointBasin* home = nullptr;
    for (FixedPointBasin& b : basins)
      if (std::abs(x1[i] - b.x1) <= bin_x1 && std::abs(tau[i] - b.tau) <= bin_tau) {
        home = &b;
        break;
      }
    if (!home) home = &basins.emplace_back();
    home->starts.push_back(static_cast<int>(i));
    // The mean again from its members, in start order (one basin: the plain mean of all starts).
    double sx = 0.0, st = 0.0;
    const double n = static_cast<double>(home->starts.size());
    for (const int k : home->starts) sx += x1[k] / n, st += tau[k] / n;
    home->x1 = sx;
    home->tau = st;
  }
  std::stable_sort(basins.begin(), basins.end(), [](const FixedPointBasin& a, const FixedPointBasin& b) {
    return a.starts.size() > b.starts.size();
  });
  return basins;
}

FixedPointResult fixed_point(const Database& db, const std::vector<AqsTrace>& training,
                             const std::vector<AqsTrace>& atomistic, const FixedPointOptions& opt) {
  check(db, opt);
  if (opt.bootstrap > 0 && training.empty()) fail("--bootstrap needs the training glasses (--data)");
  FixedPointResult r;
  const BinGrid& g = db.grid;
  // Starts: X1 across the harvested range (bin centres of an even split), stress from 0 to the
  // middle of the harvested stress range.
  for (int i = 0; i < opt.starts_x1; ++i)
    for (int j = 0; j < opt.starts_tau; ++j) {
      RunOptions ro = opt.run;
      ro.x1_start = g.x1_min + (i + 0.5) * (g.x1_max - g.x1_min) / opt.starts_x1;
      ro.tau_start = opt.starts_tau == 1 ? 0.0 : j * 0.5 * (g.tau_max + g.tau_min) / (opt.starts_tau - 1);
      ro.seed = opt.run.seed + static_cast<std::uint64_t>(i * opt.starts_tau + j);
      const RunResult rr = run_ensemble(db, ro);
      FixedPointStart s;
      s.x1_start = ro.x1_start;
      s.tau_start = ro.tau_start;
      steady_state(rr, opt.window, s.x1, s.tau);
      s.gamma = rr.gamma;
      s.mean_x1 = rr.mean_x1;
      s.mean_tau = rr.mean_tau;
      s.outside_lookups = rr.outside_lookups;
      s.fallback_lookups = rr.fallback_lookups;
      s.trajectories_outside = rr.trajectories_outside;
      s.steps = rr.n_traj * rr.n_steps;
      r.starts.push_back(std::move(s));
    }
  {
    std::vector<double> sx, st;
    for (const FixedPointStart& s : r.starts) sx.push_back(s.x1), st.push_back(s.tau);
    r.basins = group_basins(sx, st, (g.x1_max - g.x1_min) / g.n_x1, (g.tau_max - g.tau_min) / g.n_tau);
    for (FixedPointBasin& b : r.basins)
      b.outside = !(b.x1 >= g.x1_min && b.x1 <= g.x1_max && b.tau >= g.tau_min && b.tau <= g.tau_max);
  }
  const FixedPointBasin& main_basin = r.basins.front();
  r.x1 = main_basin.x1;
  r.tau = main_basin.tau;
  for (const int i : main_basin.starts) {
    r.spread_x1 = std::max(r.spread_x1, std::abs(r.starts[i].x1 - r.x1));
    r.spread_tau = std::max(r.spread_tau, std::abs(r.starts[i].tau - r.tau));
  }

  // The mean flow from the fixed point, over as much strain as the ensembles ran.
  const double dgamma = opt.run.dgamma > 0 ? opt.run.dgamma : db.dgamma;
  integrate_mean_flow(db, r.x1, r.tau, dgamma, std::llround(opt.run.gamma_max / dgamma), r.flow_x1, r.flow_tau);
  {
    const std::size_t n = r.flow_x1.size(), from = n - std::max<std::size_t>(1, n / 4);
    double sx = 0.0, st = 0.0;
    for (std::size_t k = from; k < n; ++k) sx += r.flow_x1[k], st += r.flow_tau[k];
    r.attractor_x1 = sx / static_cast<double>(n - from);
    r.attractor_tau = st / static_cast<double>(n - from);
    const double dx = (g.x1_max - g.x1_min) / g.n_x1, dt = (g.tau_max - g.tau_min) / g.n_tau;
    for (std::size_t k = from; k < n; ++k)
      r.attractor_wander = std::max(
          r.attractor_wander, std::hypot((r.flow_x1[k] - r.attractor_x1) / dx, (r.flow_tau[k] - r.attractor_tau) / dt));
  }

  if (!atomistic.empty()) {
    r.aqs = aqs_steady_state(atomistic, db.x1, opt.aqs_window_lo, opt.aqs_window_hi);
    std::map<double, std::vector<AqsTrace>> by_rate;
    for (const AqsTrace& t : atomistic) by_rate[t.cooling_rate].push_back(t);
    for (const auto& [rate, ts] : by_rate) {
      r.aqs_rates.push_back(rate);
      r.aqs_per_rate.push_back(aqs_steady_state(ts, db.x1, opt.aqs_window_lo, opt.aqs_window_hi));
    }
  }

  if (opt.bootstrap > 0) {
    // Glasses, not steps, are resampled (the steps of one glass are correlated), within each
    // cooling rate so that every replica keeps the mix of rates. Each replica runs from the
    // start closest to the fixed point: the central question is where the steady state lies.
    std::map<double, std::vector<const AqsTrace*>> by_rate;
    for (const AqsTrace& t : training) by_rate[t.cooling_rate].push_back(&t);
    std::mt19937_64 rng(opt.bootstrap_seed);
    const HarvestOptions h = harvest_options_of(db);
    for (int k = 0; k < opt.bootstrap; ++k) {
      std::vector<AqsTrace> replica;
      for (const auto& [rate, ts] : by_rate) {
        std::uniform_int_distribution<std::size_t> pick(0, ts.size() - 1);
        for (std::size_t i = 0; i < ts.size(); ++i) replica.push_back(*ts[pick(rng)]);
      }
      Database rdb;
      try {
        rdb = harvest(replica, h);
      } catch (const std::runtime_error&) {
        ++r.boot_failed;  // a replica without any event in the grid: it has no SEEM
        continue;
      }
      RunOptions ro = opt.run;
      ro.n_traj = opt.bootstrap_traj;
      ro.x1_start = r.x1;
      ro.tau_start = 0.0;
      ro.record = true;
      ro.seed = opt.run.seed + 1000003ull * static_cast<std::uint64_t>(k + 1);
      double x1 = 0.0, tau = 0.0;
      const RunResult rr = run_ensemble(rdb, ro);
      steady_state(rr, opt.window, x1, tau);
      r.boot_x1.push_back(x1);
      r.boot_tau.push_back(tau);
      r.boot_outside.push_back(static_cast<double>(rr.outside_lookups) /
                               (static_cast<double>(rr.n_traj) * static_cast<double>(rr.n_steps)));
    }
    std::vector<double> kept_x1, kept_tau;
    for (std::size_t k = 0; k < r.boot_x1.size(); ++k) {
      if (g.bin(r.boot_x1[k], r.boot_tau[k]) < 0) {
        ++r.boot_escaped;
        continue;
      }
      kept_x1.push_back(r.boot_x1[k]);
      kept_tau.push_back(r.boot_tau[k]);
    }
    if (kept_x1.empty())
      fail("every bootstrap replica's steady state lies outside the harvested grid (" + std::to_string(r.boot_escaped) +
           " escaped, " + std::to_string(r.boot_failed) + " without events)");
    r.boot_sd_x1 = standard_deviation(kept_x1);
    r.boot_sd_tau = standard_deviation(kept_tau);
    r.boot_x1_median = percentile(r.boot_x1, 50.0);
    r.boot_tau_median = percentile(r.boot_tau, 50.0);
    r.boot_x1_lo = percentile(r.boot_x1, 16.0);
    r.boot_x1_hi = percentile(r.boot_x1, 84.0);
    r.boot_tau_lo = percentile(r.boot_tau, 16.0);
    r.boot_tau_hi = percentile(r.boot_tau, 84.0);
  }
  return r;
}

void write_fixed_point(const std::string& path, const FixedPointResult& r, const FixedPointOptions& opt,
                       const std::string& database_path) {
  h5::write_file(path, [&](hid_t root) {
    h5::set_attr(root, "database", database_path);
    h5::set_attr(root, "gamma_max", opt.run.gamma_max);
    h5::set_attr(root, "window", opt.window);
    h5::set_attr(root, "n_traj", opt.run.n_traj);
    h5::set_attr(root, "seed", static_cast<std::int64_t>(opt.run.seed));
    h5::set_attr(root, "x1", r.x1);
    h5::set_attr(root, "tau", r.tau);
    h5::set_attr(root, "spread_x1", r.spread_x1);
    h5::set_attr(root, "spread_tau", r.spread_tau);
    h5::set_attr(root, "basins", static_cast<std::int64_t>(r.basins.size()));
    h5::set_attr(root, "main_basin_starts", static_cast<std::int64_t>(r.basins.front().starts.size()));
    h5::set_attr(root, "attractor_x1", r.attractor_x1);
    h5::set_attr(root, "attractor_tau", r.attractor_tau);
    h5::set_attr(root, "attractor_wander_bins", r.attractor_wander);
    h5::write_dataset(root, "flow_x1", r.flow_x1, {static_cast<hsize_t>(r.flow_x1.size())}, h5::Storage::compressed);
    h5::write_dataset(root, "flow_tau", r.flow_tau, {static_cast<hsize_t>(r.flow_tau.size())}, h5::Storage::compressed);
    h5::Handle starts = h5::create_group(root, "starts");
    for (std::size_t i = 0; i < r.starts.size(); ++i) {
      const FixedPointStart& s = r.starts[i];
      h5::Handle gs = h5::create_group(starts.get(), "s" + std::to_string(i));
      h5::set_attr(gs.get(), "x1_start", s.x1_start);
      h5::set_attr(gs.get(), "tau_start", s.tau_start);
      h5::set_attr(gs.get(), "x1", s.x1);
      h5::set_attr(gs.get(), "tau", s.tau);
      h5::set_attr(gs.get(), "outside_lookups", s.outside_lookups);
      h5::set_attr(gs.get(), "fallback_lookups", s.fallback_lookups);
      h5::set_attr(gs.get(), "trajectories_outside", s.trajectories_outside);
      h5::set_attr(gs.get(), "steps", s.steps);
      for (std::size_t b = 0; b < r.basins.size(); ++b)
        for (const int k : r.basins[b].starts)
          if (k == static_cast<int>(i)) h5::set_attr(gs.get(), "basin", static_cast<std::int64_t>(b));
      const hsize_t n = s.gamma.size();
      h5::write_dataset(gs.get(), "gamma", s.gamma, {n}, h5::Storage::compressed);
      h5::write_dataset(gs.get(), "mean_x1", s.mean_x1, {n}, h5::Storage::compressed);
      h5::write_dataset(gs.get(), "mean_tau", s.mean_tau, {n}, h5::Storage::compressed);
    }
    if (!r.boot_x1.empty()) {
      h5::Handle b = h5::create_group(root, "bootstrap");
      h5::set_attr(b.get(), "replicas", static_cast<std::int64_t>(r.boot_x1.size()));
      h5::set_attr(b.get(), "escaped", static_cast<std::int64_t>(r.boot_escaped));
      h5::set_attr(b.get(), "without_events", static_cast<std::int64_t>(r.boot_failed));
      h5::set_attr(b.get(), "statistics",
                   std::string("median, x1_16/84, tau_16/84: over every harvested replica; sd_*: over those whose "
                               "steady state lies in the grid"));
      h5::set_attr(b.get(), "requested", static_cast<std::int64_t>(opt.bootstrap));
      h5::set_attr(b.get(), "x1_median", r.boot_x1_median);
      h5::set_attr(b.get(), "tau_median", r.boot_tau_median);
      h5::set_attr(b.get(), "traj", opt.bootstrap_traj);
      h5::set_attr(b.get(), "sd_x1", r.boot_sd_x1);
      h5::set_attr(b.get(), "sd_tau", r.boot_sd_tau);
      h5::set_attr(b.get(), "x1_16", r.boot_x1_lo);
      h5::set_attr(b.get(), "x1_84", r.boot_x1_hi);
      h5::set_attr(b.get(), "tau_16", r.boot_tau_lo);
      h5::set_attr(b.get(), "tau_84", r.boot_tau_hi);
      h5::write_dataset(b.get(), "x1", r.boot_x1, {static_cast<hsize_t>(r.boot_x1.size())});
      h5::write_dataset(b.get(), "tau", r.boot_tau, {static_cast<hsize_t>(r.boot_tau.size())});
      h5::write_dataset(b.get(), "outside_fraction", r.boot_outside, {static_cast<hsize_t>(r.boot_outside.size())});
    }
    if (r.aqs.glasses > 0) {
      h5::Handle a = h5::create_group(root, "aqs_steady_state");
      h5::set_attr(a.get(), "gamma_lo", opt.aqs_window_lo);
      h5::set_attr(a.get(), "gamma_hi", opt.aqs_window_hi);
      h5::set_attr(a.get(), "glasses", static_cast<std::int64_t>(r.aqs.glasses));
      h5::set_attr(a.get(), "x1", r.aqs.x1);
      h5::set_attr(a.get(), "x1_se", r.aqs.x1_se);
      h5::set_attr(a.get(), "tau", r.aqs.tau);
      h5::set_attr(a.get(), "tau_se", r.aqs.tau_se);
      std::vector<double> rows;
      for (std::size_t i = 0; i < r.aqs_rates.size(); ++i) {
        const SteadyStateAqs& s = r.aqs_per_rate[i];
        rows.insert(rows.end(), {r.aqs_rates[i], static_cast<double>(s.glasses), s.x1, s.x1_se, s.tau, s.tau_se});
      }
      h5::write_dataset(a.get(), "per_rate", rows, {static_cast<hsize_t>(r.aqs_rates.size()), 6});
      h5::set_attr(a.get(), "per_rate_columns", std::string("cooling_rate glasses x1 x1_se tau tau_se"));
    }
  });
}

}  // namespace stz::seem
