// `stzkmc bench`: the same deck on the chosen backends for a fixed number of thermal events
// after a warm-up, over a list of grid sizes; events/s, us/event, achieved bandwidth and the
// GPU/CPU ratio measured side by side in one run. Optionally appends to a benchmark record.
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
  std::vector<int> sizes;
  int modes = 20;
  std::uint64_t events = 2000;
  std::uint64_t warmup = 200;
  double max_seconds = 60.0;
  int threads = 0;
  std::uint64_t seed = 1;
  std::string record;
  std::string csv;
};

struct BenchRow {
  int n = 0;
  std::string backend, device;
  std::uint64_t events = 0, passes = 0;
  double seconds = 0.0, cpu_seconds = 0.0, bytes_per_pass = 0.0, copy_bandwidth = 0.0;
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

BenchRow bench_one(const std::string& backend_name, int n, const BenchOptions& o) {
  Params p;
  p.grid.n = n;
  p.grid.modes = o.modes;
  p.seed = o.seed;
  BackendOptions bo;
  bo.threads = o.threads;
  auto backend = make_backend(backend_name, p, bo);
  Driver driver(p, *backend);
  driver.start();
  const auto begin = std::chrono::steady_clock::now();
  auto elapsed = [&](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Warm-up: load until `warmup` thermal events have happened (the elastic prelude included).
  while (driver.state().counters.thermal_events < o.warmup && driver.step() && elapsed(begin) < o.max_seconds) {
  }
  const Counters c0 = driver.state().counters;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  while (driver.state().counters.thermal_events - c0.thermal_events < o.events && driver.step() &&
         elapsed(t0) < o.max_seconds) {
  }
  BenchRow r;
  r.seconds = elapsed(t0);
  r.cpu_seconds = process_cpu_seconds() - cpu0;
  r.n = n;
  r.backend = backend->name();
  r.device = backend->device_description();
  r.events = driver.state().counters.thermal_events - c0.thermal_events;
  r.passes = driver.state().counters.passes - c0.passes;
  r.bytes_per_pass = backend->bytes_per_pass();
  r.copy_bandwidth = backend->copy_bandwidth();
  return r;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

std::string format_table(const std::vector<BenchRow>& rows, int modes) {
  std::ostringstream os;
  os << "| N | M | backend | events | passes | s | events/s | us/event | CPU us/event | GB/s (model) | copy GB/s | of "
        "copy | GPU/CPU |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::map<int, double> cpu_us;
  for (const BenchRow& r : rows)
    if (r.backend == "cpu" && r.events > 0) cpu_us[r.n] = r.us_per_event();
  char line[512];
  for (const BenchRow& r : rows) {
    std::string ratio = "";
    if (r.backend == "cuda" && cpu_us.count(r.n) && r.events > 0) {
      char b[32];
      std::snprintf(b, sizeof b, "%.1fx", cpu_us[r.n] / r.us_per_event());
      ratio = b;
    }
    const double bw = r.bandwidth();
    std::snprintf(line, sizeof line,
                  "| %d | %d | %s | %llu | %llu | %.2f | %.4g | %.4g | %.4g | %.3g | %.3g | %.0f%% | %s |\n", r.n,
                  modes, r.backend.c_str(), static_cast<unsigned long long>(r.events),
                  static_cast<unsigned long long>(r.passes), r.seconds, r.events > 0 ? r.events_per_s() : 0.0,
                  r.events > 0 ? r.us_per_event() : 0.0, r.events > 0 ? 1e6 * r.cpu_seconds / r.events : 0.0, bw / 1e9,
                  r.copy_bandwidth / 1e9, r.copy_bandwidth > 0 ? 100.0 * bw / r.copy_bandwidth : 0.0, ratio.c_str());
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
      std::fprintf(stderr, "bench: N=%d M=%d backend=%s ...\n", n, o.modes, b.c_str());
      rows.push_back(bench_one(b, n, o));
      const BenchRow& r = rows.back();
      std::fprintf(stderr, "bench:   %llu events in %.2f s: %.4g events/s, %.4g us/event\n",
                   static_cast<unsigned long long>(r.events), r.seconds, r.events_per_s(), r.us_per_event());
    }
  }
  const std::string table = format_table(rows, o.modes);
  std::string devices;
  for (const BenchRow& r : rows)
    if (devices.find(r.device) == std::string::npos) devices += (devices.empty() ? "" : "; ") + r.device;
#ifdef STZ_GIT_COMMIT
  const std::string commit = STZ_GIT_COMMIT;
#else
  const std::string commit = "unknown";
#endif
  std::printf(
      "stzkmc bench, %s, commit %s\ndevices: %s\nwarm-up %llu thermal events, then %llu events "
      "(or %.0f s) per case, reference parameters, seed %llu\n\n%s",
      now_utc().c_str(), commit.c_str(), devices.c_str(), static_cast<unsigned long long>(o.warmup),
      static_cast<unsigned long long>(o.events), o.max_seconds, static_cast<unsigned long long>(o.seed), table.c_str());
  // Both files are replaced atomically and only by complete, checked writes (atomic_file.hpp).
  if (!o.csv.empty()) {
    std::ostringstream f;
    f << "n,modes,backend,device,events,passes,seconds,cpu_seconds,events_per_s,us_per_event,bytes_per_pass,copy_"
         "bandwidth\n";
    for (const BenchRow& r : rows)
      f << r.n << ',' << o.modes << ',' << r.backend << ",\"" << r.device << "\"," << r.events << ',' << r.passes << ','
        << r.seconds << ',' << r.cpu_seconds << ',' << r.events_per_s() << ',' << r.us_per_event() << ','
        << r.bytes_per_pass << ',' << r.copy_bandwidth << '\n';
    io::write_text_atomically(o.csv, f.str());
  }
  if (!o.record.empty()) {
    std::ostringstream f;
    if (std::ifstream old{o.record}) f << old.rdbuf();  // the record so far, then this run
    f << "\n## " << now_utc() << " - commit " << commit << "\n\nDevices: " << devices << "  \nWarm-up " << o.warmup
      << " thermal events, then " << o.events << " events (or " << o.max_seconds
      << " s) per case; reference parameters; seed " << o.seed << ".\n\n"
      << table;
    io::write_text_atomically(o.record, f.str());
    std::fprintf(stderr, "bench: appended to %s\n", o.record.c_str());
  }
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Benchmark thermal events/s per backend and grid size");
  cmd->add_option("--backends", opts->backends, "Backends to compare: auto (cpu and cuda if usable), cpu, cuda")
      ->delimiter(',');
  cmd->add_option("--sizes", opts->sizes, "Grid sizes N (default 64..512 on CPU, 64..4096 with a GPU)")
      ->delimiter(',')
      ->check(CLI::Range(4, 65536));
  cmd->add_option("--modes", opts->modes, "Shear modes per voxel M")->check(CLI::Range(1, 1024));
  cmd->add_option("--events", opts->events, "Thermal events timed per case")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", opts->warmup, "Thermal events before timing starts");
  cmd->add_option("--max-seconds", opts->max_seconds, "Cap on the timed (and the warm-up) phase per case, s")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opts->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", opts->seed, "Random seed");
  cmd->add_option("--record", opts->record, "Append the table to this Markdown benchmark record");
  cmd->add_option("--csv", opts->csv, "Also write the rows as CSV");
  cmd->callback([opts]() { run_bench(*opts); });
}

}  // namespace stz::cli
