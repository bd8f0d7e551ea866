#pragma once
/** @file
 * @brief Checked CUDA and cuFFT calls: every runtime call goes through STZ_CUDA_TRY, every
 * cuFFT call through STZ_CUFFT_TRY, and every kernel launch is followed by
 * STZ_CUDA_CHECK_LAUNCH(). A failure throws std::runtime_error naming the call, the file and
 * line and the CUDA error, so a broken device surfaces as an exception at the driver, never as
 * silently wrong numbers.
 *
 * Launch errors (bad configuration, no kernel image for this GPU) are reported at the launch;
 * faults inside a kernel surface at the next synchronising call. Define STZ_CUDA_SYNC_CHECK
 * (cmake -DCMAKE_CUDA_FLAGS=-DSTZ_CUDA_SYNC_CHECK) to synchronise after every launch and
 * attribute such faults to the kernel that caused them (slow; for debugging).
 */
#include <cuda_runtime.h>
#include <cufft.h>

#include <stdexcept>
#include <string>

namespace stz::cuda {

/// Throws the std::runtime_error of a failed CUDA runtime call.
[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
                           "): " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
}

/// cuFFT has no error-string function: name the documented result codes.
inline const char* cufft_result_name(cufftResult r) {
  switch (r) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "unknown cufftResult";
  }
}

[[noreturn]] inline void throw_cufft_error(cufftResult r, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("cuFFT error in ") + what + " (" + file + ":" + std::to_string(line) +
                           "): " + cufft_result_name(r) + " (" + std::to_string(static_cast<int>(r)) + ")");
}

}  // namespace stz::cuda

/// Evaluates a CUDA runtime call and throws std::runtime_error unless it returns cudaSuccess.
#define STZ_CUDA_TRY(call)                                                                                     \
  do {                                                                                                         \
    const cudaError_t stz_cuda_err_ = (call);                                                                  \
    if (stz_cuda_err_ != cudaSuccess) ::stz::cuda::throw_cuda_error(stz_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

/// Evaluates a cuFFT call and throws std::runtime_error unless it returns CUFFT_SUCCESS.
#define STZ_CUFFT_TRY(call)                                                                                         \
  do {                                                                                                              \
    const cufftResult stz_cufft_res_ = (call);                                                                      \
    if (stz_cufft_res_ != CUFFT_SUCCESS) ::stz::cuda::throw_cufft_error(stz_cufft_res_, #call, __FILE__, __LINE__); \
  } while (0)

#ifdef STZ_CUDA_SYNC_CHECK
#define STZ_CUDA_CHECK_LAUNCH()            \
  do {                                     \
    STZ_CUDA_TRY(cudaGetLastError());      \
    STZ_CUDA_TRY(cudaDeviceSynchronize()); \
  } while (0)
#else
/// Checks (and clears) the error state of the kernel launch just made.
#define STZ_CUDA_CHECK_LAUNCH() STZ_CUDA_TRY(cudaGetLastError())
#endif
