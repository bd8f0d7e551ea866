// Harvest of the SEEM database from AQS traces, and its HDF5 layout.
#include "seem/seem_harvest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "io/h5.hpp"

namespace stz::seem {

namespace h5 = io::h5;  // the project's HDF5 layer (io/h5.hpp)

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }
constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
const char* const database_format = "stzkmc-seem-database-1";
}  // namespace

int BinGrid::bin(double x1, double tau) const {
  if (!(x1 >= x1_min && x1 < x1_max && tau >= tau_min && tau < tau_max)) return -1;
  const int ix = std::min(n_x1 - 1, static_cast<int>((x1 - x1_min) / (x1_max - x1_min) * n_x1));
  const int it = std::min(n_tau - 1, static_cast<int>((tau - tau_min) / (tau_max - tau_min) * n_tau));
  return ix * n_tau + it;
}

std::int64_t Database::trusted_bins() const {
  std::int64_t n = 0;
  for (std::size_t b = 0; b < visits.size(); ++b) n += visits[b] >= min_visits ? 1 : 0;
  return n;
}

EventCriterion parse_criterion(const std::string& s) {
  if (s == "drop") return EventCriterion::drop;
  if (s == "elastic") return EventCriterion::elastic;
  fail("event criterion must be 'drop' or 'elastic', got '" + s + "'");
}

const char* criterion_name(EventCriterion c) { return c == EventCriterion::drop ? "drop" : "elastic"; }

LambdaPolicy parse_policy(const std::string& s) {
  if (s == "raw") return LambdaPolicy::raw;
  if (s == "monotone") return LambdaPolicy::monotone;
  fail("lambda policy must be 'raw' or 'monotone', got '" + s + "'");
}

const char* policy_name(LambdaPolicy p) { return p == LambdaPolicy::raw ? "raw" : "monotone"; }

std::vector<double> x1_series(const AqsTrace& t, const X1Params& p) {
  X1Params q = p;
  if (t.omega > 0) q.omega = t.omega;  // each glass has its own volume per atom
  std::vector<double> x(t.pe.size());
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = x1_from_energy(t.pe[k], t.tau[k], q);
  return x;
}

HarvestOptions harvest_options_of(const Database& db) {
  HarvestOptions h;
  h.grid = db.grid;
  h.x1 = db.x1;
  h.criterion = db.criterion;
  h.drop_threshold = db.drop_threshold;
  h.min_visits = db.min_visits;
  h.policy = db.policy;
  h.hist_bins = db.hist_bins;
  return h;
}

void assign_sources(Database& db) {
  const int nb = db.grid.n_bins();
  const int nt = db.grid.n_tau;
  if (db.min_visits < 1) fail("min_visits must be >= 1, got " + std::to_string(db.min_visits));
  db.source.assign(nb, -1);
  std::vector<int> trusted;
  for (int b = 0; b < nb; ++b)
    if (db.visits[b] >= db.min_visits) trusted.push_back(b);
  if (trusted.empty())
    fail("no bin of the " + std::to_string(db.grid.n_x1) + "x" + std::to_string(nt) + " grid has at least " +
         std::to_string(db.min_visits) + " visits (min_visits); use fewer bins, a smaller --min-visits or more data");
  for (int b : trusted) db.source[b] = b;
  if (db.policy == LambdaPolicy::monotone && !db.lambda.empty()) {
    // Walk each X1 column upward in stress; a trusted bin below the running maximum of lambda
    // borrows the statistics (lambda and events) of the bin that holds that maximum.
    for (int ix = 0; ix < db.grid.n_x1; ++ix) {
      int best = -1;
      for (int it = 0; it < nt; ++it) {
        const int b = ix * nt + it;
        if (db.visits[b] < db.min_visits) continue;
        if (best < 0 || db.lambda[b] >= db.lambda[best])
          best = b;
        else
          db.source[b] = best;
      }
    }
  }
  for (int b = 0; b < nb; ++b) {
    if (db.visits[b] >= db.min_visits) continue;
    const int ix = b / nt, it = b % nt;
    long best_d = std::numeric_limits<long>::max();
    int nearest = -1;
    for (int t : trusted) {  // ascending order: ties go to the lower index
      const long dx = t / nt - ix, dy = t % nt - it;
      const long d = dx * dx + dy * dy;
      if (d < best_d) {
        best_d = d;
        nearest = t;
      }
    }
    db.source[b] = db.source[nearest];
  }
}

Database harvest(const std::vector<AqsTrace>& traces, const HarvestOptions& opt) {
  if (traces.empty()) fail("harvest: no AQS traces given");
  if (opt.grid.n_x1 < 1 || opt.grid.n_tau < 1)
    fail("harvest: the grid needs at least 1x1 bins, got " + std::to_string(opt.grid.n_x1) + "x" +
         std::to_string(opt.grid.n_tau));
  if (opt.hist_bins < 1) fail("harvest: hist_bins must be >= 1, got " + std::to_string(opt.hist_bins));
  if (!(opt.x1.G0 > 0) || !(opt.x1.uA > 0) || !(opt.x1.tauA > 0) || !(opt.x1.tauB > 0) || !(opt.x1.omega > 0))
    fail("harvest: X1 parameters G0, uA, tauA, tauB, omega must be positive");

  std::vector<std::vector<double>> x1s;
  for (const auto& t : traces) {
    validate_trace(t);
    x1s.push_back(x1_series(t, opt.x1));
  }

  Database db;
  db.grid = opt.grid;
  db.x1 = opt.x1;
  db.criterion = opt.criterion;
  db.drop_threshold = opt.drop_threshold;
  db.min_visits = opt.min_visits;
  db.policy = opt.policy;
  db.hist_bins = opt.hist_bins;
  for (const auto& t : traces) db.sources.push_back(t.name);

  // Automatic ranges from the states that start a step (the ones that get binned).
  auto widen = [&](double& lo, double& hi, double dlo, double dhi) {
    const double span = dhi - dlo > 0 ? dhi - dlo : std::max(std::abs(dhi), 1e-12);
    lo = dlo - opt.range_margin * span;
    hi = dhi + opt.range_margin * span;
  };
  if (!(db.grid.x1_max > db.grid.x1_min) || !(db.grid.tau_max > db.grid.tau_min)) {
    double xlo = 1e300, xhi = -1e300, tlo = 1e300, thi = -1e300;
    for (std::size_t i = 0; i < traces.size(); ++i)
      for (std::size_t k = 0; k + 1 < traces[i].tau.size(); ++k) {
        xlo = std::min(xlo, x1s[i][k]), xhi = std::max(xhi, x1s[i][k]);
        tlo = std::min(tlo, traces[i].tau[k]), thi = std::max(thi, traces[i].tau[k]);
      }
    if (!(db.grid.x1_max > db.grid.x1_min)) widen(db.grid.x1_min, db.grid.x1_max, xlo, xhi);
    if (!(db.grid.tau_max > db.grid.tau_min)) widen(db.grid.tau_min, db.grid.tau_max, tlo, thi);
  }

  const int nb = db.grid.n_bins();
  db.strain.assign(nb, 0.0);
  db.visits.assign(nb, 0);
  db.events.assign(nb, 0);
  std::vector<double> sum_dx1_ev(nb, 0.0), sum_dtau_ev(nb, 0.0), sum_dx1(nb, 0.0), sum_dtau(nb, 0.0);
  struct Ev {
    int bin;
    float dtau, dx1;
  };
  std::vector<Ev> evs;
  std::vector<double> steps;
  std::int64_t outside = 0, total = 0;

  for (std::size_t i = 0; i < traces.size(); ++i) {
    const auto& t = traces[i];
    const auto& x = x1s[i];
    for (std::size_t k = 0; k + 1 < t.tau.size(); ++k) {
      const double dg = t.gamma[k + 1] - t.gamma[k];
      steps.push_back(dg);
      ++total;
      const int b = db.grid.bin(x[k], t.tau[k]);
      if (b < 0) {
        ++outside;
        continue;
      }
      const double dtau = t.tau[k + 1] - t.tau[k];
      const double dx1 = x[k + 1] - x[k];
      X1Params q = opt.x1;
      if (t.omega > 0) q.omega = t.omega;
      const double dtau_pl = shear_modulus(x[k], q) * dg - dtau;
      db.strain[b] += dg;
      db.visits[b] += 1;
      sum_dx1[b] += dx1;
      sum_dtau[b] += dtau;
      const bool event =
          opt.criterion == EventCriterion::drop ? dtau < -opt.drop_threshold : dtau_pl > opt.drop_threshold;
      if (event) {
        db.events[b] += 1;
        sum_dx1_ev[b] += dx1;
        sum_dtau_ev[b] += dtau_pl;
        evs.push_back({b, static_cast<float>(dtau_pl), static_cast<float>(dx1)});
      }
    }
  }
  if (outside == total)
    fail("harvest: all " + std::to_string(total) + " AQS steps lie outside the grid (X1 in [" +
         std::to_string(db.grid.x1_min) + ", " + std::to_string(db.grid.x1_max) + "], tau in [" +
         std::to_string(db.grid.tau_min) + ", " + std::to_string(db.grid.tau_max) +
         "]); check the ranges and the X1 fit (u0)");
  if (evs.empty())
    fail("harvest: no plastic events found in " + std::to_string(total) + " AQS steps (criterion '" +
         std::string(criterion_name(opt.criterion)) + "', threshold " + std::to_string(opt.drop_threshold) +
         " GPa): SEEM cannot be trained on purely elastic data");

  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  db.dgamma = steps[steps.size() / 2];

  db.lambda.assign(nb, nan_value);
  db.mean_dx1.assign(nb, nan_value);
  db.mean_dtau.assign(nb, nan_value);
  db.flow_dx1.assign(nb, nan_value);
  db.flow_dtau.assign(nb, nan_value);
  for (int b = 0; b < nb; ++b) {
    if (db.visits[b] > 0) {
      db.lambda[b] = static_cast<double>(db.events[b]) / db.strain[b];
      db.flow_dx1[b] = sum_dx1[b] / db.strain[b];
      db.flow_dtau[b] = sum_dtau[b] / db.strain[b];
    }
    if (db.events[b] > 0) {
      db.mean_dx1[b] = sum_dx1_ev[b] / static_cast<double>(db.events[b]);
      db.mean_dtau[b] = sum_dtau_ev[b] / static_cast<double>(db.events[b]);
    }
  }

  // Events sorted by bin (stable: keeps the order of the traces within a bin).
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.bin < b.bin; });
  db.ev_offset.assign(nb + 1, 0);
  for (const Ev& e : evs) db.ev_offset[e.bin + 1] += 1;
  std::partial_sum(db.ev_offset.begin(), db.ev_offset.end(), db.ev_offset.begin());
  for (const Ev& e : evs) {
    db.ev_dtau.push_back(e.dtau);
    db.ev_dx1.push_back(e.dx1);
  }

  // Per-bin 2D histograms on common edges (the events' full range, slightly widened so the
  // maximum falls inside the last bin).
  const int hb = opt.hist_bins;
  auto edges = [hb](const std::vector<float>& v) {
    const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
    double lo = *lo_it, hi = *hi_it;
    const double pad = std::max(1e-12, 1e-6 * (hi - lo));
    hi += pad;
    if (hi <= lo) hi = lo + 1e-12;
    std::vector<double> e(hb + 1);
    for (int i = 0; i <= hb; ++i) e[i] = lo + (hi - lo) * i / hb;
    return e;
  };
  db.hist_dtau_edges = edges(db.ev_dtau);
  db.hist_dx1_edges = edges(db.ev_dx1);
  db.hist.assign(static_cast<std::size_t>(nb) * hb * hb, 0);
  auto hidx = [hb](const std::vector<double>& e, double v) {
    const int i = static_cast<int>((v - e[0]) / (e[hb] - e[0]) * hb);
    return std::clamp(i, 0, hb - 1);
  };
  for (int b = 0; b < nb; ++b)
    for (std::uint32_t k = db.ev_offset[b]; k < db.ev_offset[b + 1]; ++k) {
      const int i = hidx(db.hist_dtau_edges, db.ev_dtau[k]);
      const int j = hidx(db.hist_dx1_edges, db.ev_dx1[k]);
      db.hist[(static_cast<std::size_t>(b) * hb + i) * hb + j] += 1;
    }

  assign_sources(db);
  return db;
}

void write_database(const std::string& path, const Database& db) {
  // Written under a temporary name, closed (checked) and renamed into place (atomic).
  h5::write_file(path, [&](hid_t root_id) {
    const hid_t root = root_id;
    h5::set_attr(root, "format", std::string(database_format));
    h5::set_attr(root, "criterion", std::string(criterion_name(db.criterion)));
    h5::set_attr(root, "drop_threshold", db.drop_threshold);
    h5::set_attr(root, "min_visits", static_cast<std::int64_t>(db.min_visits));
    h5::set_attr(root, "lambda_policy", std::string(policy_name(db.policy)));
    h5::set_attr(root, "dgamma", db.dgamma);
    h5::set_attr(root, "n_x1", static_cast<std::int64_t>(db.grid.n_x1));
    h5::set_attr(root, "n_tau", static_cast<std::int64_t>(db.grid.n_tau));
    h5::set_attr(root, "x1_min", db.grid.x1_min);
    h5::set_attr(root, "x1_max", db.grid.x1_max);
    h5::set_attr(root, "tau_min", db.grid.tau_min);
    h5::set_attr(root, "tau_max", db.grid.tau_max);
    h5::set_attr(root, "G0", db.x1.G0);
    h5::set_attr(root, "uA", db.x1.uA);
    h5::set_attr(root, "tauA", db.x1.tauA);
    h5::set_attr(root, "tauB", db.x1.tauB);
    h5::set_attr(root, "u0", db.x1.u0);
    h5::set_attr(root, "omega", db.x1.omega);
    h5::set_attr(root, "n_events", db.total_events());
    h5::set_attr(root, "trusted_bins", db.trusted_bins());
    std::string src;
    for (const auto& s : db.sources) src += (src.empty() ? "" : ",") + s;
    h5::set_attr(root, "sources", src);
    h5::set_attr(root, "units", std::string("X1 eV/atom, tau GPa, lambda events per unit shear strain"));

    const std::vector<hsize_t> map_dims{static_cast<hsize_t>(db.grid.n_x1), static_cast<hsize_t>(db.grid.n_tau)};
    h5::Handle maps = h5::create_group(root, "maps");
    h5::write_dataset(maps.get(), "strain", db.strain, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "visits", db.visits, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "events", db.events, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "lambda", db.lambda, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "mean_dx1", db.mean_dx1, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "mean_dtau", db.mean_dtau, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "flow_dx1", db.flow_dx1, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "flow_dtau", db.flow_dtau, map_dims, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "source", db.source, map_dims, h5::Storage::compressed);
    std::vector<double> xe(db.grid.n_x1 + 1), te(db.grid.n_tau + 1);
    for (int i = 0; i <= db.grid.n_x1; ++i)
      xe[i] = db.grid.x1_min + (db.grid.x1_max - db.grid.x1_min) * i / db.grid.n_x1;
    for (int i = 0; i <= db.grid.n_tau; ++i)
      te[i] = db.grid.tau_min + (db.grid.tau_max - db.grid.tau_min) * i / db.grid.n_tau;
    h5::write_dataset(maps.get(), "x1_edges", xe, {}, h5::Storage::compressed);
    h5::write_dataset(maps.get(), "tau_edges", te, {}, h5::Storage::compressed);

    h5::Handle ev = h5::create_group(root, "events");
    h5::write_dataset(ev.get(), "offset", db.ev_offset, {}, h5::Storage::compressed);
    h5::write_dataset(ev.get(), "dtau", db.ev_dtau, {}, h5::Storage::compressed);
    h5::write_dataset(ev.get(), "dx1", db.ev_dx1, {}, h5::Storage::compressed);

    h5::Handle hist = h5::create_group(root, "histograms");
    const auto hb = static_cast<hsize_t>(db.hist_bins);
    h5::write_dataset(hist.get(), "counts", db.hist, {map_dims[0], map_dims[1], hb, hb}, h5::Storage::compressed);
    h5::write_dataset(hist.get(), "dtau_edges", db.hist_dtau_edges, {}, h5::Storage::compressed);
    h5::write_dataset(hist.get(), "dx1_edges", db.hist_dx1_edges, {}, h5::Storage::compressed);
  });
}

Database read_database(const std::string& path) {
  h5::Handle f = h5::open_file(path);
  const hid_t root = f.get();
  const std::string where = "SEEM database '" + path + "'";
  if (!h5::has_attr(root, "format") || h5::attr_string(root, "format") != database_format)
    fail(where + " is not a SEEM database (attribute format != " + database_format +
         "); create one with 'stzkmc seem harvest'");
  Database db;
  db.criterion = parse_criterion(h5::attr_string(root, "criterion"));
  db.drop_threshold = h5::attr_double(root, "drop_threshold");
  db.min_visits = static_cast<int>(h5::attr_int(root, "min_visits"));
  db.policy = parse_policy(h5::attr_string(root, "lambda_policy"));
  db.dgamma = h5::attr_double(root, "dgamma");
  db.grid.n_x1 = static_cast<int>(h5::attr_int(root, "n_x1"));
  db.grid.n_tau = static_cast<int>(h5::attr_int(root, "n_tau"));
  db.grid.x1_min = h5::attr_double(root, "x1_min");
  db.grid.x1_max = h5::attr_double(root, "x1_max");
  db.grid.tau_min = h5::attr_double(root, "tau_min");
  db.grid.tau_max = h5::attr_double(root, "tau_max");
  db.x1.G0 = h5::attr_double(root, "G0");
  db.x1.uA = h5::attr_double(root, "uA");
  db.x1.tauA = h5::attr_double(root, "tauA");
  db.x1.tauB = h5::attr_double(root, "tauB");
  db.x1.u0 = h5::attr_double(root, "u0");
  db.x1.omega = h5::attr_double(root, "omega");
  const std::string src = h5::attr_string(root, "sources");
  for (std::size_t a = 0; a < src.size();) {
    const std::size_t e = std::min(src.find(',', a), src.size());
    db.sources.push_back(src.substr(a, e - a));
    a = e + 1;
  }
  h5::Handle maps = h5::open_group(f, "maps");
  const std::string mw = where + " /maps";
  db.strain = h5::read_vector<double>(maps.get(), "strain");
  db.visits = h5::read_vector<std::int64_t>(maps.get(), "visits");
  db.events = h5::read_vector<std::int64_t>(maps.get(), "events");
  db.lambda = h5::read_vector<double>(maps.get(), "lambda");
  db.mean_dx1 = h5::read_vector<double>(maps.get(), "mean_dx1");
  db.mean_dtau = h5::read_vector<double>(maps.get(), "mean_dtau");
  db.flow_dx1 = h5::read_vector<double>(maps.get(), "flow_dx1");
  db.flow_dtau = h5::read_vector<double>(maps.get(), "flow_dtau");
  db.source = h5::read_vector<std::int32_t>(maps.get(), "source");
  h5::Handle ev = h5::open_group(f, "events");
  db.ev_offset = h5::read_vector<std::uint32_t>(ev.get(), "offset");
  db.ev_dtau = h5::read_vector<float>(ev.get(), "dtau");
  db.ev_dx1 = h5::read_vector<float>(ev.get(), "dx1");
  h5::Handle hist = h5::open_group(f, "histograms");
  db.hist = h5::read_vector<std::int32_t>(hist.get(), "counts");
  db.hist_dtau_edges = h5::read_vector<double>(hist.get(), "dtau_edges");
  db.hist_dx1_edges = h5::read_vector<double>(hist.get(), "dx1_edges");
  db.hist_bins = static_cast<int>(db.hist_dtau_edges.size()) - 1;

  const auto nb = static_cast<std::size_t>(db.grid.n_bins());
  if (db.lambda.size() != nb || db.visits.size() != nb || db.source.size() != nb || db.ev_offset.size() != nb + 1 ||
      db.ev_dtau.size() != db.ev_offset.back() || db.ev_dx1.size() != db.ev_dtau.size())
    fail(where + ": inconsistent sizes (maps, offsets and events do not match the " + std::to_string(db.grid.n_x1) +
         "x" + std::to_string(db.grid.n_tau) + " grid)");
  return db;
}

}  // namespace stz::seem
