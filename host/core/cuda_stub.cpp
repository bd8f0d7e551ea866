// Linked instead of the CUDA backend when stzkmc is built without CUDA (STZ_CUDA=OFF or no nvcc).
#include <stdexcept>

#include "stz/backend.hpp"

namespace stz {

std::unique_ptr<Backend> make_cuda_backend(const Params&, const BackendOptions&) {
  throw std::runtime_error("the CUDA backend is not available: stzkmc was built without CUDA "
                           "(configure with -DSTZ_CUDA=ON on a machine with nvcc)");
}

int cuda_device_count() { return 0; }

std::string cuda_device_name(int) { return {}; }

}  // namespace stz
