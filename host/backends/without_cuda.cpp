// Everything cuda/ provides, for a build without CUDA (STZ_CUDA=OFF or no nvcc): no device, and
// errors that say why. The one stub of the project: no host code chooses a path by STZ_HAVE_CUDA
// (only `stzkmc info` reports it).
#include <stdexcept>

#include "cuda/entry.hpp"
#include "stz/seem/device.hpp"

namespace stz {

std::unique_ptr<Backend> make_cuda_backend(const Params&, const BackendOptions&) {
  throw std::runtime_error(
      "the CUDA backend is not available: stzkmc was built without CUDA "
      "(configure with -DSTZ_CUDA=ON on a machine with nvcc)");
}

int cuda_device_count() { return 0; }

std::string cuda_device_name(int) { return {}; }

namespace seem {

void run_ensemble_cuda(const StepView&, std::size_t, std::size_t, std::uint64_t, std::int64_t,
                       const std::vector<std::int64_t>&, double, double, std::vector<float>&, std::vector<float>&,
                       std::vector<float>&, DeviceRunOutput&) {
  throw std::runtime_error("SEEM: stzkmc was built without CUDA; use --device cpu");
}

}  // namespace seem

}  // namespace stz
