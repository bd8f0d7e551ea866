// `stzkmc seem ...`: harvest | run | bench | validate | fixedpoint | x1 (docs/seem.md).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "seem/seem_data.hpp"
#include "seem/seem_fixed_point.hpp"
#include "seem/seem_harvest.hpp"
#include "seem/seem_run.hpp"
#include "seem/seem_validate.hpp"

namespace stz::cli {

namespace {

using namespace stz::seem;

/// A number that must be finite and within [lo, hi] (CLI11's Range lets NaN through).
CLI::Validator finite_in(double lo, double hi, const std::string& what = "") {
  return CLI::Validator(
      [lo, hi, what](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
        if (!std::isfinite(v)) return "'" + text + "' is not finite; allowed: a finite number" + what;
        if (v < lo || v > hi)
          return "'" + text + "' is out of range; allowed: [" + CLI::detail::to_string(lo) + ", " +
                 CLI::detail::to_string(hi) + "]" + what;
        return {};
      },
      "FINITE");
}
const double big = 1e300;

/// A scale given as a number or as a fraction "a/b" (e.g. --energy-scale 1/256 for PotEng of a
/// 256-atom glass): rewrites a fraction into its value, which the next validator checks.
CLI::Validator fraction_or_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::size_t slash = text.find('/');
        if (slash == std::string::npos) return {};
        const std::string a = text.substr(0, slash), b = text.substr(slash + 1);
        char *end_a = nullptr, *end_b = nullptr;
        const double num = std::strtod(a.c_str(), &end_a), den = std::strtod(b.c_str(), &end_b);
        if (a.empty() || b.empty() || *end_a != '\0' || *end_b != '\0')
          return "'" + text + "' is not a number or a fraction a/b of two numbers";
        if (!(den != 0.0) || !std::isfinite(num) || !std::isfinite(den))
          return "'" + text + "': a fraction a/b needs finite a and b with b != 0";
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", num / den);
        text = buf;
        return {};
      },
      "NUMBER or a/b");
}

/// `--out`: a file, or a directory (existing, or given with a trailing '/') that receives
/// `default_name` — the same option as `run --out DIR` and `sweep --out DIR`.
std::string output_file(const std::string& out, const char* default_name) {
  if (out.empty()) return out;
  std::error_code ec;
  if (out.back() == '/' || std::filesystem::is_directory(out, ec)) {
    std::filesystem::create_directories(out, ec);
    if (ec) throw std::runtime_error("cannot create the output directory " + out + ": " + ec.message());
    return (std::filesystem::path(out) / default_name).string();
  }
  return out;
}

/// A scale of the X1 model that may be "inf" (its term switched off), but not NaN or <= 0.
CLI::Validator positive_or_inf() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
        if (std::isnan(v) || !(v > 0)) return "'" + text + "': allowed a number > 0, or inf";
        return {};
      },
      "POSITIVE|inf");
}

/// X1 parameter sources shared by the commands that need X1: a fit file plus overrides.
struct X1Options {
  std::string fit;
  double G0 = NAN, uA = NAN, tauA = NAN, tauB = NAN, u0 = NAN, omega = NAN;

  void add(CLI::App* app) {
    app->add_option("--fit", fit, "X1 fit file (HDF5 from tools/seem/fit_x1.py)");
    app->add_option("--G0", G0, "override G0 (GPa)")->check(finite_in(1e-300, big));
    app->add_option("--uA", uA, "override uA (eV/atom; inf: no X1 term)")->check(positive_or_inf());
    app->add_option("--tauA", tauA, "override tauA (GPa; inf: no tau^2 term)")->check(positive_or_inf());
    app->add_option("--tauB", tauB, "override tauB (GPa; inf: no tau^4 term)")->check(positive_or_inf());
    app->add_option("--u0", u0, "override u0 (eV/atom)")->check(finite_in(-big, big));
    app->add_option("--omega", omega, "override the volume per atom (A^3)")->check(finite_in(1e-300, big));
  }
  /// Fit file, else the published values (docs/model.md) with u0 and omega required.
  X1Params resolve() const {
    X1Params p;
    if (!fit.empty()) p = read_x1_fit(fit);
    if (!std::isnan(G0)) p.G0 = G0;
    if (!std::isnan(uA)) p.uA = uA;
    if (!std::isnan(tauA)) p.tauA = tauA;
    if (!std::isnan(tauB)) p.tauB = tauB;
    if (!std::isnan(u0)) p.u0 = u0;
    if (!std::isnan(omega)) p.omega = omega;
    if (fit.empty() && (std::isnan(u0) || std::isnan(omega)))
      throw std::runtime_error(
          "X1 needs u0 and omega: give --fit FILE, or --u0 and --omega "
          "(G0, uA, tauA, tauB then default to the published Cu64Zr36 values)");
    return p;
  }
};

bool parse_range(const std::string& s, double& lo, double& hi, const char* what) {
  if (s.empty()) return false;
  const auto comma = s.find(',');
  try {
    if (comma == std::string::npos) throw std::invalid_argument(s);
    lo = std::stod(s.substr(0, comma));
    hi = std::stod(s.substr(comma + 1));
  } catch (const std::exception&) {
    throw std::runtime_error(std::string(what) + " must be 'lo,hi', got '" + s + "'");
  }
  if (!(hi > lo)) throw std::runtime_error(std::string(what) + ": need lo < hi, got '" + s + "'");
  return true;
}

void print_run_summary(const RunResult& r) {
  const double total = static_cast<double>(r.n_traj) * static_cast<double>(r.n_steps);
  std::printf("  backend %s: %lld trajectories x %lld steps in %.3f s = %.3g trajectory-steps/s\n", r.backend.c_str(),
              static_cast<long long>(r.n_traj), static_cast<long long>(r.n_steps), r.seconds, r.steps_per_second());
  std::printf("  plastic events %lld (%.3g per trajectory)\n", static_cast<long long>(r.events),
              static_cast<double>(r.events) / static_cast<double>(r.n_traj));
  std::printf(
      "  redirected lookups (untrusted bin -> nearest trusted bin, or lambda policy): %lld = %.3g%% of "
      "steps; "
      "outside the grid (clamped to the edge bin): %lld = %.3g%%\n",
      static_cast<long long>(r.fallback_lookups), 100.0 * static_cast<double>(r.fallback_lookups) / total,
      static_cast<long long>(r.outside_lookups), 100.0 * static_cast<double>(r.outside_lookups) / total);
  if (r.trajectories_outside > 0)
    std::printf(
        "  warning: %lld of %lld trajectories (%.3g%%) left the harvested state space at least once; there "
        "SEEM only extrapolates (lookups clamp to the edge bins); --strict refuses such a run\n",
        static_cast<long long>(r.trajectories_outside), static_cast<long long>(r.n_traj),
        100.0 * static_cast<double>(r.trajectories_outside) / static_cast<double>(r.n_traj));
  if (r.process == "poisson") {
    std::printf("  process poisson: events as a Poisson process in strain (any number per step)\n");
    if (r.saturated_steps > 0)
      std::printf("  warning: %lld steps used up their draws and were cut short\n",
                  static_cast<long long>(r.saturated_steps));
  } else if (r.max_step_probability > 0.1) {
    std::printf(
        "  note: the event probability per step, lambda dgamma, reaches %.2f in a trusted bin%s; the step "
        "process assumes it << 1 (a smaller --dgamma, or --process poisson, which has no such limit)\n",
        std::min(r.max_step_probability, 1.0),
        r.max_step_probability > 1.0 ? " (cut to 1: at most one event per step)" : "");
  }
}

// ---------------------------------------------------------------------------------------------
void add_harvest(CLI::App& seem) {
  struct Opts {
    std::string data, out, x1_range, tau_range, criterion = "drop", rows = "last", policy = "raw";
    std::vector<std::string> logs;
    std::string col_strain = "v_gamma", col_stress = "v_tau", col_energy = "v_pea";
    double stress_scale = 1.0, energy_scale = 1.0, threshold = 0.0;
    int n_x1 = 20, n_tau = 20, min_visits = 10, hist_bins = 16, holdout = 0;
    X1Options x1;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = seem.add_subcommand("harvest", "Build a SEEM database from AQS traces (HDF5 dataset or LAMMPS logs)");
  c->add_option("--data", o->data, "AQS dataset (HDF5, tools/seem/lammps_to_h5.py)");
  c->add_option("--log", o->logs, "LAMMPS log file(s) with AQS thermo output (one trace each)");
  c->add_option("--col-strain", o->col_strain, "thermo column of the shear strain")->capture_default_str();
  c->add_option("--col-stress", o->col_stress, "thermo column of the shear stress")->capture_default_str();
  c->add_option("--col-energy", o->col_energy, "thermo column of the potential energy")->capture_default_str();
  c->add_option("--stress-scale", o->stress_scale, "stress column -> GPa (e.g. -1e-4 for Pxy in bar)")
      ->capture_default_str()
      ->transform(fraction_or_number())
      ->check(finite_in(-big, big));
  c->add_option("--energy-scale", o->energy_scale,
                "energy column -> eV/atom: a number or a fraction, e.g. 1/256 for PotEng of 256 atoms")
      ->capture_default_str()
      ->transform(fraction_or_number())
      ->check(finite_in(-big, big));
  c->add_option("--rows", o->rows, "log rows: last (relaxed state of each minimize) | all")->capture_default_str();
  c->add_option("--n-x1", o->n_x1, "bins along X1")->capture_default_str()->check(CLI::Range(1, 10000));
  c->add_option("--n-tau", o->n_tau, "bins along tau")->capture_default_str()->check(CLI::Range(1, 10000));
  c->add_option("--x1-range", o->x1_range, "X1 range 'lo,hi' (eV/atom); default: data span");
  c->add_option("--tau-range", o->tau_range, "tau range 'lo,hi' (GPa); default: data span");
  c->add_option("--criterion", o->criterion, "event criterion: drop (stress drop) | elastic")->capture_default_str();
  c->add_option("--threshold", o->threshold, "event threshold (GPa)")->capture_default_str()->check(finite_in(0, big));
  c->add_option("--min-visits", o->min_visits, "steps for a bin to be trusted (else nearest trusted bin)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000000));
  c->add_option("--lambda-policy", o->policy, "raw | monotone (lambda non-decreasing with stress per X1 column)")
      ->capture_default_str();
  c->add_option("--hist-bins", o->hist_bins, "per-bin (dtau, dX1) histogram resolution")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  c->add_option("--holdout", o->holdout, "with --data: hold out the last N samples of each cooling rate")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  c->add_option("-o,--out", o->out, "database file (HDF5), or a directory for DIR/seem_db.h5")->required();
  o->x1.add(c);
  c->callback([o]() {
    std::vector<AqsTrace> traces;
    if (o->data.empty() && o->logs.empty())
      throw std::runtime_error("seem harvest: give --data FILE and/or --log FILE...");
    if (!o->data.empty()) {
      AqsDataset d = read_aqs_h5(o->data);
      std::vector<AqsTrace> train, held;
      split_holdout(d.traces, o->holdout, train, held);
      traces = std::move(train);
      if (!held.empty()) {
        std::printf("held out %zu samples:", held.size());
        for (auto& t : held) std::printf(" %s", t.name.c_str());
        std::printf("\n");
      }
    } else if (o->holdout > 0) {
      throw std::runtime_error("seem harvest: --holdout needs --data (samples are grouped by cooling rate)");
    }
    LogColumns cols;
    cols.strain = o->col_strain;
    cols.stress = o->col_stress;
    cols.energy = o->col_energy;
    cols.stress_scale = o->stress_scale;
    cols.energy_scale = o->energy_scale;
    cols.rows = o->rows;
    for (const auto& f : o->logs) traces.push_back(read_lammps_log(f, cols));
    HarvestOptions h;
    h.x1 = o->x1.resolve();
    h.grid.n_x1 = o->n_x1;
    h.grid.n_tau = o->n_tau;
    parse_range(o->x1_range, h.grid.x1_min, h.grid.x1_max, "--x1-range");
    parse_range(o->tau_range, h.grid.tau_min, h.grid.tau_max, "--tau-range");
    h.criterion = parse_criterion(o->criterion);
    h.drop_threshold = o->threshold;
    h.min_visits = o->min_visits;
    h.policy = parse_policy(o->policy);
    h.hist_bins = o->hist_bins;
    Database db = harvest(traces, h);
    o->out = output_file(o->out, "seem_db.h5");
    write_database(o->out, db);
    std::int64_t steps = 0;
    for (auto v : db.visits) steps += v;
    std::printf("harvested %zu traces: %lld binned steps, %lld events (criterion %s, threshold %g GPa), dgamma %g\n",
                traces.size(), static_cast<long long>(steps), static_cast<long long>(db.total_events()),
                criterion_name(db.criterion), db.drop_threshold, db.dgamma);
    int redirected = 0;
    for (int b = 0; b < db.grid.n_bins(); ++b) redirected += db.visits[b] >= db.min_visits && db.source[b] != b;
    std::printf(
        "grid %dx%d: X1 [%.5g, %.5g] eV/atom, tau [%.4g, %.4g] GPa; %lld trusted bins (>= %d visits), "
        "lambda policy %s (%d trusted bins redirected)\n",
        db.grid.n_x1, db.grid.n_tau, db.grid.x1_min, db.grid.x1_max, db.grid.tau_min, db.grid.tau_max,
        static_cast<long long>(db.trusted_bins()), db.min_visits, policy_name(db.policy), redirected);
    std::printf("wrote %s\n", o->out.c_str());
  });
}

// ---------------------------------------------------------------------------------------------
/// Database with an optional lambda-policy override (recomputes the bin redirections).
Database load_database(const std::string& path, const std::string& policy) {
  Database db = read_database(path);
  if (!policy.empty()) {
    db.policy = parse_policy(policy);
    assign_sources(db);
  }
  return db;
}

void add_run_options(CLI::App* c, RunOptions& r) {
  c->add_option("--gamma-max", r.gamma_max, "final shear strain")->capture_default_str()->check(finite_in(1e-300, 1e6));
  c->add_option("--dgamma", r.dgamma, "strain step (0: the training step)")
      ->capture_default_str()
      ->check(finite_in(0, 1));
  c->add_option("--traj", r.n_traj, "trajectories in the ensemble")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 4294967295LL));
  c->add_option("--seed", r.seed, "Philox seed")->capture_default_str();
  c->add_option("--threads", r.threads, "CPU threads (0: OpenMP default)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  c->add_option("--backend,--device", r.device, "auto | cpu | cuda (--device: the former name)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  c->add_option("--record-every", r.record_every, "record every N steps")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000000));
  c->add_option("--percentiles", r.percentiles, "percentiles to report")
      ->delimiter(',')
      ->capture_default_str()
      ->check(finite_in(0, 100));
  c->add_option("--process", r.process,
                "steps: an event with probability lambda dgamma per step (the paper); poisson: events as a "
                "Poisson process in strain, dgamma only sets the record points (CPU)")
      ->capture_default_str()
      ->check(CLI::IsMember({"steps", "poisson"}));
}

/// A start state outside the data: the model can only extrapolate there. A warning, or with
/// --strict a refusal.
void check_start(const Database& db, double x1, double tau, bool strict) {
  const std::string outside = start_outside_data(db, x1, tau);
  if (outside.empty()) return;
  if (strict) throw std::runtime_error("SEEM: " + outside + " (--strict refuses a start outside the data)");
  std::fprintf(stderr,
               "warning: %s; SEEM only extrapolates there (lookups clamp to the edge bins); --strict "
               "refuses such a start\n",
               outside.c_str());
}

void add_run(CLI::App& seem) {
  struct Opts {
    std::string db, out, policy;
    bool strict = false;
    RunOptions r;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = seem.add_subcommand("run", "Integrate a SEEM ensemble forward from a start state");
  c->add_option("--lambda-policy", o->policy, "override the database's lambda policy: raw | monotone")
      ->check(CLI::IsMember({"raw", "monotone"}));
  c->add_option("--db", o->db, "SEEM database (from seem harvest)")->required();
  c->add_option("--x1", o->r.x1_start, "start X1 (eV/atom)")->required()->check(finite_in(-big, big));
  c->add_option("--tau", o->r.tau_start, "start shear stress (GPa)")
      ->capture_default_str()
      ->check(finite_in(-big, big));
  c->add_flag("--strict", o->strict,
              "refuse to extrapolate: a start state outside the database's (X1, tau) range, or a run in which a "
              "trajectory leaves it (nothing is written; exit 1)");
  add_run_options(c, o->r);
  c->add_option("--save-trajectories", o->r.save_trajectories,
                "also write the first N trajectories whole (states at the record points, every event step) to "
                "/trajectories of the output")
      ->capture_default_str()
      ->check(CLI::Range(0LL, 100000LL));
  c->add_option("-o,--out", o->out,
                "output file (HDF5): mean, sd and percentile curves; or a directory for DIR/seem_run.h5");
  c->callback([o]() {
    const Database db = load_database(o->db, o->policy);
    check_start(db, o->r.x1_start, o->r.tau_start, o->strict);
    const RunResult r = run_ensemble(db, o->r);
    std::printf("SEEM run from X1 = %g eV/atom, tau = %g GPa to strain %g\n", o->r.x1_start, o->r.tau_start,
                o->r.gamma_max);
    print_run_summary(r);
    if (o->strict && r.trajectories_outside > 0)
      throw std::runtime_error("SEEM: " + std::to_string(r.trajectories_outside) + " of " + std::to_string(r.n_traj) +
                               " trajectories left the harvested (X1, tau) range (--strict refuses to extrapolate; "
                               "nothing was written)");
    const std::size_t last = r.gamma.size() - 1;
    std::printf("  final: mean tau %.4f GPa (sd %.4f), mean X1 %.5f eV/atom (sd %.5f)\n", r.mean_tau[last],
                r.sd_tau[last], r.mean_x1[last], r.sd_x1[last]);
    if (!o->out.empty()) {
      o->out = output_file(o->out, "seem_run.h5");
      write_run(o->out, r, o->r, o->db);
      std::printf("wrote %s\n", o->out.c_str());
    }
  });
}

// ---------------------------------------------------------------------------------------------
void add_bench(CLI::App& seem) {
  struct Opts {
    std::string db;
    std::vector<int> threads;
    RunOptions r;
    double x1 = NAN;
  };
  auto o = std::make_shared<Opts>();
  o->r.n_traj = 20000;
  o->r.record = false;
  o->r.device = "cpu";
  CLI::App* c = seem.add_subcommand("bench", "Trajectory-steps per second of the SEEM ensemble");
  c->add_option("--db", o->db, "SEEM database")->required();
  c->add_option("--x1", o->x1, "start X1 (default: centre of the grid's X1 range)")->check(finite_in(-big, big));
  c->add_option("--traj", o->r.n_traj, "trajectories")->capture_default_str()->check(CLI::Range(1LL, 4294967295LL));
  c->add_option("--gamma-max", o->r.gamma_max, "final strain")->capture_default_str()->check(finite_in(1e-300, 1e6));
  c->add_option("--threads", o->threads, "thread counts to time (default: 1 and all)")
      ->delimiter(',')
      ->check(CLI::Range(0, 4096));
  c->add_option("--backend,--device", o->r.device, "cpu | cuda | auto (--device: the former name)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  c->add_option("--process", o->r.process, "steps | poisson (see seem run)")
      ->capture_default_str()
      ->check(CLI::IsMember({"steps", "poisson"}));
  c->callback([o]() {
    const Database db = read_database(o->db);
    RunOptions r = o->r;
    r.x1_start = std::isnan(o->x1) ? 0.5 * (db.grid.x1_min + db.grid.x1_max) : o->x1;
    check_start(db, r.x1_start, r.tau_start, false);
    std::vector<int> threads = o->threads;
    if (threads.empty()) {
      threads.push_back(1);
      if (omp_get_max_threads() > 1) threads.push_back(omp_get_max_threads());
    }
    if (r.device != "cpu") threads = {0};
    std::printf("SEEM bench: %lld trajectories to strain %g (dgamma %g), start X1 %g, process %s\n",
                static_cast<long long>(r.n_traj), r.gamma_max, db.dgamma, r.x1_start, r.process.c_str());
    for (int t : threads) {
      r.threads = t;
      run_ensemble(db, r);  // warm-up (page faults, frequency)
      const RunResult res = run_ensemble(db, r);
      const int used = r.device == "cpu" ? (t > 0 ? t : omp_get_max_threads()) : 1;
      std::printf("  %-28s %.3g trajectory-steps/s  (%.3g per CPU thread)\n", res.backend.c_str(),
                  res.steps_per_second(), res.steps_per_second() / used);
    }
  });
}

// ---------------------------------------------------------------------------------------------
void add_validate(CLI::App& seem) {
  struct Opts {
    std::string db, data, out, policy, fold_fits;
    int holdout = 2, folds = 0;
    RunOptions r;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = seem.add_subcommand("validate", "Compare SEEM with held-out AQS samples per cooling rate");
  c->add_option("--folds", o->folds,
                "k-fold over glasses instead of --holdout: every glass is held out once; each fold harvests its "
                "own database with --db's options and grid")
      ->check(CLI::Range(2, 1000));
  c->add_option("--fold-fits", o->fold_fits,
                "with --folds: one X1 fit per fold, a path with {fold} for the fold index (0-based), each "
                "fitted on that fold's training glasses (tools/seem/kfold_refit.sh); default: --db's fit for all");
  c->add_option("--lambda-policy", o->policy, "override the database's lambda policy: raw | monotone")
      ->check(CLI::IsMember({"raw", "monotone"}));
  c->add_option("--db", o->db, "SEEM database harvested with the same --holdout")->required();
  c->add_option("--data", o->data, "AQS dataset (HDF5)")->required();
  c->add_option("--holdout", o->holdout, "last N samples of each cooling rate are held out")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  add_run_options(c, o->r);
  c->add_option("-o,--out", o->out, "validation file (HDF5), or a directory for DIR/seem_validation.h5");
  c->callback([o, c]() {
    const Database db = load_database(o->db, o->policy);
    const AqsDataset d = read_aqs_h5(o->data);
    if (o->folds > 0 && c->count("--holdout") > 0)
      throw std::runtime_error("--folds " + std::to_string(o->folds) + " and --holdout " + std::to_string(o->holdout) +
                               ": allowed one of them (k-fold holds out every glass once; --holdout a fixed set)");
    if (!o->fold_fits.empty() && o->folds == 0)
      throw std::runtime_error("--fold-fits '" + o->fold_fits + "': allowed only with --folds");
    if (o->folds > 0) {
      std::vector<X1Params> fold_x1;
      if (!o->fold_fits.empty()) {
        const std::string mark = "{fold}";
        const std::size_t at = o->fold_fits.find(mark);
        if (at == std::string::npos)
          throw std::runtime_error("--fold-fits '" + o->fold_fits +
                                   "': allowed a path containing {fold} (replaced by the fold index 0.." +
                                   std::to_string(o->folds - 1) + ")");
        for (int f = 0; f < o->folds; ++f) {
          std::string path = o->fold_fits;
          path.replace(at, mark.size(), std::to_string(f));
          try {
            fold_x1.push_back(read_x1_fit(path));
          } catch (const std::exception& e) {
            throw std::runtime_error("--fold-fits, fold " + std::to_string(f) + ": " + e.what());
          }
        }
      }
      const KFoldResult k = kfold_validate(db, d.traces, o->folds, o->r, fold_x1);
      std::printf(
          "SEEM vs held-out AQS, %d-fold over glasses (stratified by cooling rate; lambda policy %s; X1 fit %s): "
          "mean over folds +- standard error\n",
          o->folds, policy_name(db.policy),
          k.per_fold_x1 ? "one per fold from --fold-fits, X1 bin range per fold" : "--db's");
      std::printf("  %9s %7s %15s %15s %15s %15s %15s %15s\n", "rate K/ps", "glasses", "rms_tau", "floor_tau",
                  "yield_S-yield_A", "flow_S-flow_A", "yield_A", "flow_A");
      for (const KFoldRate& r : k.rates)
        std::printf("  %9g %7d %7.3f+-%5.3f %7.3f+-%5.3f %+7.3f+-%5.3f %+7.3f+-%5.3f %7.3f+-%5.3f %7.3f+-%5.3f\n",
                    r.rate, r.glasses, r.rms_tau.mean, r.rms_tau.se, r.floor_tau.mean, r.floor_tau.se,
                    r.yield_error.mean, r.yield_error.se, r.flow_error.mean, r.flow_error.se, r.yield_aqs.mean,
                    r.yield_aqs.se, r.flow_aqs.mean, r.flow_aqs.se);
      std::printf("  %9s %7s %15s %15s\n", "", "", "rms_X1 (meV)", "floor_X1");
      for (const KFoldRate& r : k.rates)
        std::printf("  %9g %7s %7.2f+-%5.2f %7.2f+-%5.2f\n", r.rate, "", 1e3 * r.rms_x1.mean, 1e3 * r.rms_x1.se,
                    1e3 * r.floor_x1.mean, 1e3 * r.floor_x1.se);
      std::printf(
          "  (tau GPa; floor = RMS between the fold's training and held-out AQS means; yield = mean of "
          "per-trajectory / per-glass maxima; flow = mean stress over the last third; S = SEEM, A = held-out "
          "AQS)\n");
      std::printf("  (standard errors corrected for the folds' shared training glasses, Nadeau and Bengio 2003)\n");
      // Where SEEM and the atomistic data disagree beyond noise, say so.
      bool any = false;
      for (const KFoldRate& r : k.rates) {
        // (An RMS error below its floor is no disagreement: only excess counts there.)
        auto beyond = [&](const char* what, const FoldStat& e, bool two_sided = true) {
          if (e.se > 0.0 && (two_sided ? std::abs(e.mean) : e.mean) > 2.0 * e.se) {
            std::printf("  beyond noise: %s of the %g K/ps glasses, off by %+.3f GPa = %.1f standard errors\n", what,
                        r.rate, e.mean, e.mean / e.se);
            any = true;
          }
        };
        beyond("SEEM's yield", r.yield_error);
        beyond("SEEM's flow stress", r.flow_error);
        beyond("the RMS stress error above its noise floor", r.rms_excess, false);
      }
      if (!any) std::printf("  no difference beyond two standard errors\n");
      if (!o->out.empty()) {
        o->out = output_file(o->out, "seem_kfold.h5");
        write_kfold(o->out, k, o->db);
        std::printf("wrote %s\n", o->out.c_str());
      }
      return;
    }
    std::vector<AqsTrace> train, held;
    split_holdout(d.traces, o->holdout, train, held);
    const ValidationResult v = validate(db, train, held, o->r);
    std::printf("SEEM vs held-out AQS (%d held out per cooling rate, lambda policy %s), RMS over the strain range:\n",
                o->holdout, policy_name(db.policy));
    std::printf("  %9s %5s %4s %8s %9s %9s %9s %9s %6s %11s %11s %7s %7s\n", "rate K/ps", "train", "held", "rms_tau",
                "floor_tau", "rms_X1", "floor_X1", "redirect%", "left%", "yield_S", "yield_A", "flow_S", "flow_A");
    for (const auto& rv : v.rates) {
      const double steps = static_cast<double>(rv.seem.n_traj) * static_cast<double>(rv.seem.n_steps);
      std::printf("  %9g %5d %4d %8.3f %9.3f %9.2e %9.2e %9.3g %6.3g %5.2f+-%4.2f %5.2f+-%4.2f %7.3f %7.3f\n", rv.rate,
                  rv.n_train, rv.n_held, rv.rms_tau, rv.rms_tau_train, rv.rms_x1, rv.rms_x1_train,
                  100.0 * static_cast<double>(rv.seem.fallback_lookups) / steps,
                  100.0 * static_cast<double>(rv.seem.trajectories_outside) / static_cast<double>(rv.seem.n_traj),
                  rv.yield_seem, rv.yield_seem_sd, rv.yield_aqs, rv.yield_aqs_sd, rv.flow_tau_seem, rv.flow_tau_aqs);
    }
    std::printf(
        "  (tau GPa, X1 eV/atom; floor = RMS between the training and held-out AQS means; yield = mean +- sd "
        "of\n"
        "   each trajectory's / held-out glass's maximum stress; flow = mean stress over the last third of "
        "the\n"
        "   strain range; S = SEEM, A = held-out AQS; left%% = trajectories that left the harvested state space)\n");
    auto report = [&](const char* what, const std::vector<Crossing>& cs) {
      std::printf("crossings of mean trajectories in (X1, tau), %s: %zu\n", what, cs.size());
      for (std::size_t i = 0; i < cs.size() && i < 5; ++i)
        std::printf("  rates %g/%g at strains %.3f/%.3f, X1 %.5f, tau %.3f\n", v.rates[cs[i].a].rate,
                    v.rates[cs[i].b].rate, cs[i].gamma_a, cs[i].gamma_b, cs[i].x1, cs[i].tau);
      if (cs.size() > 5) std::printf("  ...\n");
    };
    report("AQS means (all samples)", v.crossings_aqs);
    report("SEEM means", v.crossings_seem);
    if (!o->out.empty()) {
      o->out = output_file(o->out, "seem_validation.h5");
      write_validation(o->out, v, db, o->db);
      std::printf("wrote %s\n", o->out.c_str());
    }
  });
}

// ---------------------------------------------------------------------------------------------
void add_folds(CLI::App& seem) {
  struct Opts {
    std::string data;
    int folds = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = seem.add_subcommand(
      "folds", "List the k-fold split over glasses that `seem validate --folds` uses (one line per fold and side)");
  c->add_option("--data", o->data, "AQS dataset (HDF5)")->required();
  c->add_option("--folds", o->folds, "number of folds")->required()->check(CLI::Range(2, 1000));
  c->callback([o]() {
    const AqsDataset d = read_aqs_h5(o->data);
    // Scripts read these lines (tools/seem/kfold_refit.sh): "fold F train|held NAME,NAME,...".
    for (int f = 0; f < o->folds; ++f) {
      std::vector<AqsTrace> train, held;
      split_fold(d.traces, o->folds, f, train, held);
      for (const auto& [side, ts] : {std::pair{"train", &train}, std::pair{"held", &held}}) {
        std::string names;
        for (const AqsTrace& t : *ts) names += (names.empty() ? "" : ",") + t.name;
        std::printf("fold %d %s %s\n", f, side, names.c_str());
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
void add_x1(CLI::App& seem) {
  struct Opts {
    double pe = NAN, tau = 0;
    X1Options x1;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = seem.add_subcommand("x1", "X1 and G(X1) of one state (energy per atom, shear stress)");
  c->add_option("--pe", o->pe, "potential energy per atom (eV)")->required()->check(finite_in(-big, big));
  c->add_option("--tau", o->tau, "shear stress (GPa)")->capture_default_str()->check(finite_in(-big, big));
  o->x1.add(c);
  c->callback([o]() {
    const X1Params p = o->x1.resolve();
    const double x = x1_from_energy(o->pe, o->tau, p);
    std::printf("X1 = %.8g eV/atom, G(X1) = %.6g GPa  (G0 %g, uA %g, tauA %g, tauB %g, u0 %.8g, omega %g)\n", x,
                shear_modulus(x, p), p.G0, p.uA, p.tauA, p.tauB, p.u0, p.omega);
  });
}

// ---------------------------------------------------------------------------------------------
void add_fixed_point(CLI::App& seem) {
  struct Opts {
    std::string db, data, out, policy;
    FixedPointOptions f;
  };
  auto o = std::make_shared<Opts>();
  o->f.run.gamma_max = 1.5;
  o->f.run.n_traj = 5000;
  o->f.run.record_every = 50;
  CLI::App* c = seem.add_subcommand(
      "fixedpoint",
      "The steady state of SEEM: ensembles from a grid of starts, bootstrap over glasses, atomistic "
      "steady state, mean-flow attractor");
  c->add_option("--lambda-policy", o->policy, "override the database's lambda policy: raw | monotone")
      ->check(CLI::IsMember({"raw", "monotone"}));
  c->add_option("--db", o->db, "SEEM database (from seem harvest)")->required();
  c->add_option("--data", o->data,
                "AQS dataset (HDF5): the database's glasses are resampled by --bootstrap, and all glasses give the "
                "atomistic steady state");
  c->add_option("--window", o->f.window, "steady state: mean over the last this much strain")
      ->capture_default_str()
      ->check(finite_in(1e-300, 1e6));
  c->add_option("--starts-x1", o->f.starts_x1, "starts: X1 values across the harvested range")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  c->add_option("--starts-tau", o->f.starts_tau, "starts: stresses from 0 to the middle of the harvested range")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  c->add_option("--bootstrap", o->f.bootstrap, "bootstrap replicas over training glasses (0: none; needs --data)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  c->add_option("--bootstrap-traj", o->f.bootstrap_traj, "trajectories per bootstrap replica")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 4294967295LL));
  c->add_option("--aqs-window", o->f.aqs_window_lo, "atomistic steady state: strain window start (to the end, 0.3)")
      ->capture_default_str()
      ->check(finite_in(0, 1e6));
  add_run_options(c, o->f.run);
  c->add_option("-o,--out", o->out, "output file (HDF5), or a directory for DIR/seem_fixed_point.h5");
  c->callback([o]() {
    const Database db = load_database(o->db, o->policy);
    std::vector<AqsTrace> training, all;
    if (!o->data.empty()) {
      all = read_aqs_h5(o->data).traces;
      for (const AqsTrace& t : all)
        if (std::find(db.sources.begin(), db.sources.end(), t.name) != db.sources.end()) training.push_back(t);
      if (training.empty())
        throw std::runtime_error("--data " + o->data + " holds none of the database's " +
                                 std::to_string(db.sources.size()) + " training glasses (is it the dataset " + o->db +
                                 " was harvested from?)");
      double end = 1e300;
      for (const AqsTrace& t : all) end = std::min(end, t.gamma.back());
      o->f.aqs_window_hi = end;
      if (!(o->f.aqs_window_lo < end)) {
        std::printf(
            "note: --aqs-window %g is not below the end of the shortest trace (%g); the atomistic steady "
            "state is taken over its last third, from %g\n",
            o->f.aqs_window_lo, end, 2.0 * end / 3.0);
        o->f.aqs_window_lo = 2.0 * end / 3.0;
      }
    }
    const FixedPointResult r = fixed_point(db, training, all, o->f);
    std::printf(
        "SEEM fixed point: %zu starts, %lld trajectories each, to strain %g; steady state = mean over the "
        "last %g of strain\n",
        r.starts.size(), static_cast<long long>(o->f.run.n_traj), o->f.run.gamma_max, o->f.window);
    std::int64_t outside = 0, steps = 0, left = 0;
    std::vector<int> basin_of(r.starts.size(), 0);
    for (std::size_t b = 0; b < r.basins.size(); ++b)
      for (const int k : r.basins[b].starts) basin_of[static_cast<std::size_t>(k)] = static_cast<int>(b);
    for (std::size_t i = 0; i < r.starts.size(); ++i) {
      const FixedPointStart& s = r.starts[i];
      left += s.trajectories_outside;
      std::printf("  start X1 %8.5f eV/atom, tau %6.3f GPa -> X1 %.5f, tau %.3f  (basin %d; %.0f %% left the grid)\n",
                  s.x1_start, s.tau_start, s.x1, s.tau, basin_of[i],
                  100.0 * static_cast<double>(s.trajectories_outside) / static_cast<double>(o->f.run.n_traj));
      outside += s.outside_lookups;
      steps += s.steps;
    }
    std::printf(
        "  fixed point: X1 = %.5f eV/atom, tau = %.3f GPa (basin 0: %zu of %zu starts, all within %.5f eV/atom "
        "and %.3f GPa of it)\n",
        r.x1, r.tau, r.basins.front().starts.size(), r.starts.size(), r.spread_x1, r.spread_tau);
    for (std::size_t b = 1; b < r.basins.size(); ++b)
      std::printf(
          "  warning: %zu start(s) settle elsewhere: basin %zu at X1 %.5f eV/atom, tau %.3f GPa%s (more than a "
          "bin from the fixed point; not averaged in)\n",
          r.basins[b].starts.size(), b, r.basins[b].x1, r.basins[b].tau,
          r.basins[b].outside ? ", outside the harvested grid" : "");
    std::printf(
        "  steps outside the harvested grid: %.3g %% (clamped to its edge); trajectories that left it at "
        "least once: %.3g %%\n",
        steps ? 100.0 * static_cast<double>(outside) / static_cast<double>(steps) : 0.0,
        100.0 * static_cast<double>(left) / (static_cast<double>(o->f.run.n_traj) * r.starts.size()));
    if (!r.boot_x1.empty()) {
      std::printf(
          "  bootstrap over training glasses: %d replicas (%lld trajectories each), %zu harvested, %d "
          "escaped the grid (their steady state lies outside it: loading without end through bins that lost "
          "their events in the resampling), %d without events\n",
          o->f.bootstrap, static_cast<long long>(o->f.bootstrap_traj), r.boot_x1.size(), r.boot_escaped, r.boot_failed);
      std::printf(
          "    over the harvested replicas, escaped included: X1 median %.5f (16-84 %%: %.5f - %.5f), tau "
          "median %.3f (%.3f - %.3f); sd of those that stay: X1 %.5f, tau %.3f\n",
          r.boot_x1_median, r.boot_x1_lo, r.boot_x1_hi, r.boot_tau_median, r.boot_tau_lo, r.boot_tau_hi, r.boot_sd_x1,
          r.boot_sd_tau);
      if (r.boot_escaped > 0)
        std::printf(
            "  warning: the data do not pin the fixed point down: %d of %d replicas escape. (Resampled "
            "glasses repeat: a bin is trusted on fewer distinct glasses than its visits say, which biases "
            "the replicas towards escape.)\n",
            r.boot_escaped, o->f.bootstrap);
    }
    if (r.aqs.glasses > 0) {
      std::printf(
          "  atomistic steady state (mean over strain %g - %g, %d glasses): X1 %.5f +- %.5f, tau %.3f +- "
          "%.3f (standard errors)\n",
          o->f.aqs_window_lo, o->f.aqs_window_hi, r.aqs.glasses, r.aqs.x1, r.aqs.x1_se, r.aqs.tau, r.aqs.tau_se);
      for (std::size_t i = 0; i < r.aqs_rates.size(); ++i)
        std::printf("    cooling rate %g K/ps (%d glasses): X1 %.5f +- %.5f, tau %.3f +- %.3f\n", r.aqs_rates[i],
                    r.aqs_per_rate[i].glasses, r.aqs_per_rate[i].x1, r.aqs_per_rate[i].x1_se, r.aqs_per_rate[i].tau,
                    r.aqs_per_rate[i].tau_se);
    }
    std::printf("  mean-flow attractor: X1 %.5f, tau %.3f (wanders %.2f bins over the last quarter of its path)\n",
                r.attractor_x1, r.attractor_tau, r.attractor_wander);
    if (!o->out.empty()) {
      o->out = output_file(o->out, "seem_fixed_point.h5");
      write_fixed_point(o->out, r, o->f, o->db);
      std::printf("wrote %s\n", o->out.c_str());
    }
  });
}

}  // namespace

void register_seem_commands(CLI::App& app) {
  CLI::App* seem = app.add_subcommand("seem", "SEEM: data-driven stochastic elasto-plastic model (docs/seem.md)");
  seem->require_subcommand(1);
  add_harvest(*seem);
  add_run(*seem);
  add_bench(*seem);
  add_validate(*seem);
  add_fixed_point(*seem);
  add_folds(*seem);
  add_x1(*seem);
}

}  // namespace stz::cli
