#include "core/protocol.hpp"

#include "core/protocols/strain_control.hpp"
#include "stz/physics/medium.hpp"

namespace stz {

std::unique_ptr<LoadingProtocol> make_protocol(const Params& params) {
  return std::make_unique<StrainControl>(params, make_medium(params.elastic));
}

}  // namespace stz
