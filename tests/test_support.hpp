#pragma once
// Helpers shared by the test suites.
#include <memory>
#include <string>

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

}  // namespace stz::test
