// `stzkmc bench`: the same deck on the chosen backends and kinetics rules for a fixed number of
// thermal events after a warm-up, over a list of grid sizes; events/s, us/event, achieved
// bandwidth, the GPU/CPU ratio and the speed-up of the bounded rule over the exhaustive one,
// measured side by side in one run, with a per-event breakdown of where the time goes (every
// backend call timed through a forwarding wrapper). Optionally appends to a benchmark record.
#include <time.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/factory.hpp"
#include "cli/commands.hpp"
#include "core/driver.hpp"
#include "cuda/entry.hpp"
#include "io/atomic_file.hpp"
#include "stz/backend.hpp"

namespace stz::cli {

namespace {

struct BenchOptions {
  std::vector<std::string> backends{"auto"};
  std::vector<std::string> rules{"reference", "bounded"};
  std::vector<int> sizes;
  int modes = 20;
  std::uint64_t events = 2000;
  std::uint64_t warmup = 200;
  double warmup_strain = 0.0;
  double max_seconds = 60.0;
  int threads = 0;
  std::uint64_t seed = 1;
  std::string record;
  std::string csv;
  bool profile = false;  ///< device time per operation (CUDA events) and the host gap per event
  /// solver.gpu_loop values run on the cuda backend ("host", "device"); the cpu runs "host" only
  /// (its device loop is the same computation).
  std::vector<std::string> gpu_loops{"host"};
  /// solver.precision values ("double", "mixed"); "mixed" runs on the cpu and cuda backends' exhaustive rules.
  std::vector<std::string> precisions{"double"};
  int gpu_loop_chunk = Params{}.solver.gpu_loop_chunk;
};

/// Where the time of a run goes, by backend call (seconds).
struct CallTimes {
  double barrier_pass = 0.0;  ///< compute_barriers_and_rates + select_thermal_event (exhaustive rules)
  double transform = 0.0;     ///< a thermal event's state and stress update
  double bounds = 0.0;        ///< update_bounds: margin checks, refreshes, watched voxels (bounded)
  double candidates = 0.0;    ///< select_bounded_voxel + bounded_candidate (bounded)
  double athermal = 0.0;      ///< athermal passes (either rule)
  double full_solve = 0.0;
  double device_loop = 0.0;  ///< stretches of the device-resident loop (solver.gpu_loop = "device")
};

/// f(), its wall time added to `total`.
template <class F>
auto timed(double& total, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f();
  total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

/// A backend that forwards every call to another and times it (bench only).
class TimedBackend final : public Backend {
 public:
  explicit TimedBackend(Backend& inner) : b_(inner) {}
  CallTimes times;

  std::string name() const override { return b_.name(); }
  std::string device_description() const override { return b_.device_description(); }
  void initialize() override { b_.initialize(); }
  RateSummary compute_barriers_and_rates(double time, const Sym2& mean) override {
    return timed(times.barrier_pass, [&] { return b_.compute_barriers_and_rates(time, mean); });
  }
  Event select_thermal_event(double u) override {
    return timed(times.barrier_pass, [&] { return b_.select_thermal_event(u); });
  }
  PlasticIncrement athermal_pass(double time, std::vector<Event>* flipped) override {
    return timed(times.athermal, [&] { return b_.athermal_pass(time, flipped); });
  }
  PlasticIncrement transform(const Event& e, double time) override {
    return timed(times.transform, [&] { return b_.transform(e, time); });
  }
  void full_solve() override {
    timed(times.full_solve, [&] {
      b_.full_solve();
      return 0;
    });
  }
  ElasticMedium medium() const override { return b_.medium(); }
  void set_temperature(double kelvin) override { b_.set_temperature(kelvin); }
  bool runs_passes_on_device(ThermalRule rule) const override { return b_.runs_passes_on_device(rule); }
  LoopOutcome run_passes(PassScalars& s, const LoopConfig& c, std::vector<LoopEvent>* events) override {
    // A host backend's stretch is its own operations in a row: timed one by one through this wrapper.
    if (!b_.runs_passes_on_device(c.rule)) return Backend::run_passes(s, c, events);
    return timed(times.device_loop, [&] { return b_.run_passes(s, c, events); });
  }
  bool has_bounded_rule() const override { return b_.has_bounded_rule(); }
  BoundSummary update_bounds(double time, const Sym2& now, const Sym2& end, bool all) override {
    return timed(times.bounds, [&] { return b_.update_bounds(time, now, end, all); });
  }
  PlasticIncrement bounded_athermal_pass(double time, const Sym2& now, std::vector<Event>* flipped) override {
    return timed(times.athermal, [&] { return b_.bounded_athermal_pass(time, now, flipped); });
  }
  std::uint32_t select_bounded_voxel(double u) override {
    return timed(times.candidates, [&] { return b_.select_bounded_voxel(u); });
  }
  BoundedCandidate bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time, const Sym2& now,
                                     const Sym2& end) override {
    return timed(times.candidates, [&] { return b_.bounded_candidate(voxel, u_accept, u_mode, time, now, end); });
  }
  double bound_sum() override { return b_.bound_sum(); }
  void check_bounds(double time, const Sym2& now) override { b_.check_bounds(time, now); }
  double bytes_per_pass() const override { return b_.bytes_per_pass(); }
  double copy_bandwidth() override { return b_.copy_bandwidth(); }
  double floor_ns_per_voxel_mode() override { return b_.floor_ns_per_voxel_mode(); }
  std::vector<DeviceOpTime> device_profile() override { return b_.device_profile(); }
  void download(State& state, bool with_catalog) override { b_.download(state, with_catalog); }
  void upload(const State& state) override { b_.upload(state); }

 private:
  Backend& b_;
};

struct BenchRow {
  int n = 0;
  std::string backend, device, rule;
  std::string loop = "host";         ///< solver.gpu_loop
  std::string precision = "double";  ///< solver.precision
  std::uint64_t events = 0, passes = 0;
  std::uint64_t rejected = 0, refreshes = 0, full_refreshes = 0;
  CallTimes times;
  std::vector<DeviceOpTime> device_ops;  ///< --profile: device time per operation in the timed phase
  double seconds = 0.0, cpu_seconds = 0.0, bytes_per_pass = 0.0, copy_bandwidth = 0.0;
  double voxel_modes = 0.0;  ///< N^2 M
  double floor_ns = 0.0;     ///< Backend::floor_ns_per_voxel_mode (0: unknown)
  /// ns per voxel-mode per barrier pass: the passes' own time where it was timed (host loop),
  /// else the wall time (device loop).
  double ns_per_voxel_mode() const {
    const double t = times.barrier_pass > 0.0 ? times.barrier_pass : seconds;
    return passes > 0 ? 1e9 * t / (static_cast<double>(passes) * voxel_modes) : 0.0;
  }
  double events_per_s() const { return events / seconds; }
  double us_per_event() const { return 1e6 * seconds / events; }
  double bandwidth() const { return bytes_per_pass * passes / seconds; }
};

/// CPU time of this process (all threads), s: robust to other load on the machine, unlike wall time.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double available_host_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (f >> key >> kb) {
    if (key == "MemAvailable:") return kb * 1024.0;
    f.ignore(256, '\n');
  }
  return 0.0;
}

/// Rough host bytes the CPU backend needs: catalog + caches per voxel-mode, fields + kernels per voxel.
double cpu_bytes_needed(int n, int modes) {
  const double v = static_cast<double>(n) * n;
  return v * modes * (4 + 4 + 4 + 8 + 8) + v * (6 * 8 + 16 * 8);
}

ThermalRule rule_named(const std::string& name) {
  for (ThermalRule r :
       {ThermalRule::reference, ThermalRule::probabilistic, ThermalRule::residence_time, ThermalRule::bounded})
    if (to_string(r) == name) return r;
  throw std::invalid_argument("bench: unknown kinetics rule " + name);
}

Params bench_params(int n, const std::string& rule, const BenchOptions& o, const std::string& loop = "host",
                    const std::string& precision = "double") {
  Params p;
  p.solver.precision = precision == "mixed" ? Precision::mixed : Precision::full_double;
  p.solver.gpu_loop = loop == "device" ? GpuLoop::device : GpuLoop::host;
  p.solver.gpu_loop_chunk = o.gpu_loop_chunk;
  p.grid.n = n;
  p.grid.modes = o.modes;
  p.seed = o.seed;
  p.kinetics.rule = rule_named(rule);
  return p;
}

/// A run loaded to a given strain, from which every rule and backend starts (--warmup-strain).
struct LoadedState {
  State state;
  DriverState driver;
  DriverResults results;
};

/// Loads the reference deck at size n to `strain` on the CPU backend with the bounded rule (the
/// fastest way there); the rules compared then start from the same glass at the same stress.
LoadedState load_to_strain(int n, double strain, const BenchOptions& o) {
  const Params p = bench_params(n, "bounded", o);
  BackendOptions bo;
  bo.threads = o.threads;
  auto backend = make_backend("cpu", p, bo);
  Driver driver(p, *backend);
  driver.start();
  while (driver.loaded_strain() < strain && driver.step()) {
  }
  LoadedState s;
  backend->download(s.state, true);
  s.driver = driver.state();
  s.driver.bounds_valid = false;  // each rule computes what it needs afresh
  s.results = driver.results();
  std::fprintf(stderr, "bench:   loaded to strain %.4f (%llu thermal events) for every rule at N=%d\n",
               driver.loaded_strain(), static_cast<unsigned long long>(s.driver.counters.thermal_events), n);
  return s;
}

BenchRow bench_one(const std::string& backend_name, const std::string& rule, const std::string& loop,
                   const std::string& precision, int n, const BenchOptions& o, const LoadedState* loaded) {
  const Params p = bench_params(n, rule, o, loop, precision);
  BackendOptions bo;
  bo.threads = o.threads;
  bo.profile_device = o.profile;
  auto inner = make_backend(backend_name, p, bo);
  TimedBackend backend_timed(*inner);
  Backend* backend = &backend_timed;
  Driver driver(p, *backend);
  std::uint64_t warmup = o.warmup;
  if (loaded) {
    backend->initialize();
    backend->upload(loaded->state);
    driver.restore(loaded->driver, loaded->results);
    warmup += loaded->driver.counters.thermal_events;
  } else {
    driver.start();
  }
  const auto begin = std::chrono::steady_clock::now();
  auto elapsed = [&](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Warm-up: load until `warmup` thermal events have happened (the elastic prelude included).
  while (driver.state().counters.thermal_events < warmup && driver.step() && elapsed(begin) < o.max_seconds) {
  }
  const Counters c0 = driver.state().counters;
  const DriverState d0 = driver.state();
  backend_timed.times = CallTimes{};
  backend->device_profile();  // drops the warm-up's device times
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  while (driver.state().counters.thermal_events - c0.thermal_events < o.events && driver.step() &&
         elapsed(t0) < o.max_seconds) {
  }
  BenchRow r;
  r.seconds = elapsed(t0);
  r.cpu_seconds = process_cpu_seconds() - cpu0;
  r.n = n;
  r.rule = rule;
  r.precision = precision;
  r.loop = driver.uses_pass_loop() ? "device" : "host";
  r.times = backend_timed.times;
  r.device_ops = backend->device_profile();
  r.rejected = driver.state().candidates_rejected - d0.candidates_rejected;
  r.refreshes = driver.state().bound_refreshes - d0.bound_refreshes;
  r.full_refreshes = driver.state().full_bound_refreshes - d0.full_bound_refreshes;
  r.backend = backend->name();
  r.device = backend->device_description();
  r.events = driver.state().counters.thermal_events - c0.thermal_events;
  r.passes = driver.state().counters.passes - c0.passes;
  r.bytes_per_pass = backend->bytes_per_pass();
  r.copy_bandwidth = backend->copy_bandwidth();
  r.voxel_modes = static_cast<double>(n) * n * o.modes;
  if (rule != "bounded") r.floor_ns = backend->floor_ns_per_voxel_mode();
  return r;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

/// The rows' exhaustive counterpart for the speed-up column: the same backend and N, the first
/// rule of the list that is not "bounded".
const BenchRow* exhaustive_twin(const std::vector<BenchRow>& rows, const BenchRow& r) {
  for (const BenchRow& x : rows)
    if (x.n == r.n && x.backend == r.backend && x.rule != "bounded" && x.events > 0) return &x;
  return nullptr;
}

/// The rule column: the kinetics rule, and the precision where it is not double.
std::string rule_label(const BenchRow& r) { return r.precision == "mixed" ? r.rule + " (mixed)" : r.rule; }

/// The backend column: the cuda backend's device-resident loop is named.
std::string backend_label(const BenchRow& r) { return r.loop == "device" ? r.backend + " (device loop)" : r.backend; }

std::string format_table(const std::vector<BenchRow>& rows, int modes) {
  std::ostringstream os;
  os << "| N | M | backend | rule | events | passes | s | events/s | us/event | CPU us/event | GB/s (model) | copy "
        "GB/s | of copy | ns/vm/pass | floor ns | of floor | GPU/CPU | vs exhaustive |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::pair<int, std::string>, double> cpu_us;
  for (const BenchRow& r : rows)
    if (r.backend == "cpu" && r.events > 0) cpu_us[{r.n, rule_label(r)}] = r.us_per_event();
  char line[640];
  for (const BenchRow& r : rows) {
    std::string ratio = "", speedup = "";
    char b[32];
    if (r.backend == "cuda" && cpu_us.count({r.n, rule_label(r)}) && r.events > 0) {
      std::snprintf(b, sizeof b, "%.1fx", cpu_us[{r.n, rule_label(r)}] / r.us_per_event());
      ratio = b;
    }
    const BenchRow* twin = r.rule == "bounded" ? exhaustive_twin(rows, r) : nullptr;
    if (twin && r.events > 0) {
      std::snprintf(b, sizeof b, "%.1fx (CPU %.1fx)", twin->us_per_event() / r.us_per_event(),
                    (twin->cpu_seconds / twin->events) / (r.cpu_seconds / r.events));
      speedup = b;
    }
    // The traffic model describes the exhaustive passes only.
    const double bw = r.rule == "bounded" ? 0.0 : r.bandwidth();
    std::string ns_vm = "-", floor = "-", of_floor = "-";
    if (r.rule != "bounded" && r.passes > 0) {
      std::snprintf(b, sizeof b, "%.3g", r.ns_per_voxel_mode());
      ns_vm = b;
      if (r.floor_ns > 0.0) {
        std::snprintf(b, sizeof b, "%.3g", r.floor_ns);
        floor = b;
        std::snprintf(b, sizeof b, "%.0f%%", 100.0 * r.floor_ns / r.ns_per_voxel_mode());
        of_floor = b;
      }
    }
    std::snprintf(
        line, sizeof line,
        "| %d | %d | %s | %s | %llu | %llu | %.2f | %.4g | %.4g | %.4g | %s | %.3g | %s | %s | %s | %s | %s | %s "
        "|\n",
        r.n, modes, backend_label(r).c_str(), rule_label(r).c_str(), static_cast<unsigned long long>(r.events),
        static_cast<unsigned long long>(r.passes), r.seconds, r.events > 0 ? r.events_per_s() : 0.0,
        r.events > 0 ? r.us_per_event() : 0.0, r.events > 0 ? 1e6 * r.cpu_seconds / r.events : 0.0,
        bw > 0 ? std::to_string(bw / 1e9).substr(0, 5).c_str() : "-", r.copy_bandwidth / 1e9,
        bw > 0 && r.copy_bandwidth > 0 ? (std::to_string(static_cast<int>(100.0 * bw / r.copy_bandwidth)) + "%").c_str()
                                       : "-",
        ns_vm.c_str(), floor.c_str(), of_floor.c_str(), ratio.c_str(), speedup.c_str());
    os << line;
  }
  return os.str();
}

/// Where the time goes, us per thermal event, and the bounded rule's counts per event.
std::string format_breakdown(const std::vector<BenchRow>& rows) {
  std::ostringstream os;
  os << "| N | backend | rule | barrier passes | event updates | bound updates | candidates | athermal | full "
        "solves | device loop | other | rejections/event | refreshes/event | full refreshes/1000 events |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  char line[512];
  for (const BenchRow& r : rows) {
    if (r.events == 0) continue;
    const double e = static_cast<double>(r.events), us = 1e6 / e;
    const CallTimes& t = r.times;
    const double other = r.seconds - (t.barrier_pass + t.transform + t.bounds + t.candidates + t.athermal +
                                      t.full_solve + t.device_loop);
    const bool bounded = r.rule == "bounded";
    std::snprintf(line, sizeof line,
                  "| %d | %s | %s | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g | %s | %s | %s |\n", r.n,
                  backend_label(r).c_str(), rule_label(r).c_str(), t.barrier_pass * us, t.transform * us, t.bounds * us,
                  t.candidates * us, t.athermal * us, t.full_solve * us, t.device_loop * us, other * us,
                  bounded ? std::to_string(r.rejected / e).substr(0, 5).c_str() : "-",
                  bounded ? std::to_string(r.refreshes / e).substr(0, 6).c_str() : "-",
                  bounded ? std::to_string(1000.0 * r.full_refreshes / e).substr(0, 5).c_str() : "-");
    os << line;
  }
  return os.str();
}

/// --profile: device time per operation and thermal event, and the host gap (wall time the
/// device spends idle: launches, copies back, synchronisations, host work).
std::string format_device_profile(const std::vector<BenchRow>& rows) {
  std::ostringstream os;
  char line[512];
  for (const BenchRow& r : rows) {
    if (r.device_ops.empty() || r.events == 0) continue;
    const double us = 1e6 / static_cast<double>(r.events);
    std::snprintf(line, sizeof line, "\nN=%d, %s, %s rule, %llu thermal events, %.2f us wall per event:\n\n", r.n,
                  backend_label(r).c_str(), rule_label(r).c_str(), static_cast<unsigned long long>(r.events),
                  r.seconds * us);
    os << line << "| device operation | calls per event | us per call | us per event |\n|---|---|---|---|\n";
    double device = 0.0;
    for (const DeviceOpTime& d : r.device_ops) {
      device += d.seconds;
      std::snprintf(line, sizeof line, "| %s | %.3g | %.2f | %.2f |\n", d.name.c_str(), d.calls / (r.events * 1.0),
                    1e6 * d.seconds / d.calls, d.seconds * us);
      os << line;
    }
    std::snprintf(line, sizeof line, "| all device operations | | | %.2f |\n| host gap (wall - device) | | | %.2f |\n",
                  device * us, (r.seconds - device) * us);
    os << line;
  }
  return os.str();
}

void run_bench(BenchOptions o) {
  std::vector<std::string> backends;
  for (const std::string& b : o.backends) {
    if (b == "auto") {
      backends.push_back("cpu");
      if (cuda_device_count() > 0) backends.push_back("cuda");
    } else {
      if (b == "cuda" && cuda_device_count() == 0) {
        // Asked for by name on a machine without a usable GPU: the other backends still run.
        std::fprintf(stderr, "bench: skipping cuda: no usable CUDA device (no GPU, or no working driver)\n");
        continue;
      }
      backends.push_back(resolve_backend_name(b));
    }
  }
  if (o.sizes.empty()) {
    o.sizes = {64, 128, 256, 512};
    if (cuda_device_count() > 0) o.sizes = {64, 128, 256, 512, 1024, 2048, 4096};
  }
  std::vector<BenchRow> rows;
  for (int n : o.sizes) {
    for (const std::string& b : backends) {
      if (b == "cpu" && cpu_bytes_needed(n, o.modes) > 0.8 * available_host_bytes()) {
        std::fprintf(stderr, "bench: skipping cpu at N=%d: needs %.1f GiB, %.1f GiB available\n", n,
                     cpu_bytes_needed(n, o.modes) / 1073741824.0, available_host_bytes() / 1073741824.0);
        continue;
      }
      std::unique_ptr<LoadedState> loaded;
      if (o.warmup_strain > 0.0) loaded = std::make_unique<LoadedState>(load_to_strain(n, o.warmup_strain, o));
      for (const std::string& rule : o.rules) {
        for (const std::string& loop : o.gpu_loops) {
          for (const std::string& precision : o.precisions) {
            // The cpu's device loop is its host loop; the cpu and cuda backends' exhaustive
            // pass has a mixed-precision variant.
            if (loop == "device" && b != "cuda") continue;
            if (precision == "mixed" && (b == "reference" || rule == "bounded")) continue;
            std::fprintf(stderr, "bench: N=%d M=%d backend=%s rule=%s loop=%s precision=%s ...\n", n, o.modes,
                         b.c_str(), rule.c_str(), loop.c_str(), precision.c_str());
            rows.push_back(bench_one(b, rule, loop, precision, n, o, loaded.get()));
            const BenchRow& r = rows.back();
            std::fprintf(stderr, "bench:   %llu events in %.2f s: %.4g events/s, %.4g us/event\n",
                         static_cast<unsigned long long>(r.events), r.seconds, r.events_per_s(), r.us_per_event());
          }
        }
      }
    }
  }
  std::string table =
      format_table(rows, o.modes) + "\nPer thermal event (us), by backend call:\n\n" + format_breakdown(rows);
  if (o.profile) {
    const std::string profile = format_device_profile(rows);
    table += "\nDevice time per operation (CUDA events, --profile):\n" +
             (profile.empty() ? std::string("\n(no backend in this run times a device)\n") : profile);
  }
  std::string devices;
  for (const BenchRow& r : rows)
    if (devices.find(r.device) == std::string::npos) devices += (devices.empty() ? "" : "; ") + r.device;
#ifdef STZ_GIT_COMMIT
  const std::string commit = STZ_GIT_COMMIT;
#else
  const std::string commit = "unknown";
#endif
  std::ostringstream setup;
  if (o.warmup_strain > 0.0) setup << "loaded to strain " << o.warmup_strain << " (CPU, bounded rule), then ";
  setup << "warm-up " << o.warmup << " thermal events, then " << o.events << " events (or " << o.max_seconds
        << " s) per case; reference parameters (kinetics.rule as in the table); seed " << o.seed;
  std::printf("stzkmc bench, %s, commit %s\ndevices: %s\n%s\n\n%s", now_utc().c_str(), commit.c_str(), devices.c_str(),
              setup.str().c_str(), table.c_str());
  // Both files are replaced atomically and only by complete, checked writes (atomic_file.hpp).
  if (!o.csv.empty()) {
    std::ostringstream f;
    f << "n,modes,backend,rule,loop,device,events,passes,seconds,cpu_seconds,events_per_s,us_per_event,bytes_per_pass,"
         "copy_bandwidth,rejected,refreshes,full_refreshes,precision\n";
    for (const BenchRow& r : rows)
      f << r.n << ',' << o.modes << ',' << r.backend << ',' << r.rule << ',' << r.loop << ",\"" << r.device << "\","
        << r.events << ',' << r.passes << ',' << r.seconds << ',' << r.cpu_seconds << ',' << r.events_per_s() << ','
        << r.us_per_event() << ',' << r.bytes_per_pass << ',' << r.copy_bandwidth << ',' << r.rejected << ','
        << r.refreshes << ',' << r.full_refreshes << ',' << r.precision << '\n';
    io::write_text_atomically(o.csv, f.str());
  }
  if (!o.record.empty()) {
    std::ostringstream f;
    if (std::ifstream old{o.record}) f << old.rdbuf();  // the record so far, then this run
    f << "\n## " << now_utc() << " - commit " << commit << "\n\nDevices: " << devices << "  \n"
      << setup.str() << ".\n\n"
      << table;
    io::write_text_atomically(o.record, f.str());
    std::fprintf(stderr, "bench: appended to %s\n", o.record.c_str());
  }
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Benchmark thermal events/s per backend and grid size");
  cmd->add_option("--backends,--backend", opts->backends,
                  "Backends to compare: auto (cpu and cuda if usable), cpu, cuda, reference")
      ->delimiter(',')
      ->check(CLI::IsMember({"auto", "cpu", "cuda", "reference"}));
  cmd->add_option("--rules", opts->rules,
                  "Kinetics rules to compare (kinetics.rule values): reference, probabilistic, residence-time, "
                  "bounded; the speed-up column divides the first exhaustive rule's time by the bounded one's")
      ->delimiter(',')
      ->check(CLI::IsMember({"reference", "probabilistic", "residence-time", "bounded"}));
  cmd->add_option("--sizes", opts->sizes, "Grid sizes N (default 64..512 on CPU, 64..4096 with a GPU)")
      ->delimiter(',')
      ->check(CLI::Range(4, 65536));
  cmd->add_option("--modes", opts->modes, "Shear modes per voxel M")->check(CLI::Range(1, 1024));
  cmd->add_option("--events", opts->events, "Thermal events timed per case")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", opts->warmup, "Thermal events before timing starts");
  cmd->add_option("--warmup-strain", opts->warmup_strain,
                  "First load the glass to this strain (CPU, bounded rule) and start every rule and backend "
                  "from that same state, e.g. 0.04 to time plastic flow (0: start from the unloaded glass)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--max-seconds", opts->max_seconds, "Cap on the timed (and the warm-up) phase per case, s")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opts->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", opts->seed, "Random seed");
  cmd->add_option("--record", opts->record, "Append the table to this Markdown benchmark record");
  cmd->add_option("--csv", opts->csv, "Also write the rows as CSV");
  cmd->add_option("--gpu-loop", opts->gpu_loops,
                  "solver.gpu_loop values to run on the cuda backend: host, device (the cpu runs host only)")
      ->check(CLI::IsMember({"host", "device"}))
      ->delimiter(',');
  cmd->add_option("--precision", opts->precisions,
                  "solver.precision values to compare: double, mixed (mixed: cpu and cuda backends, exhaustive rules)")
      ->delimiter(',')
      ->check(CLI::IsMember({"double", "mixed"}));
  cmd->add_option("--gpu-loop-chunk", opts->gpu_loop_chunk, "solver.gpu_loop_chunk: passes per device-loop stretch")
      ->check(CLI::Range(1, max_gpu_loop_chunk));
  cmd->add_flag("--profile", opts->profile,
                "Also time every device operation with CUDA events (cuda backend): device us per thermal event "
                "by operation and the host gap (wall minus device time)");
  cmd->callback([opts]() { run_bench(*opts); });
}

}  // namespace stz::cli
