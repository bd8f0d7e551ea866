#pragma once
/** @file
 * @brief Backends by name: the one place that knows which backends exist (the reference,
 * the optimized CPU and the CUDA backend) and how "auto" is resolved. It sits above the
 * backends and the core; the driver only ever sees the Backend interface (stz/backend.hpp).
 */
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "stz/backend.hpp"

namespace stz {

/// Creates "reference", "cpu" or "cuda". Throws std::invalid_argument for any other name.
std::unique_ptr<Backend> make_backend(const std::string& kind, const Params& params,
                                      const BackendOptions& options = {});

/**
 * @brief Resolves "auto" to "cuda" when a CUDA device is usable, else "cpu"; "reference", "cpu"
 * and "cuda" pass through. Throws std::invalid_argument naming the allowed values otherwise.
 */
std::string resolve_backend_name(const std::string& requested);
/// The CPU code the CPU backend's hot loops run on this machine (backends/cpu/multiversion.hpp).
std::string describe_cpu_code();

/**
 * @brief The backend a run of `params` uses for `requested`: as above, except that "auto" is
 * "cpu" for settings whose CUDA path has never run on a GPU (kinetics.rule = "bounded",
 * solver.precision = "mixed"; docs/cuda.md), and a backend without the run's precision
 * ("mixed" on "reference") is refused with std::invalid_argument naming the key and value.
 */
std::string resolve_backend_name(const std::string& requested, const Params& params);

/// Why "auto" runs `params` on the cpu although a CUDA device is present (a setting whose CUDA
/// path has never run on a GPU), or "" when it does not.
std::string auto_cpu_reason(const Params& params);

/**
 * @brief Makes backend `kind`, resolved from `requested`. When "auto" resolved to "cuda" but the
 * CUDA backend cannot be constructed (driver older than the runtime, no kernel image for this
 * GPU, device busy, too little device memory), calls `before_fallback(reason)` — where the
 * caller warns and checks the host memory the CPU backend needs (it may throw to stop) — and
 * then makes the CPU backend. Any other request is made as is, errors passed on.
 */
std::unique_ptr<Backend> make_resolved_backend(const std::string& requested, const std::string& kind,
                                               const Params& params, const BackendOptions& options,
                                               const std::function<void(const std::string&)>& before_fallback);

/**
 * @brief Host memory (bytes) that backend `kind` allocates for these parameters: its own
 * arrays, not the caller's copies of the state. The CUDA backend checks its device memory
 * itself before allocating (cuda/memory_plan.cuh).
 */
std::size_t backend_host_memory_bytes(const std::string& kind, const Params& params);

}  // namespace stz
