// Placeholder until the CUDA backend lands (issue 4): device queries work, the backend throws.
#include <cuda_runtime.h>

#include <stdexcept>

#include "stz/backend.hpp"

namespace stz {

int cuda_device_count() {
  int count = 0;
  // Without a driver CUDA returns cudaErrorInsufficientDriver: any error means "no device".
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::string cuda_device_name(int ordinal) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, ordinal) != cudaSuccess) return {};
  return prop.name;
}

std::unique_ptr<Backend> make_cuda_backend(const Params&, const BackendOptions&) {
  throw std::runtime_error("the CUDA backend is not implemented yet");
}

}  // namespace stz
