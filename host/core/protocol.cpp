#include "core/protocol.hpp"

#include "core/protocols/creep.hpp"
#include "core/protocols/cyclic.hpp"
#include "core/protocols/relaxation.hpp"
#include "core/protocols/strain_control.hpp"

namespace stz {

std::unique_ptr<LoadingProtocol> make_protocol(const Params& params, const ElasticMedium& medium) {
  if (params.loading.protocol == LoadingProtocolKind::creep) return std::make_unique<Creep>(params, medium);
  if (params.loading.protocol == LoadingProtocolKind::relaxation) return std::make_unique<Relaxation>(params, medium);
  if (params.loading.protocol == LoadingProtocolKind::cyclic) return std::make_unique<Cyclic>(params, medium);
  return std::make_unique<StrainControl>(params, medium);
}

}  // namespace stz
