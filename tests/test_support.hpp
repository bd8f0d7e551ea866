#pragma once
// Helpers shared by the test suites.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backends/factory.hpp"
#include "cuda/entry.hpp"
#include "stz/backend.hpp"
#include "stz/params.hpp"

namespace stz::test {

/// Backend chosen with --backend (default cpu).
extern std::string backend_name;

/// True when the CUDA backend cannot run here (not built, or no device).
inline bool needs_gpu_skip() { return cuda_device_count() == 0; }

/// A small, fast parameter set for tests (reference physics, small grid).
inline Params small_params(int n = 16, std::uint64_t seed = 7) {
  Params p;
  p.grid.n = n;
  p.seed = seed;
  return p;
}

inline std::unique_ptr<Backend> make_test_backend(const Params& p, int threads = 0) {
  BackendOptions o;
  o.threads = threads;
  return make_backend(backend_name, p, o);
}

/// The cpu backend whatever --backend says (tests of the CPU's own paths and of the physics).
inline std::unique_ptr<Backend> cpu_backend(const Params& p, int threads = 1) {
  BackendOptions o;
  o.threads = threads;
  return make_backend("cpu", p, o);
}

/// Mean and standard error of the mean of a sample (statistics over seeds).
struct MeanSe {
  double mean = 0.0, se = 0.0;
};
inline MeanSe mean_and_standard_error(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  MeanSe m;
  for (double v : x) m.mean += v;
  m.mean /= n;
  double var = 0.0;
  for (double v : x) var += (v - m.mean) * (v - m.mean);
  m.se = std::sqrt(var / (n - 1.0) / n);
  return m;
}

}  // namespace stz::test
