// SEEM vs held-out AQS: mean curves, RMS errors, crossings of mean trajectories.
#include "seem/seem_validate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "io/h5.hpp"

namespace stz::seem {

namespace h5 = io::h5;  // the project's HDF5 layer (io/h5.hpp)

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

/// Linear interpolation of y(x) at xq; x strictly increasing, xq inside [x.front(), x.back()].
double interp(const std::vector<double>& x, const std::vector<double>& y, double xq) {
  auto it = std::upper_bound(x.begin(), x.end(), xq);
  if (it == x.begin()) return y.front();
  if (it == x.end()) return y.back();
  const std::size_t i = static_cast<std::size_t>(it - x.begin());
  const double w = (xq - x[i - 1]) / (x[i] - x[i - 1]);
  return y[i - 1] + w * (y[i] - y[i - 1]);
}

double cross2(double ax, double ay, double bx, double by) { return ax * by - ay * bx; }

double mean_of(const std::vector<double>& v, std::size_t from) {
  double s = 0;
  for (std::size_t k = from; k < v.size(); ++k) s += v[k];
  return v.size() > from ? s / static_cast<double>(v.size() - from) : 0.0;
}
}  // namespace

void split_holdout(const std::vector<AqsTrace>& all, int n_holdout, std::vector<AqsTrace>& train,
                   std::vector<AqsTrace>& held) {
  if (n_holdout < 0) fail("holdout count must be >= 0, got " + std::to_string(n_holdout));
  std::map<double, std::vector<const AqsTrace*>> by_rate;
  for (const auto& t : all) by_rate[t.cooling_rate].push_back(&t);
  train.clear();
  held.clear();
  for (auto& [rate, ts] : by_rate) {
    if (n_holdout > 0 && static_cast<int>(ts.size()) <= n_holdout)
      fail("cooling rate " + std::to_string(rate) + " K/ps has " + std::to_string(ts.size()) +
           " samples: cannot hold out " + std::to_string(n_holdout) + " and still train on it");
    std::stable_sort(ts.begin(), ts.end(), [](const AqsTrace* a, const AqsTrace* b) {
      return a->sample != b->sample ? a->sample < b->sample : a->name < b->name;
    });
    for (std::size_t i = 0; i < ts.size(); ++i)
      (static_cast<int>(i) >= static_cast<int>(ts.size()) - n_holdout ? held : train).push_back(*ts[i]);
  }
}

MeanCurves aqs_mean(const std::vector<AqsTrace>& traces, const X1Params& p, const std::vector<double>& gamma) {
  if (traces.empty()) fail("aqs_mean: no traces");
  MeanCurves m;
  m.gamma = gamma;
  const std::size_t n = gamma.size();
  m.mean_tau.assign(n, 0.0);
  m.mean_x1.assign(n, 0.0);
  m.sd_tau.assign(n, 0.0);
  m.sd_x1.assign(n, 0.0);
  std::vector<std::vector<double>> taus, x1s;
  for (const auto& t : traces) {
    const auto x1 = x1_series(t, p);
    std::vector<double> a(n), b(n);
    for (std::size_t k = 0; k < n; ++k) {
      a[k] = interp(t.gamma, t.tau, gamma[k]);
      b[k] = interp(t.gamma, x1, gamma[k]);
    }
    taus.push_back(std::move(a));
    x1s.push_back(std::move(b));
  }
  const double nt = static_cast<double>(traces.size());
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t i = 0; i < traces.size(); ++i) {
      m.mean_tau[k] += taus[i][k] / nt;
      m.mean_x1[k] += x1s[i][k] / nt;
    }
    if (traces.size() > 1) {
      for (std::size_t i = 0; i < traces.size(); ++i) {
        m.sd_tau[k] += (taus[i][k] - m.mean_tau[k]) * (taus[i][k] - m.mean_tau[k]);
        m.sd_x1[k] += (x1s[i][k] - m.mean_x1[k]) * (x1s[i][k] - m.mean_x1[k]);
      }
      m.sd_tau[k] = std::sqrt(m.sd_tau[k] / (nt - 1));
      m.sd_x1[k] = std::sqrt(m.sd_x1[k] / (nt - 1));
    }
  }
  return m;
}

std::vector<Crossing> find_crossings(const std::vector<std::vector<double>>& x,
                                     const std::vector<std::vector<double>>& y,
                                     const std::vector<std::vector<double>>& g) {
  std::vector<Crossing> out;
  for (std::size_t a = 0; a < x.size(); ++a)
    for (std::size_t b = a + 1; b < x.size(); ++b)
      for (std::size_t i = 0; i + 1 < x[a].size(); ++i)
        for (std::size_t j = 0; j + 1 < x[b].size(); ++j) {
          // p + t r = q + u s, solved with 2D cross products.
          const double rx = x[a][i + 1] - x[a][i], ry = y[a][i + 1] - y[a][i];
          const double sx = x[b][j + 1] - x[b][j], sy = y[b][j + 1] - y[b][j];
          const double den = cross2(rx, ry, sx, sy);
          if (den == 0.0) continue;  // parallel or degenerate: no proper crossing
          const double qx = x[b][j] - x[a][i], qy = y[b][j] - y[a][i];
          const double t = cross2(qx, qy, sx, sy) / den;
          const double u = cross2(qx, qy, rx, ry) / den;
          // half-open (0, 1]: a crossing exactly at a shared vertex is counted once
          if (t > 0.0 && t <= 1.0 && u > 0.0 && u <= 1.0) {
            Crossing c;
            c.a = static_cast<int>(a);
            c.b = static_cast<int>(b);
            c.x1 = x[a][i] + t * rx;
            c.tau = y[a][i] + t * ry;
            c.gamma_a = g[a][i] + t * (g[a][i + 1] - g[a][i]);
            c.gamma_b = g[b][j] + u * (g[b][j + 1] - g[b][j]);
            out.push_back(c);
          }
        }
  return out;
}

double rms_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.empty()) fail("rms_difference: sizes differ or are zero");
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return std::sqrt(s / static_cast<double>(a.size()));
}

ValidationResult validate(const Database& db, const std::vector<AqsTrace>& train, const std::vector<AqsTrace>& held,
                          const RunOptions& opt) {
  if (held.empty()) fail("validation needs held-out samples (use --holdout >= 1)");
  // Guard against leakage: a held-out trace must not have been used to build the database.
  for (const auto& t : held)
    for (const auto& s : db.sources)
      if (s == t.name)
        fail("held-out sample '" + t.name + "' was used to harvest the database: harvest with the same --holdout");
  std::map<double, std::vector<AqsTrace>> h, tr;
  for (const auto& t : held) h[t.cooling_rate].push_back(t);
  for (const auto& t : train) tr[t.cooling_rate].push_back(t);

  ValidationResult v;
  for (auto& [rate, ts] : h) {
    RateValidation rv;
    rv.rate = rate;
    rv.n_held = static_cast<int>(ts.size());
    rv.n_train = static_cast<int>(tr[rate].size());
    double gmax = opt.gamma_max;
    for (const auto& t : ts) gmax = std::min(gmax, t.gamma.back());
    for (const auto& t : tr[rate]) gmax = std::min(gmax, t.gamma.back());
    double x0 = 0, t0 = 0;
    for (const auto& t : ts) {
      x0 += x1_series(t, db.x1)[0] / static_cast<double>(ts.size());
      t0 += t.tau[0] / static_cast<double>(ts.size());
    }
    RunOptions o = opt;
    o.x1_start = x0;
    o.tau_start = t0;
    o.gamma_max = gmax;
    rv.x1_start = x0;
    rv.tau_start = t0;
    rv.seem = run_ensemble(db, o);
    // SEEM starts at strain 0; the AQS traces at their first state (also 0 for our data).
    std::vector<double> g = rv.seem.gamma;
    const double g0 = ts.front().gamma.front();
    for (double& x : g) x = std::min(x + g0, gmax);
    rv.held = aqs_mean(ts, db.x1, g);
    std::vector<AqsTrace> all = ts;
    if (!tr[rate].empty()) {
      rv.train = aqs_mean(tr[rate], db.x1, g);
      all.insert(all.end(), tr[rate].begin(), tr[rate].end());
      rv.rms_tau_train = rms_difference(rv.train.mean_tau, rv.held.mean_tau);
      rv.rms_x1_train = rms_difference(rv.train.mean_x1, rv.held.mean_x1);
    }
    rv.all = aqs_mean(all, db.x1, g);
    rv.rms_tau = rms_difference(rv.seem.mean_tau, rv.held.mean_tau);
    rv.rms_x1 = rms_difference(rv.seem.mean_x1, rv.held.mean_x1);
    rv.peak_tau_seem = *std::max_element(rv.seem.mean_tau.begin(), rv.seem.mean_tau.end());
    rv.peak_tau_aqs = *std::max_element(rv.held.mean_tau.begin(), rv.held.mean_tau.end());
    rv.yield_seem = rv.seem.peak_tau_mean;
    rv.yield_seem_sd = rv.seem.peak_tau_sd;
    std::vector<double> peaks;
    for (const auto& t : ts) {
      double m = t.tau.front();
      for (std::size_t k = 0; k < t.tau.size() && t.gamma[k] <= gmax; ++k) m = std::max(m, t.tau[k]);
      peaks.push_back(m);
    }
    for (double x : peaks) rv.yield_aqs += x / static_cast<double>(peaks.size());
    for (double x : peaks) rv.yield_aqs_sd += (x - rv.yield_aqs) * (x - rv.yield_aqs);
    rv.yield_aqs_sd = peaks.size() > 1 ? std::sqrt(rv.yield_aqs_sd / static_cast<double>(peaks.size() - 1)) : 0.0;
    const std::size_t from = 2 * rv.seem.mean_tau.size() / 3;
    rv.flow_tau_seem = mean_of(rv.seem.mean_tau, from);
    rv.flow_tau_aqs = mean_of(rv.held.mean_tau, from);
    v.rates.push_back(std::move(rv));
  }
  std::vector<std::vector<double>> ax, ay, ag, sx, sy, sg;
  for (const auto& rv : v.rates) {
    ax.push_back(rv.all.mean_x1);
    ay.push_back(rv.all.mean_tau);
    ag.push_back(rv.all.gamma);
    sx.push_back(rv.seem.mean_x1);
    sy.push_back(rv.seem.mean_tau);
    sg.push_back(rv.seem.gamma);
  }
  v.crossings_aqs = find_crossings(ax, ay, ag);
  v.crossings_seem = find_crossings(sx, sy, sg);
  return v;
}

void write_validation(const std::string& path, const ValidationResult& v, const Database& db,
                      const std::string& database_path) {
  // Written under a temporary name, closed (checked) and renamed into place (atomic).
  h5::write_file(path, [&](hid_t root_id) {
    const hid_t root = root_id;
    h5::set_attr(root, "database", database_path);
    h5::set_attr(root, "dgamma", db.dgamma);
    h5::set_attr(root, "n_crossings_aqs", static_cast<std::int64_t>(v.crossings_aqs.size()));
    h5::set_attr(root, "n_crossings_seem", static_cast<std::int64_t>(v.crossings_seem.size()));
    auto write_crossings = [&](const std::string& name, const std::vector<Crossing>& cs) {
      std::vector<double> rows;
      for (const auto& c : cs) {
        rows.insert(rows.end(), {v.rates[c.a].rate, v.rates[c.b].rate, c.gamma_a, c.gamma_b, c.x1, c.tau});
      }
      h5::write_dataset(root, name, rows, {static_cast<hsize_t>(cs.size()), 6}, h5::Storage::compressed);
    };
    write_crossings("crossings_aqs", v.crossings_aqs);
    write_crossings("crossings_seem", v.crossings_seem);
    h5::set_attr(root, "crossings_columns", std::string("rate_a rate_b gamma_a gamma_b x1 tau"));
    h5::Handle rates = h5::create_group(root, "rates");
    for (const auto& rv : v.rates) {
      char name[64];
      std::snprintf(name, sizeof name, "r%g", rv.rate);
      h5::Handle g = h5::create_group(rates.get(), name);
      const hid_t id = g.get();
      h5::set_attr(id, "cooling_rate", rv.rate);
      h5::set_attr(id, "n_train", static_cast<std::int64_t>(rv.n_train));
      h5::set_attr(id, "n_held", static_cast<std::int64_t>(rv.n_held));
      h5::set_attr(id, "x1_start", rv.x1_start);
      h5::set_attr(id, "tau_start", rv.tau_start);
      h5::set_attr(id, "rms_tau", rv.rms_tau);
      h5::set_attr(id, "rms_x1", rv.rms_x1);
      h5::set_attr(id, "rms_tau_train", rv.rms_tau_train);
      h5::set_attr(id, "rms_x1_train", rv.rms_x1_train);
      h5::set_attr(id, "peak_tau_seem", rv.peak_tau_seem);
      h5::set_attr(id, "peak_tau_aqs", rv.peak_tau_aqs);
      h5::set_attr(id, "yield_seem", rv.yield_seem);
      h5::set_attr(id, "yield_seem_sd", rv.yield_seem_sd);
      h5::set_attr(id, "yield_aqs", rv.yield_aqs);
      h5::set_attr(id, "yield_aqs_sd", rv.yield_aqs_sd);
      h5::set_attr(id, "flow_tau_seem", rv.flow_tau_seem);
      h5::set_attr(id, "flow_tau_aqs", rv.flow_tau_aqs);
      h5::set_attr(id, "n_traj", rv.seem.n_traj);
      h5::set_attr(id, "events", rv.seem.events);
      h5::set_attr(id, "fallback_lookups", rv.seem.fallback_lookups);
      h5::set_attr(id, "outside_lookups", rv.seem.outside_lookups);
      h5::set_attr(id, "trajectories_outside", rv.seem.trajectories_outside);
      h5::set_attr(id, "backend", rv.seem.backend);
      h5::write_dataset(id, "gamma", rv.seem.gamma, {}, h5::Storage::compressed);
      h5::write_dataset(id, "seem_mean_tau", rv.seem.mean_tau, {}, h5::Storage::compressed);
      h5::write_dataset(id, "seem_mean_x1", rv.seem.mean_x1, {}, h5::Storage::compressed);
      h5::write_dataset(id, "seem_percentiles", rv.seem.percentiles, {}, h5::Storage::compressed);
      std::vector<double> pt, px;
      for (std::size_t p = 0; p < rv.seem.percentiles.size(); ++p) {
        pt.insert(pt.end(), rv.seem.pct_tau[p].begin(), rv.seem.pct_tau[p].end());
        px.insert(px.end(), rv.seem.pct_x1[p].begin(), rv.seem.pct_x1[p].end());
      }
      const std::vector<hsize_t> dims{static_cast<hsize_t>(rv.seem.percentiles.size()),
                                      static_cast<hsize_t>(rv.seem.gamma.size())};
      h5::write_dataset(id, "seem_pct_tau", pt, dims, h5::Storage::compressed);
      h5::write_dataset(id, "seem_pct_x1", px, dims, h5::Storage::compressed);
      h5::write_dataset(id, "held_mean_tau", rv.held.mean_tau, {}, h5::Storage::compressed);
      h5::write_dataset(id, "held_sd_tau", rv.held.sd_tau, {}, h5::Storage::compressed);
      h5::write_dataset(id, "held_mean_x1", rv.held.mean_x1, {}, h5::Storage::compressed);
      h5::write_dataset(id, "held_sd_x1", rv.held.sd_x1, {}, h5::Storage::compressed);
      if (!rv.train.mean_tau.empty()) {
        h5::write_dataset(id, "train_mean_tau", rv.train.mean_tau, {}, h5::Storage::compressed);
        h5::write_dataset(id, "train_mean_x1", rv.train.mean_x1, {}, h5::Storage::compressed);
      }
      h5::write_dataset(id, "all_mean_tau", rv.all.mean_tau, {}, h5::Storage::compressed);
      h5::write_dataset(id, "all_mean_x1", rv.all.mean_x1, {}, h5::Storage::compressed);
    }
  });
}

void split_fold(const std::vector<AqsTrace>& all, int folds, int fold, std::vector<AqsTrace>& train,
                std::vector<AqsTrace>& held) {
  if (folds < 2) fail("--folds = " + std::to_string(folds) + ": allowed 2 or more");
  std::map<double, std::vector<const AqsTrace*>> by_rate;
  for (const auto& t : all) by_rate[t.cooling_rate].push_back(&t);
  train.clear();
  held.clear();
  for (auto& [rate, ts] : by_rate) {
    if (static_cast<int>(ts.size()) < folds)
      fail("--folds = " + std::to_string(folds) + ": cooling rate " + std::to_string(rate) + " K/ps has only " +
           std::to_string(ts.size()) + " glasses (allowed: at most as many folds as the smallest rate has glasses)");
    std::stable_sort(ts.begin(), ts.end(), [](const AqsTrace* a, const AqsTrace* b) {
      return a->sample != b->sample ? a->sample < b->sample : a->name < b->name;
    });
    for (std::size_t i = 0; i < ts.size(); ++i)
      (static_cast<int>(i % static_cast<std::size_t>(folds)) == fold ? held : train).push_back(*ts[i]);
  }
}

namespace {
/// `held_over_train`: the fold's held-out over training glasses (the Nadeau-Bengio term).
FoldStat fold_stat(const std::vector<double>& v, double held_over_train) {
  FoldStat s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x / static_cast<double>(v.size());
  if (v.size() > 1) {
    double q = 0.0;
    for (double x : v) q += (x - s.mean) * (x - s.mean);
    s.se = std::sqrt((1.0 / static_cast<double>(v.size()) + held_over_train) * q / static_cast<double>(v.size() - 1));
  }
  return s;
}
}  // namespace

KFoldResult kfold_validate(const Database& base, const std::vector<AqsTrace>& all, int folds, const RunOptions& opt,
                           const std::vector<X1Params>& fold_x1) {
  KFoldResult k;
  k.folds = folds;
  if (!fold_x1.empty() && static_cast<int>(fold_x1.size()) != folds)
    fail("k-fold: " + std::to_string(fold_x1.size()) + " X1 fits for " + std::to_string(folds) +
         " folds (allowed: none, or one per fold)");
  k.per_fold_x1 = !fold_x1.empty();
  HarvestOptions h = harvest_options_of(base);
  std::map<double, std::vector<const RateValidation*>> by_rate;
  std::map<double, int> glasses;
  for (int f = 0; f < folds; ++f) {
    std::vector<AqsTrace> train, held;
    split_fold(all, folds, f, train, held);
    if (k.per_fold_x1) {
      // The base grid's X1 range is in the base fit's X1; under the fold's own fit the states
      // move (u0 and uA shift X1 by meV/atom), so the fold chooses its X1 range from its own
      // training states, as an automatic harvest does (bin counts and stress range stay).
      h.x1 = fold_x1[static_cast<std::size_t>(f)];
      h.grid.x1_min = h.grid.x1_max = 0.0;
    }
    const Database db = harvest(train, h);
    RunOptions o = opt;
    o.seed = opt.seed + static_cast<std::uint64_t>(f) * 7919u;
    k.per_fold.push_back(validate(db, train, held, o));
    std::vector<std::string> names;
    for (const AqsTrace& t : held) {
      names.push_back(t.name);
      ++glasses[t.cooling_rate];
    }
    k.held_names.push_back(std::move(names));
  }
  for (const ValidationResult& v : k.per_fold)
    for (const RateValidation& rv : v.rates) by_rate[rv.rate].push_back(&rv);
  for (const auto& [rate, rvs] : by_rate) {
    KFoldRate r;
    r.rate = rate;
    r.folds = static_cast<int>(rvs.size());
    r.glasses = glasses[rate];
    double ratio = 0.0;
    for (const RateValidation* rv : rvs)
      ratio += static_cast<double>(rv->n_held) / std::max(rv->n_train, 1) / static_cast<double>(rvs.size());
    auto stat = [&](auto get) {
      std::vector<double> v;
      for (const RateValidation* rv : rvs) v.push_back(get(*rv));
      return fold_stat(v, ratio);
    };
    r.rms_tau = stat([](const RateValidation& x) { return x.rms_tau; });
    r.floor_tau = stat([](const RateValidation& x) { return x.rms_tau_train; });
    r.rms_x1 = stat([](const RateValidation& x) { return x.rms_x1; });
    r.floor_x1 = stat([](const RateValidation& x) { return x.rms_x1_train; });
    r.yield_seem = stat([](const RateValidation& x) { return x.yield_seem; });
    r.yield_aqs = stat([](const RateValidation& x) { return x.yield_aqs; });
    r.flow_seem = stat([](const RateValidation& x) { return x.flow_tau_seem; });
    r.flow_aqs = stat([](const RateValidation& x) { return x.flow_tau_aqs; });
    r.yield_error = stat([](const RateValidation& x) { return x.yield_seem - x.yield_aqs; });
    r.flow_error = stat([](const RateValidation& x) { return x.flow_tau_seem - x.flow_tau_aqs; });
    r.rms_excess = stat([](const RateValidation& x) { return x.rms_tau - x.rms_tau_train; });
    k.rates.push_back(r);
  }
  return k;
}

void write_kfold(const std::string& path, const KFoldResult& k, const std::string& database_path) {
  h5::write_file(path, [&](hid_t root) {
    h5::set_attr(root, "database", database_path);
    h5::set_attr(root, "folds", static_cast<std::int64_t>(k.folds));
    h5::set_attr(root, "x1_fit",
                 std::string(k.per_fold_x1 ? "one per fold (--fold-fits); X1 bin range chosen per fold"
                                           : "the database's, for every fold, with its grid"));
    h5::set_attr(root, "statistics",
                 std::string("per cooling rate: mean over folds and its standard error, corrected for the overlap "
                             "of the folds' training sets (Nadeau and Bengio 2003: (1/K + n_held/n_train) sd^2)"));
    std::vector<double> rows;
    for (const KFoldRate& r : k.rates)
      for (double x : {r.rate,
                       static_cast<double>(r.folds),
                       static_cast<double>(r.glasses),
                       r.rms_tau.mean,
                       r.rms_tau.se,
                       r.floor_tau.mean,
                       r.floor_tau.se,
                       r.rms_x1.mean,
                       r.rms_x1.se,
                       r.floor_x1.mean,
                       r.floor_x1.se,
                       r.yield_seem.mean,
                       r.yield_seem.se,
                       r.yield_aqs.mean,
                       r.yield_aqs.se,
                       r.flow_seem.mean,
                       r.flow_seem.se,
                       r.flow_aqs.mean,
                       r.flow_aqs.se,
                       r.yield_error.mean,
                       r.yield_error.se,
                       r.flow_error.mean,
                       r.flow_error.se})
        rows.push_back(x);
    h5::write_dataset(root, "rates", rows, {static_cast<hsize_t>(k.rates.size()), 23});
    h5::set_attr(root, "rates_columns",
                 std::string("cooling_rate folds glasses rms_tau rms_tau_se floor_tau floor_tau_se rms_x1 rms_x1_se "
                             "floor_x1 floor_x1_se yield_seem yield_seem_se yield_aqs yield_aqs_se flow_seem "
                             "flow_seem_se flow_aqs flow_aqs_se yield_error yield_error_se flow_error flow_error_se"));
    h5::Handle folds = h5::create_group(root, "folds");
    for (std::size_t f = 0; f < k.per_fold.size(); ++f) {
      h5::Handle g = h5::create_group(folds.get(), "f" + std::to_string(f));
      std::string names;
      for (const std::string& n : k.held_names[f]) names += (names.empty() ? "" : " ") + n;
      h5::set_attr(g.get(), "held_out", names);
      for (const RateValidation& rv : k.per_fold[f].rates) {
        char name[64];
        std::snprintf(name, sizeof name, "r%g", rv.rate);
        h5::Handle gr = h5::create_group(g.get(), name);
        h5::set_attr(gr.get(), "rms_tau", rv.rms_tau);
        h5::set_attr(gr.get(), "rms_tau_train", rv.rms_tau_train);
        h5::set_attr(gr.get(), "rms_x1", rv.rms_x1);
        h5::set_attr(gr.get(), "rms_x1_train", rv.rms_x1_train);
        h5::set_attr(gr.get(), "yield_seem", rv.yield_seem);
        h5::set_attr(gr.get(), "yield_aqs", rv.yield_aqs);
        h5::set_attr(gr.get(), "flow_tau_seem", rv.flow_tau_seem);
        h5::set_attr(gr.get(), "flow_tau_aqs", rv.flow_tau_aqs);
        h5::set_attr(gr.get(), "trajectories_outside", rv.seem.trajectories_outside);
        const hsize_t n = rv.seem.gamma.size();
        h5::write_dataset(gr.get(), "gamma", rv.seem.gamma, {n}, h5::Storage::compressed);
        h5::write_dataset(gr.get(), "seem_mean_tau", rv.seem.mean_tau, {n}, h5::Storage::compressed);
        h5::write_dataset(gr.get(), "seem_mean_x1", rv.seem.mean_x1, {n}, h5::Storage::compressed);
        h5::write_dataset(gr.get(), "aqs_mean_tau", rv.held.mean_tau, {n}, h5::Storage::compressed);
        h5::write_dataset(gr.get(), "aqs_mean_x1", rv.held.mean_x1, {n}, h5::Storage::compressed);
      }
    }
  });
}

}  // namespace stz::seem
