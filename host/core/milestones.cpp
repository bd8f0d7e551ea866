#include "core/milestones.hpp"

namespace stz {

void track_milestones(Milestones& m, double stress, double strain, double plastic, double applied_strain,
                      const std::function<void(std::vector<double>& p1, std::vector<double>& p3)>& eigenstrain) {
  update_peak(m.yield.peak_stress, m.yield.peak_strain, stress, strain);
  if (!m.yield.offset_reached && plastic >= yield_offset) {
    m.yield.offset_reached = true;
    m.yield.offset_stress = stress;
    m.yield.offset_strain = strain;
  }
  if (!m.localization_reached && plastic >= localization_level) {
    std::vector<double> p1, p3;
    eigenstrain(p1, p3);
    m.localization = localization_stats(p1, p3);
    m.localization_reached = true;
    m.localization_applied_strain = applied_strain;
  }
}

}  // namespace stz
