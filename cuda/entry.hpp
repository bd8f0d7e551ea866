#pragma once
/** @file
 * @brief The CUDA backend's entry points, in plain C++ (no CUDA headers), so that host code can
 * ask for a device and a backend whether or not CUDA was compiled in: cuda/cuda_backend.cu
 * defines them, host/backends/without_cuda.cpp when the build has no CUDA.
 */
#include <memory>
#include <string>

#include "stz/backend.hpp"

namespace stz {

/// The CUDA backend; throws std::runtime_error when built without CUDA or without a device.
std::unique_ptr<Backend> make_cuda_backend(const Params& params, const BackendOptions& options);

/// Number of usable CUDA devices (0 when built without CUDA or without a driver).
int cuda_device_count();

/// Name of CUDA device `ordinal` (empty when none).
std::string cuda_device_name(int ordinal);

}  // namespace stz
