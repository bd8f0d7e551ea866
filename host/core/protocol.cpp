#include "core/protocol.hpp"

#include "core/protocols/creep.hpp"
#include "core/protocols/cyclic.hpp"
#include "core/protocols/relaxation.hpp"
#include "core/protocols/strain_control.hpp"
#include "core/protocols/stress_cycles.hpp"

namespace stz {

std::unique_ptr<LoadingProtocol> make_protocol(const Params& params, const ElasticMedium& medium,
                                               const StageStart& start) {
  switch (params.loading.protocol) {
    case LoadingProtocolKind::creep: return std::make_unique<Creep>(params, medium, start);
    case LoadingProtocolKind::relaxation: return std::make_unique<Relaxation>(params, medium, start);
    case LoadingProtocolKind::cyclic:
      if (params.loading.cyclic_control == CyclicControl::stress)
        return std::make_unique<StressCycles>(params, medium, start);
      return std::make_unique<Cyclic>(params, medium, start);
    case LoadingProtocolKind::strain_rate: break;
  }
  return std::make_unique<StrainControl>(params, medium, start);
}

}  // namespace stz
