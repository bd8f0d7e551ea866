#include "backends/factory.hpp"

#include <stdexcept>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/multiversion.hpp"
#include "backends/reference/reference_backend.hpp"
#include "cuda/entry.hpp"

namespace stz {

namespace {
void check_precision(const std::string& kind, const Params& params) {
  if (params.solver.precision == Precision::mixed && kind == "reference")
    throw std::invalid_argument(
        "solver.precision = \"mixed\" on the reference backend: the reference backend keeps the published "
        "double-precision arithmetic; allowed here: solver.precision = \"double\", or run.backend = \"cpu\", "
        "\"cuda\" or \"auto\"");
}

/// Settings whose CUDA path has never run on a GPU (docs/cuda.md, "What has run on a GPU"):
/// `auto` runs them on the cpu until a GPU check has verified them; `cuda` runs them as asked.
bool cuda_path_unverified(const Params& params) {
  return params.solver.precision == Precision::mixed || params.kinetics.rule == ThermalRule::bounded;
}
}  // namespace

std::unique_ptr<Backend> make_backend(const std::string& kind, const Params& params, const BackendOptions& options) {
  check_precision(kind, params);
  if (kind == "cpu") return std::make_unique<CpuBackend>(params, options);
  if (kind == "cuda") return make_cuda_backend(params, options);
  if (kind == "reference") return std::make_unique<ReferenceBackend>(params, options);
  throw std::invalid_argument("backend = \"" + kind + "\" is unknown: allowed \"cpu\", \"cuda\" or \"reference\"");
}

std::unique_ptr<Backend> make_resolved_backend(const std::string& requested, const std::string& kind,
                                               const Params& params, const BackendOptions& options,
                                               const std::function<void(const std::string&)>& before_fallback) {
  if (requested != "auto" || kind != "cuda") return make_backend(kind, params, options);
  std::string reason;
  try {
    return make_cuda_backend(params, options);
  } catch (const std::exception& e) {
    // A GPU is present but unusable here: a driver older than the runtime, no kernel image for
    // this GPU, a device busy in exclusive mode, or too little free device memory.
    reason = e.what();
  }
  if (before_fallback) before_fallback(reason);
  return make_backend("cpu", params, options);
}

std::size_t backend_host_memory_bytes(const std::string& kind, const Params& params) {
  if (kind == "cpu") return CpuBackend::host_memory_bytes(params);
  if (kind == "reference") {
    // The state and the barriers (3 float + 1 double per voxel-mode), six kernels (6 double per voxel).
    const auto n = static_cast<std::size_t>(params.grid.n);
    return n * n * (static_cast<std::size_t>(params.grid.modes) * 20 + 6 * 8 + 100);
  }
  return 0;  // the CUDA backend keeps its arrays on the device
}

std::string describe_cpu_code() { return cpu_code_path(); }

std::string resolve_backend_name(const std::string& requested) {
  if (requested == "cpu" || requested == "cuda" || requested == "reference") return requested;
  if (requested == "auto") return cuda_device_count() > 0 ? "cuda" : "cpu";
  throw std::invalid_argument("backend = \"" + requested +
                              "\" is unknown: allowed \"auto\", \"cpu\", \"cuda\" or \"reference\"");
}

std::string auto_cpu_reason(const Params& params) {
  if (!cuda_path_unverified(params) || cuda_device_count() == 0) return "";
  const std::string setting =
      params.kinetics.rule == ThermalRule::bounded ? "kinetics.rule = \"bounded\"" : "solver.precision = \"mixed\"";
  return setting + " has not yet been verified on a GPU (docs/cuda.md); run.backend = \"cuda\" runs it there";
}

std::string resolve_backend_name(const std::string& requested, const Params& params) {
  if (requested == "auto" && cuda_path_unverified(params)) return "cpu";
  const std::string kind = resolve_backend_name(requested);
  check_precision(kind, params);
  return kind;
}

}  // namespace stz
