// Without CUDA the SEEM ensemble runs on CPU threads only; cuda/seem_ensemble.cu provides these
// functions when the project is built with CUDA (STZ_HAVE_CUDA).
#ifndef STZ_HAVE_CUDA
#include <stdexcept>

#include "seem_device.hpp"

namespace stz::seem {

bool seem_cuda_available() { return false; }

void run_ensemble_cuda(const StepView&, std::size_t, std::size_t, std::uint64_t, std::int64_t,
                       const std::vector<std::int64_t>&, double, double, std::vector<float>&,
                       std::vector<float>&, std::vector<float>&, DeviceRunOutput&) {
  throw std::runtime_error("SEEM: stzkmc was built without CUDA; use --device cpu");
}

}  // namespace stz::seem
#endif
