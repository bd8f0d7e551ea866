#include "stz/state.hpp"

namespace stz {

void State::resize(int n_, int modes_, bool bounded_rule) {
  n = n_;
  modes = modes_;
  const std::size_t v = voxels();
  for_each_state_field([&](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    (this->*field.member).assign(field.count(v, modes, bounded_rule), T{});
  });
}

}  // namespace stz
