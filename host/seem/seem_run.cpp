// Forward SEEM ensembles on CPU threads (OpenMP) or the GPU, and their statistics.
#include "seem/seem_run.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "backends/factory.hpp"
#include "cuda/entry.hpp"
#include "io/h5.hpp"
#include "stz/seem/device.hpp"

namespace stz::seem {

namespace h5 = io::h5;  // the project's HDF5 layer (io/h5.hpp)

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

/// Step indices at which states are recorded: 0, every `every` steps, and the last one.
std::vector<std::int64_t> record_steps(std::int64_t n_steps, int every, bool record) {
  std::vector<std::int64_t> r{0};
  if (record)
    for (std::int64_t s = every; s < n_steps; s += every) r.push_back(s);
  if (n_steps > 0) r.push_back(n_steps);
  return r;
}

}  // namespace

double percentile_sorted(const std::vector<double>& v, double p) {
  if (v.size() == 1) return v[0];
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

StepView StepTables::view() const {
  StepView v = base;
  v.source = source.data();
  v.threshold = threshold.data();
  v.ev_offset = ev_offset.data();
  v.ev_dtau = ev_dtau.data();
  v.ev_dx1 = ev_dx1.data();
  v.lambda = lambda.data();
  return v;
}

StepTables make_step_tables(const Database& db, double dgamma) {
  if (!(dgamma > 0)) fail("SEEM strain step must be > 0, got " + std::to_string(dgamma));
  if (db.total_events() == 0) fail("SEEM database has no plastic events: nothing to sample from");
  const int nb = db.grid.n_bins();
  if (static_cast<int>(db.source.size()) != nb) fail("SEEM database has no unvisited-bin map (source)");
  StepTables t;
  t.source = db.source;
  t.ev_offset = db.ev_offset;
  t.ev_dtau = db.ev_dtau;
  t.ev_dx1 = db.ev_dx1;
  t.threshold.assign(nb, 0u);
  t.lambda.assign(nb, 0.0);
  for (int b = 0; b < nb; ++b) {
    const double lam = std::isfinite(db.lambda[b]) ? db.lambda[b] : 0.0;
    t.lambda[b] = lam;
    const double p = lam * dgamma;  // one event at most per step, as in the AQS data
    t.threshold[b] = p >= 1.0 ? 0xffffffffu : static_cast<std::uint32_t>(p * 4294967296.0);
    if (lam > 0.0 && t.ev_offset[b + 1] == t.ev_offset[b])
      fail("SEEM database bin " + std::to_string(b) + " has lambda > 0 but no recorded events");
  }
  StepView& v = t.base;
  v.n_x1 = db.grid.n_x1;
  v.n_tau = db.grid.n_tau;
  v.x1_min = db.grid.x1_min;
  v.inv_dx1 = db.grid.n_x1 / (db.grid.x1_max - db.grid.x1_min);
  v.tau_min = db.grid.tau_min;
  v.inv_dtau = db.grid.n_tau / (db.grid.tau_max - db.grid.tau_min);
  v.dgamma = dgamma;
  v.G0 = db.x1.G0;
  v.uA = db.x1.uA;
  return t;
}

std::string start_outside_data(const Database& db, double x1, double tau) {
  const BinGrid& g = db.grid;
  std::string s;
  if (!(x1 >= g.x1_min && x1 <= g.x1_max))
    s += "X1 = " + std::to_string(x1) + " eV/atom lies outside the harvested range [" + std::to_string(g.x1_min) +
         ", " + std::to_string(g.x1_max) + "]";
  if (!(tau >= g.tau_min && tau <= g.tau_max))
    s += std::string(s.empty() ? "" : "; ") + "tau = " + std::to_string(tau) +
         " GPa lies outside the harvested range [" + std::to_string(g.tau_min) + ", " + std::to_string(g.tau_max) + "]";
  return s;
}

RunResult run_ensemble(const Database& db, const RunOptions& opt) {
  if (opt.n_traj < 1 || opt.n_traj > 0xffffffffLL)
    fail("SEEM run: number of trajectories must be in [1, 2^32), got " + std::to_string(opt.n_traj));
  if (!(opt.gamma_max > 0) || !std::isfinite(opt.gamma_max))
    fail("SEEM run: final strain must be a finite number > 0, got " + std::to_string(opt.gamma_max));
  if (!(opt.dgamma >= 0) || !std::isfinite(opt.dgamma))
    fail("SEEM run: strain step must be a finite number > 0 (or 0: the training step), got " +
         std::to_string(opt.dgamma));
  if (!std::isfinite(opt.x1_start) || !std::isfinite(opt.tau_start))
    fail("SEEM run: the start state must be finite, got X1 = " + std::to_string(opt.x1_start) +
         " eV/atom, tau = " + std::to_string(opt.tau_start) + " GPa");
  if (opt.record_every < 1) fail("SEEM run: record_every must be >= 1, got " + std::to_string(opt.record_every));
  for (double p : opt.percentiles)
    if (!(p >= 0 && p <= 100)) fail("SEEM run: percentile " + std::to_string(p) + " outside [0, 100]");
  if (opt.device != "auto" && opt.device != "cpu" && opt.device != "cuda")
    fail("SEEM run: device must be auto, cpu or cuda, got '" + opt.device + "'");
  if (opt.process != "steps" && opt.process != "poisson")
    fail("SEEM run: --process = '" + opt.process + "'; allowed: steps, poisson");
  const bool poisson = opt.process == "poisson";
  if (poisson && opt.device == "cuda") fail("SEEM run: --process poisson runs on the CPU only (--backend cpu or auto)");
  const double dgamma = opt.dgamma > 0 ? opt.dgamma : db.dgamma;
  const StepTables tables = make_step_tables(db, dgamma);
  const StepView v = tables.view();

  RunResult r;
  r.n_traj = opt.n_traj;
  r.process = opt.process;
  for (int b = 0; b < db.grid.n_bins(); ++b)  // the lambda each bin's lookups use (its source's)
    r.max_step_probability = std::max(r.max_step_probability, tables.lambda[tables.source[b]] * dgamma);
  if (!(opt.gamma_max / dgamma <= 1e9))
    fail("SEEM run: final strain / strain step = " + std::to_string(opt.gamma_max / dgamma) +
         " steps; allowed at most 1e9");
  r.n_steps = std::llround(opt.gamma_max / dgamma);
  if (r.n_steps < 1) fail("SEEM run: final strain is smaller than one strain step");
  const auto rec = record_steps(r.n_steps, opt.record_every, opt.record);
  const std::size_t n_rec = rec.size();
  const auto nt = static_cast<std::size_t>(opt.n_traj);
  std::vector<float> rec_x1, rec_tau, peak;  // recorded states; each trajectory's maximum stress

  // The same backend selection as `stzkmc run` (auto: a GPU when one is usable).
  bool use_cuda = false;
  try {
    use_cuda = !poisson && resolve_backend_name(opt.device) == "cuda";
  } catch (const std::invalid_argument&) {
    fail("SEEM run: device must be auto, cpu or cuda, got '" + opt.device + "'");
  }
  if (use_cuda && cuda_device_count() == 0)
    fail("SEEM run: --device cuda requested, but no usable CUDA device (or stzkmc was built without CUDA)");

  if (use_cuda) {
    DeviceRunOutput out;
    run_ensemble_cuda(v, tables.source.size(), tables.ev_dtau.size(), opt.seed, opt.n_traj, rec, opt.x1_start,
                      opt.tau_start, rec_x1, rec_tau, peak, out);
    r.events = out.events;
    r.fallback_lookups = out.fallback_lookups;
    r.outside_lookups = out.outside_lookups;
    r.trajectories_outside = out.trajectories_outside;
    r.seconds = out.seconds;
    r.backend = "cuda (" + out.device_name + ")";
  } else {
    rec_x1.assign(n_rec * nt, 0.0f);
    rec_tau.assign(n_rec * nt, 0.0f);
    peak.assign(nt, 0.0f);
    const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
    std::int64_t events = 0, fallback = 0, outside = 0, saturated = 0, left = 0;
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : events, fallback, outside, saturated, left)
    for (std::int64_t j = 0; j < opt.n_traj; ++j) {
      double x1 = opt.x1_start, tau = opt.tau_start, tau_max = tau;
      rec_x1[static_cast<std::size_t>(j)] = static_cast<float>(x1);
      rec_tau[static_cast<std::size_t>(j)] = static_cast<float>(tau);
      std::size_t next = 1;
      std::int64_t ev = 0, fb = 0, os = 0, sat = 0;
      for (std::int64_t s = 0; s < r.n_steps; ++s) {
        std::uint32_t poisson_events = 0;
        const unsigned f =
            poisson ? poisson_step(v, x1, tau, opt.seed, static_cast<std::uint32_t>(j), static_cast<std::uint64_t>(s),
                                   poisson_events, tau_max)
                    : step(v, x1, tau, opt.seed, static_cast<std::uint32_t>(j), static_cast<std::uint64_t>(s));
        ev += poisson ? poisson_events : (f & step_event);
        fb += (f & step_fallback) ? 1 : 0;
        os += (f & step_outside) ? 1 : 0;
        sat += (f & step_saturated) ? 1 : 0;
        tau_max = tau > tau_max ? tau : tau_max;
        if (s + 1 == rec[next]) {
          rec_x1[next * nt + static_cast<std::size_t>(j)] = static_cast<float>(x1);
          rec_tau[next * nt + static_cast<std::size_t>(j)] = static_cast<float>(tau);
          ++next;
        }
      }
      peak[static_cast<std::size_t>(j)] = static_cast<float>(tau_max);
      unsigned end_flags = 0;
      clamped_bin(v, x1, tau, end_flags);  // a trajectory that ends outside the grid has left it too
      events += ev;
      fallback += fb;
      outside += os;
      saturated += sat;
      left += os > 0 || (end_flags & step_outside) ? 1 : 0;
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.events = events;
    r.fallback_lookups = fallback;
    r.outside_lookups = outside;
    r.saturated_steps = saturated;
    r.trajectories_outside = left;
    r.backend = "cpu (" + std::to_string(threads) + " threads)";
  }

  if (opt.save_trajectories > 0) {
    // The first members again, step by step on the CPU: the same draws as the ensemble's.
    TrajectorySamples& t = r.samples;
    t.n = std::min<std::int64_t>(opt.save_trajectories, opt.n_traj);
    t.x1.assign(static_cast<std::size_t>(t.n) * n_rec, 0.0f);
    t.tau.assign(static_cast<std::size_t>(t.n) * n_rec, 0.0f);
    t.ev_offset.assign(1, 0);
    for (std::int64_t j = 0; j < t.n; ++j) {
      double x1 = opt.x1_start, tau = opt.tau_start;
      const std::size_t row = static_cast<std::size_t>(j) * n_rec;
      t.x1[row] = static_cast<float>(x1);
      t.tau[row] = static_cast<float>(tau);
      std::size_t next = 1;
      // Poisson events are written by poisson_step itself, one by one (any number per step).
      constexpr std::uint32_t log_capacity = 4096;
      std::vector<double> lg(log_capacity), lt(log_capacity), lx(log_capacity), ld(log_capacity), ldx(log_capacity);
      for (std::int64_t s = 0; s < r.n_steps; ++s) {
        const double x1_before = x1, tau_before = tau, g = v.G0 * (1.0 - x1 / v.uA);
        if (poisson) {
          PoissonEventLog log{lg.data(), lt.data(), lx.data(), ld.data(), ldx.data(), log_capacity, 0};
          std::uint32_t count = 0;
          double peak_ignored = tau;
          poisson_step(v, x1, tau, opt.seed, static_cast<std::uint32_t>(j), static_cast<std::uint64_t>(s), count,
                       peak_ignored, &log);
          if (count != log.count)
            throw std::runtime_error("SEEM run: a step of trajectory " + std::to_string(j) + " held " +
                                     std::to_string(count) + " events, more than can be saved");
          for (std::uint32_t e = 0; e < log.count; ++e) {
            t.ev_gamma.push_back(static_cast<double>(s) * dgamma + lg[e]);
            t.ev_tau.push_back(lt[e]);
            t.ev_x1.push_back(lx[e]);
            t.ev_dtau.push_back(ld[e]);
            t.ev_dx1.push_back(ldx[e]);
            t.ev_count.push_back(1);
          }
        } else if (step(v, x1, tau, opt.seed, static_cast<std::uint32_t>(j), static_cast<std::uint64_t>(s)) &
                   step_event) {
          t.ev_gamma.push_back(static_cast<double>(s + 1) * dgamma);
          t.ev_tau.push_back(tau_before);
          t.ev_x1.push_back(x1_before);
          t.ev_dtau.push_back(g * dgamma - (tau - tau_before));
          t.ev_dx1.push_back(x1 - x1_before);
          t.ev_count.push_back(1);
        }
        if (s + 1 == rec[next]) {
          t.x1[row + next] = static_cast<float>(x1);
          t.tau[row + next] = static_cast<float>(tau);
          ++next;
        }
      }
      t.ev_offset.push_back(t.ev_gamma.size());
    }
  }

  double pm = 0, pv = 0;
  for (float x : peak) pm += x;
  pm /= static_cast<double>(nt);
  for (float x : peak) pv += (x - pm) * (x - pm);
  r.peak_tau_mean = pm;
  r.peak_tau_sd = nt > 1 ? std::sqrt(pv / static_cast<double>(nt - 1)) : 0.0;

  // Reduce each record point over the ensemble.
  r.percentiles = opt.percentiles;
  r.gamma.resize(n_rec);
  r.mean_tau.resize(n_rec);
  r.mean_x1.resize(n_rec);
  r.sd_tau.resize(n_rec);
  r.sd_x1.resize(n_rec);
  r.pct_tau.assign(opt.percentiles.size(), std::vector<double>(n_rec));
  r.pct_x1.assign(opt.percentiles.size(), std::vector<double>(n_rec));
#pragma omp parallel for schedule(dynamic)
  for (std::size_t k = 0; k < n_rec; ++k) {
    r.gamma[k] = static_cast<double>(rec[k]) * dgamma;
    for (int which = 0; which < 2; ++which) {
      const float* row = (which == 0 ? rec_tau.data() : rec_x1.data()) + k * nt;
      std::vector<double> v(row, row + nt);
      double mean = 0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(nt);
      double var = 0;
      for (double x : v) var += (x - mean) * (x - mean);
      const double sd = nt > 1 ? std::sqrt(var / static_cast<double>(nt - 1)) : 0.0;
      std::sort(v.begin(), v.end());
      for (std::size_t p = 0; p < opt.percentiles.size(); ++p)
        (which == 0 ? r.pct_tau : r.pct_x1)[p][k] = percentile_sorted(v, opt.percentiles[p]);
      (which == 0 ? r.mean_tau : r.mean_x1)[k] = mean;
      (which == 0 ? r.sd_tau : r.sd_x1)[k] = sd;
    }
  }
  return r;
}

void run_trajectories(const Database& db, const RunOptions& opt, std::int64_t n, std::vector<std::vector<double>>& x1,
                      std::vector<std::vector<double>>& tau, std::vector<std::int64_t>& events_per_traj) {
  const double dgamma = opt.dgamma > 0 ? opt.dgamma : db.dgamma;
  const StepTables tables = make_step_tables(db, dgamma);
  const StepView v = tables.view();
  const std::int64_t n_steps = std::llround(opt.gamma_max / dgamma);
  x1.assign(n, {});
  tau.assign(n, {});
  events_per_traj.assign(n, 0);
  for (std::int64_t j = 0; j < n; ++j) {
    double a = opt.x1_start, b = opt.tau_start;
    x1[j].push_back(a);
    tau[j].push_back(b);
    for (std::int64_t s = 0; s < n_steps; ++s) {
      std::uint32_t poisson_events = 0;
      double peak_ignored = b;
      const unsigned f = opt.process == "poisson"
                             ? poisson_step(v, a, b, opt.seed, static_cast<std::uint32_t>(j),
                                            static_cast<std::uint64_t>(s), poisson_events, peak_ignored)
                             : step(v, a, b, opt.seed, static_cast<std::uint32_t>(j), static_cast<std::uint64_t>(s));
      events_per_traj[j] += opt.process == "poisson" ? poisson_events : (f & step_event);
      x1[j].push_back(a);
      tau[j].push_back(b);
    }
  }
}

void write_run(const std::string& path, const RunResult& r, const RunOptions& opt, const std::string& database_path) {
  // Written under a temporary name, closed (checked) and renamed into place (atomic).
  h5::write_file(path, [&](hid_t root_id) {
    const hid_t root = root_id;
    h5::set_attr(root, "database", database_path);
    h5::set_attr(root, "backend", r.backend);
    h5::set_attr(root, "seed", static_cast<std::int64_t>(opt.seed));
    h5::set_attr(root, "n_traj", r.n_traj);
    h5::set_attr(root, "n_steps", r.n_steps);
    h5::set_attr(root, "x1_start", opt.x1_start);
    h5::set_attr(root, "tau_start", opt.tau_start);
    h5::set_attr(root, "events", r.events);
    h5::set_attr(root, "fallback_lookups", r.fallback_lookups);
    h5::set_attr(root, "outside_lookups", r.outside_lookups);
    h5::set_attr(root, "trajectories_outside", r.trajectories_outside);
    h5::set_attr(root, "process", opt.process);
    h5::set_attr(root, "saturated_steps", r.saturated_steps);
    h5::set_attr(root, "max_step_probability", r.max_step_probability);
    h5::set_attr(root, "peak_tau_mean", r.peak_tau_mean);
    h5::set_attr(root, "peak_tau_sd", r.peak_tau_sd);
    h5::set_attr(root, "seconds", r.seconds);
    h5::set_attr(root, "steps_per_second", r.steps_per_second());
    h5::set_attr(
        root, "unvisited_bin_policy",
        std::string("bins with fewer than min_visits training steps use the nearest trusted bin (lambda policy "
                    "monotone: also trusted bins below the running maximum of lambda in their X1 column); "
                    "states outside the grid are clamped to the edge bin first"));
    h5::write_dataset(root, "gamma", r.gamma, {}, h5::Storage::compressed);
    h5::write_dataset(root, "mean_tau", r.mean_tau, {}, h5::Storage::compressed);
    h5::write_dataset(root, "mean_x1", r.mean_x1, {}, h5::Storage::compressed);
    h5::write_dataset(root, "sd_tau", r.sd_tau, {}, h5::Storage::compressed);
    h5::write_dataset(root, "sd_x1", r.sd_x1, {}, h5::Storage::compressed);
    h5::write_dataset(root, "percentiles", r.percentiles, {}, h5::Storage::compressed);
    std::vector<double> pt, px;
    for (std::size_t p = 0; p < r.percentiles.size(); ++p) {
      pt.insert(pt.end(), r.pct_tau[p].begin(), r.pct_tau[p].end());
      px.insert(px.end(), r.pct_x1[p].begin(), r.pct_x1[p].end());
    }
    const std::vector<hsize_t> dims{static_cast<hsize_t>(r.percentiles.size()), static_cast<hsize_t>(r.gamma.size())};
    h5::write_dataset(root, "pct_tau", pt, dims, h5::Storage::compressed);
    h5::write_dataset(root, "pct_x1", px, dims, h5::Storage::compressed);
    const TrajectorySamples& t = r.samples;
    if (t.n > 0) {
      h5::Handle g = h5::create_group(root, "trajectories");
      const hid_t id = g.get();
      h5::set_attr(id, "n", t.n);
      h5::set_attr(id, "events",
                   std::string("per trajectory (CSR ev_offset): the steps that held an event: ev_gamma (strain at the "
                               "step's end), ev_tau and ev_x1 (state before it), ev_dtau (plastic stress drop, GPa), "
                               "ev_dx1 (eV/atom), ev_count (events in the step)"));
      const std::vector<hsize_t> td{static_cast<hsize_t>(t.n), static_cast<hsize_t>(r.gamma.size())};
      h5::write_dataset(id, "x1", t.x1, td, h5::Storage::compressed);
      h5::write_dataset(id, "tau", t.tau, td, h5::Storage::compressed);
      h5::write_dataset(id, "ev_offset", t.ev_offset, {}, h5::Storage::compressed);
      h5::write_dataset(id, "ev_gamma", t.ev_gamma, {}, h5::Storage::compressed);
      h5::write_dataset(id, "ev_tau", t.ev_tau, {}, h5::Storage::compressed);
      h5::write_dataset(id, "ev_x1", t.ev_x1, {}, h5::Storage::compressed);
      h5::write_dataset(id, "ev_dtau", t.ev_dtau, {}, h5::Storage::compressed);
      h5::write_dataset(id, "ev_dx1", t.ev_dx1, {}, h5::Storage::compressed);
      h5::write_dataset(id, "ev_count", t.ev_count, {}, h5::Storage::compressed);
    }
  });
}

}  // namespace stz::seem
