#include "stz/state.hpp"

namespace stz {

void State::resize(int n_, int modes_) {
  n = n_;
  modes = modes_;
  const std::size_t v = voxels();
  const std::size_t vm = v * static_cast<std::size_t>(modes);
  barrier.assign(vm, 0.0f);
  sfts_e1.assign(vm, 0.0f);
  sfts_e3.assign(vm, 0.0f);
  for (auto* a : {&p1, &p3, &eta_p, &eta_t, &t_last, &s11, &s22, &s12}) a->assign(v, 0.0);
  d1.assign(v, 0.0f);
  d3.assign(v, 0.0f);
  generation.assign(v, 0u);
}

}  // namespace stz
