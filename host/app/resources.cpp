#include "app/resources.hpp"

#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>

#include "backends/factory.hpp"
#include "stz/backend.hpp"

namespace stz::io {

namespace {

/// A number from a /proc or /sys file ("max" and unreadable files: the largest size_t).
std::size_t read_limit(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word == "max") return std::numeric_limits<std::size_t>::max();
  try {
    return static_cast<std::size_t>(std::stoull(word));
  } catch (const std::exception&) {
    return std::numeric_limits<std::size_t>::max();
  }
}

std::size_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  std::size_t value = 0;
  while (in >> key >> value >> unit)
    if (key == "MemAvailable:") return value * 1024;
  return 0;
}

}  // namespace

std::size_t available_memory_bytes() {
  std::size_t avail = mem_available();
  if (avail == 0) return 0;
  // cgroup v2 (the process's own group, as Slurm and containers set it), then v1.
  std::ifstream cg("/proc/self/cgroup");
  std::string line, v2_path;
  while (std::getline(cg, line))
    if (line.rfind("0::", 0) == 0) v2_path = line.substr(3);
  const std::size_t none = std::numeric_limits<std::size_t>::max();
  auto lower_to = [&](std::size_t limit, std::size_t used) {
    if (limit != none && used != none) avail = std::min(avail, limit > used ? limit - used : 0);
  };
  if (!v2_path.empty()) {
    const std::string dir = "/sys/fs/cgroup" + v2_path;
    lower_to(read_limit(dir + "/memory.max"), read_limit(dir + "/memory.current"));
  }
  lower_to(read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
           read_limit("/sys/fs/cgroup/memory/memory.usage_in_bytes"));
  return avail;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 5) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return buf;
}

std::size_t run_host_memory_bytes(const std::string& kind, const Params& params) {
  const auto n = static_cast<std::size_t>(params.grid.n);
  const std::size_t v = n * n;
  // A downloaded State (field registry), with its catalog for a checkpoint.
  const bool bounded = params.kinetics.rule == ThermalRule::bounded;
  const std::size_t state = state_bytes(v, params.grid.modes, bounded);
  // A field snapshot: 7 double fields + generation, plus the State it is made from (no catalog).
  const std::size_t snapshot = v * (7 * sizeof(double) + 4) + state_bytes(v, 0, bounded);
  return backend_host_memory_bytes(kind, params) + 2 * state + snapshot;
}

void check_run_memory(const std::string& kind, const Params& params) {
  const std::size_t available = available_memory_bytes();
  if (available == 0) return;
  const std::size_t need = run_host_memory_bytes(kind, params);
  if (need <= available) return;
  throw std::invalid_argument(
      "grid.n = " + std::to_string(params.grid.n) + " with grid.modes = " + std::to_string(params.grid.modes) +
      " needs about " + bytes_text(static_cast<double>(need)) + " of host memory on the " + kind +
      " backend (the grid's arrays plus the copies a checkpoint writes and verifies), but " +
      bytes_text(static_cast<double>(available)) +
      " are available here: choose a smaller grid.n or grid.modes, or a machine with more memory");
}

}  // namespace stz::io
