#include "backends/factory.hpp"

#include <stdexcept>

#include "backends/cpu/cpu_backend.hpp"
#include "cuda/entry.hpp"

namespace stz {

std::unique_ptr<Backend> make_backend(const std::string& kind, const Params& params,
                                      const BackendOptions& options) {
  if (kind == "cpu") return std::make_unique<CpuBackend>(params, options);
  if (kind == "cuda") return make_cuda_backend(params, options);
  throw std::invalid_argument("backend = \"" + kind + "\" is unknown: allowed \"cpu\" or \"cuda\"");
}

std::size_t backend_host_memory_bytes(const std::string& kind, const Params& params) {
  if (kind == "cpu") return CpuBackend::host_memory_bytes(params);
  return 0;  // the CUDA backend keeps its arrays on the device
}

std::string resolve_backend_name(const std::string& requested) {
  if (requested == "cpu" || requested == "cuda") return requested;
  if (requested == "auto") return cuda_device_count() > 0 ? "cuda" : "cpu";
  throw std::invalid_argument("backend = \"" + requested + "\" is unknown: allowed \"auto\", \"cpu\" or \"cuda\"");
}

}  // namespace stz
