#include "core/loading.hpp"

#include "stz/physics/medium.hpp"

namespace stz {

Loading::Loading(const Params& params)
    : mode_(params.loading.mode),
      condition_(params.loading.condition),
      medium_(make_medium(params.elastic)) {}

Sym2 Loading::mean_stress(const Sym2& mean_strain, double p1_mean, double p3_mean) const {
  return stz::mean_stress(medium_, mean_strain, p1_mean, p3_mean);
}

Sym2 Loading::exact_mean_strain(double applied, double p1, double p3) const {
  switch (mode_) {
    case LoadingMode::tension:
    case LoadingMode::compression: {
      // eps11 fixed; sigma22 = sigma12 = 0  =>  x22 = -nu_eff x11, x12 = 0 with x = eps - p.
      const double e11 = mode_ == LoadingMode::tension ? applied : -applied;
      return {e11, -p1 - medium_.nu_eff * (e11 - p1), p3};
    }
    default:
      // eps12 = gamma/2 fixed; sigma11 = sigma22 = 0  =>  x11 = x22 = 0.
      return {p1, -p1, 0.5 * applied};
  }
}

Sym2 Loading::after_strain_increment(const Sym2& e, double d_applied, double applied_after,
                                     double p1, double p3) const {
  if (condition_ == LoadingCondition::exact) return exact_mean_strain(applied_after, p1, p3);
  // Reference: eps_bar += d (1, -nu_eff, 0) (tension), which adds E* d to sigma11.
  switch (mode_) {
    case LoadingMode::tension: return {e.xx + d_applied, e.yy - medium_.nu_eff * d_applied, e.xy};
    case LoadingMode::compression: return {e.xx - d_applied, e.yy + medium_.nu_eff * d_applied, e.xy};
    default: return {e.xx, e.yy, e.xy + 0.5 * d_applied};
  }
}

Sym2 Loading::after_plastic_change(const Sym2& e, double applied, double p1, double p3) const {
  if (condition_ == LoadingCondition::exact) return exact_mean_strain(applied, p1, p3);
  // Reference: eps_bar -= C^-1 : (free components of sigma_bar), which zeroes them and lets the
  // loaded strain follow (a soft machine: eps11 ~ applied + 0.422 <p1> in tension).
  Sym2 s = mean_stress(e, p1, p3);
  if (mode_ == LoadingMode::shear)
    s.xy = 0.0;
  else
    s.xx = 0.0;
  return e - compliance_times(medium_, s);
}

double Loading::loaded_stress(const Sym2& s) const {
  switch (mode_) {
    case LoadingMode::tension: return s.xx;
    case LoadingMode::compression: return -s.xx;
    default: return s.xy;
  }
}

double Loading::loaded_strain(const Sym2& e) const {
  switch (mode_) {
    case LoadingMode::tension: return e.xx;
    case LoadingMode::compression: return -e.xx;
    default: return 2.0 * e.xy;
  }
}

double Loading::loaded_plastic_strain(double p1, double p3) const {
  switch (mode_) {
    case LoadingMode::tension: return p1;
    case LoadingMode::compression: return -p1;
    default: return 2.0 * p3;
  }
}

}  // namespace stz
