#include "stz/params.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "stz/physics/units.hpp"

namespace stz {

PhysicsConstants derive_constants(const Params& p) {
  PhysicsConstants c{};
  c.n = p.grid.n;
  c.modes = p.grid.modes;
  c.volume_nm3 = p.grid.voxel_size * p.grid.voxel_size * p.grid.thickness;
  c.half_volume_ev = 0.5 * c.volume_nm3 * units::gpa_nm3_in_ev;
  c.kT = units::thermal_energy_ev(p.kinetics.temperature);
  c.inv_kT = 1.0 / c.kT;
  // The published implementation multiplies nu0 by V in nm^3 (nu0 V' = 4.9e12 1/s).
  c.rate_prefactor = p.kinetics.attempt_frequency * c.volume_nm3;
  c.tau = 1.0 / (p.kinetics.attempt_frequency * std::exp(-p.kinetics.activation_energy / c.kT));
  c.kappa_p = p.softening.kappa_p;
  c.kappa_t = p.softening.kappa_t;
  c.eta_max = p.softening.eta_max;
  c.direction_factor = p.softening.direction == DirectionFactor::square_forward;
  c.barrier_mean = p.catalog.barrier_mean;
  c.barrier_std = p.catalog.barrier_std;
  c.gamma_star = p.catalog.gamma_star;
  return c;
}

std::uint64_t stall_event_limit(const Params& p) {
  if (p.max_stall_events > 0) return p.max_stall_events;
  const auto n = static_cast<std::uint64_t>(p.grid.n);
  return 10 * n * n;
}

namespace {

template <class T>
[[noreturn]] void reject(const std::string& key, T value, const std::string& allowed) {
  std::ostringstream os;
  os << key << " = " << value << " is out of range: allowed " << allowed;
  throw std::invalid_argument(os.str());
}

void require_positive(const std::string& key, double v) {
  if (!(v > 0.0) || !std::isfinite(v)) reject(key, v, "a finite value > 0");
}

void require_nonnegative(const std::string& key, double v) {
  if (!(v >= 0.0) || !std::isfinite(v)) reject(key, v, "a finite value >= 0");
}

/// The loading of one stage (section "loading", or "stage.K" of a [[stage]] list); the first
/// stage starts from rest, so it must load (strain_rate > 0).
void validate_loading(const LoadingParams& l, double youngs_modulus, const std::string& section, bool first) {
  auto key = [&section](const char* name) { return section + "." + name; };
  const bool strain_rate = l.protocol == LoadingProtocolKind::strain_rate;
  if (!std::isfinite(l.strain_rate) || l.strain_rate == 0.0 || (l.strain_rate < 0.0 && (first || !strain_rate)))
    reject(key("strain_rate"), l.strain_rate,
           first || !strain_rate ? "a finite value > 0 (a negative rate unloads: a strain-rate stage after the first)"
                                 : "a finite value other than 0 (negative: unloading)");
  require_positive(key("strain_step"), l.strain_step);
  if (!std::isfinite(l.end_strain) || (first && !(l.end_strain > 0.0)))
    reject(key("end_strain"), l.end_strain, first ? "a finite value > 0" : "a finite value");
  require_positive(key("record_interval"), l.record_interval);
  if (!std::isfinite(l.stop_stress)) reject(key("stop_stress"), l.stop_stress, "a finite value");
  if (!std::isfinite(l.end_stress)) reject(key("end_stress"), l.end_stress, "a finite value");
  require_nonnegative(key("end_plastic_strain"), l.end_plastic_strain);
  if (!(l.end_creep_rate_factor == 0.0 || (l.end_creep_rate_factor > 1.0 && std::isfinite(l.end_creep_rate_factor))))
    reject(key("end_creep_rate_factor"), l.end_creep_rate_factor, "0 (off) or a finite factor above 1");
  if (!(l.end_relaxed_fraction >= 0.0 && l.end_relaxed_fraction < 1.0))
    reject(key("end_relaxed_fraction"), l.end_relaxed_fraction, "a fraction in [0, 1) (0: off)");
  // Runs that could never end, or whose curve could not be held in memory (strain-rate loading;
  // the other protocols check their own schedule below). A later stage starts where the one
  // before ended: its distance is bounded by |end_strain| + 1.
  const double distance = first ? l.end_strain : std::abs(l.end_strain) + 1.0;
  if (strain_rate && distance / l.strain_step > max_elastic_steps) {
    std::ostringstream os;
    os << key("strain_step") << " = " << l.strain_step << " takes " << distance / l.strain_step << " elastic steps to "
       << key("end_strain") << " = " << l.end_strain << ": allowed at most " << max_elastic_steps
       << " (strain_step >= " << distance / max_elastic_steps << ")";
    throw std::invalid_argument(os.str());
  }
  if (strain_rate && distance / l.record_interval > max_curve_points) {
    std::ostringstream os;
    os << key("record_interval") << " = " << l.record_interval << " records " << distance / l.record_interval
       << " curve points up to " << key("end_strain") << " = " << l.end_strain << ": allowed at most "
       << max_curve_points << " (record_interval >= " << distance / max_curve_points << ")";
    throw std::invalid_argument(os.str());
  }
  if (l.protocol == LoadingProtocolKind::creep && (!(l.creep_stress >= 0.0) || !std::isfinite(l.creep_stress)))
    reject(key("creep_stress"), l.creep_stress,
           "a finite stress >= 0 GPa (the loaded sense: tension sigma11, compression -sigma11, shear sigma12)");
  if (l.protocol == LoadingProtocolKind::relaxation && (!(l.relaxation_strain >= 0.0) || !(l.relaxation_strain < 1.0)))
    reject(key("relaxation_strain"), l.relaxation_strain,
           "a strain in [0, 1) (the loaded sense: tension eps11, compression -eps11, shear 2 eps12)");
  if (l.protocol == LoadingProtocolKind::cyclic) {
    // Strain cycles in strain, stress cycles in GPa.
    const bool stress = l.cyclic_control == CyclicControl::stress;
    const double limit = stress ? 100.0 : 1.0;
    if (!(l.cyclic_amplitude > 0.0) || !(l.cyclic_amplitude < limit))
      reject(key("cyclic_amplitude"), l.cyclic_amplitude,
             stress ? "a stress amplitude in (0, 100) GPa with cyclic_control = \"stress\""
                    : "a strain amplitude in (0, 1) with cyclic_control = \"strain\"");
    if (!(std::abs(l.cyclic_mean) < limit))
      reject(key("cyclic_mean"), l.cyclic_mean,
             stress ? "a mean stress in (-100, 100) GPa with cyclic_control = \"stress\""
                    : "a mean strain in (-1, 1) with cyclic_control = \"strain\"");
    if (stress && (!(l.stress_rate > 0.0) || !std::isfinite(l.stress_rate)))
      reject(key("stress_rate"), l.stress_rate, "a finite stress rate > 0 GPa/s");
    if (first && l.cyclic_mean + l.cyclic_amplitude <= 0.0)
      reject(key("cyclic_mean"), l.cyclic_mean,
             "a value above -" + key("cyclic_amplitude") + " (the first rise goes from 0 up to mean + amplitude)");
    if (l.cycles < 1 || l.cycles > 100000) reject(key("cycles"), l.cycles, "an integer in [1, 100000]");
    // The first rise (at most 2 limits from wherever the stage starts) and the cycles, as strain
    // (stress cycles: over the Young's modulus, the scale of a step's stress increment).
    const double scale = stress ? 1.0 / youngs_modulus : 1.0;
    const double path =
        scale * ((first ? l.cyclic_mean + l.cyclic_amplitude : 2.0 * limit) + 4.0 * l.cyclic_amplitude * l.cycles);
    if (path / l.strain_step > max_elastic_steps || path / l.record_interval > max_curve_points) {
      std::ostringstream os;
      os << key("cycles") << " = " << l.cycles << " of amplitude " << l.cyclic_amplitude << " travel a strain of "
         << path << ": allowed at most " << max_elastic_steps << " " << key("strain_step") << " and "
         << max_curve_points << " " << key("record_interval");
      throw std::invalid_argument(os.str());
    }
  }
  if (l.protocol == LoadingProtocolKind::creep || l.protocol == LoadingProtocolKind::relaxation) {
    require_positive(key("end_time"), l.end_time);
    require_positive(key("time_step"), l.time_step);
    if (l.end_time / l.time_step > max_elastic_steps) {
      std::ostringstream os;
      os << key("time_step") << " = " << l.time_step << " takes " << l.end_time / l.time_step
         << " passes without an event to " << key("end_time") << " = " << l.end_time << ": allowed at most "
         << max_elastic_steps << " (time_step >= " << l.end_time / max_elastic_steps << " s)";
      throw std::invalid_argument(os.str());
    }
  }
}

}  // namespace

std::size_t stage_count(const Params& p) { return p.stages.empty() ? 1 : p.stages.size(); }

Params stage_params(const Params& p, std::size_t k) {
  if (p.stages.empty()) return p;
  Params s = p;
  s.loading = p.stages.at(k).loading;
  s.kinetics.temperature = p.stages[k].temperature;
  return s;
}

void validate(const Params& p) {
  if (p.grid.n < 4 || p.grid.n > 65536 || p.grid.n % 2 != 0)
    reject("grid.n", p.grid.n, "an even integer in [4, 65536]");
  if (p.grid.modes < 1 || p.grid.modes > 1024) reject("grid.modes", p.grid.modes, "an integer in [1, 1024]");
  require_positive("grid.voxel_size", p.grid.voxel_size);
  require_positive("grid.thickness", p.grid.thickness);
  require_positive("elastic.youngs_modulus", p.elastic.youngs_modulus);
  const double nu = p.elastic.poisson_ratio;
  if (p.elastic.medium == Medium::reference && !(nu > -0.5 && nu < 0.5))
    reject("elastic.poisson_ratio", nu, "(-0.5, 0.5) for medium \"reference\" (nu2 = 2 nu must lie in (-1, 1))");
  if (p.elastic.medium == Medium::plane_strain && !(nu > -1.0 && nu < 0.5))
    reject("elastic.poisson_ratio", nu, "(-1, 0.5) for medium \"plane-strain\"");
  if (!std::isfinite(p.catalog.barrier_mean)) reject("catalog.barrier_mean", p.catalog.barrier_mean, "a finite value");
  require_nonnegative("catalog.barrier_std", p.catalog.barrier_std);
  require_nonnegative("catalog.gamma_star", p.catalog.gamma_star);
  require_positive("kinetics.temperature", p.kinetics.temperature);
  if (p.kinetics.temperature < 1.0 || p.kinetics.temperature > 1e4)
    reject("kinetics.temperature", p.kinetics.temperature, "[1, 10000] K");
  require_positive("kinetics.attempt_frequency", p.kinetics.attempt_frequency);
  require_nonnegative("kinetics.activation_energy", p.kinetics.activation_energy);
  if (!(p.kinetics.bound_slack > 0.0 && p.kinetics.bound_slack <= 8.0))
    reject("kinetics.bound_slack", p.kinetics.bound_slack,
           "(0, 8] kT (rejected candidates per event grow about like e^slack)");
  if (p.kinetics.softening_clock == SofteningClock::event && p.kinetics.rule != ThermalRule::residence_time &&
      p.kinetics.rule != ThermalRule::bounded)
    reject("kinetics.softening_clock", "\"event\"",
           "\"pass\" with kinetics.rule = \"reference\" or \"probabilistic\" (they move the clock after the "
           "transformation; \"event\" needs rule \"residence-time\" or \"bounded\")");
  if (p.solver.precision == Precision::mixed && p.kinetics.rule == ThermalRule::bounded)
    reject("solver.precision", "\"mixed\"",
           "\"double\" with kinetics.rule = \"bounded\" (the mixed-precision pass is that of the exhaustive rules "
           "reference, probabilistic and residence-time; the bounded rule computes its few exact rates in double)");
  require_nonnegative("softening.kappa_p", p.softening.kappa_p);
  require_nonnegative("softening.kappa_t", p.softening.kappa_t);
  require_nonnegative("softening.eta_max", p.softening.eta_max);
  require_nonnegative("athermal.threshold", p.athermal.threshold);
  if (p.stages.empty()) {
    validate_loading(p.loading, p.elastic.youngs_modulus, "loading", true);
  } else {
    if (p.stages.size() > max_stages) reject("stage", p.stages.size(), "at most 1000 [[stage]] tables");
    for (std::size_t k = 0; k < p.stages.size(); ++k) {
      const std::string section = "stage." + std::to_string(k + 1);
      const LoadingStage& stage = p.stages[k];
      if (stage.loading.mode != p.loading.mode || stage.loading.condition != p.loading.condition)
        reject((section + ".mode").c_str(), to_string(stage.loading.mode),
               "the loading.mode and loading.condition of [loading] (the same for every stage)");
      if (stage.temperature < 1.0 || stage.temperature > 1e4)
        reject((section + ".temperature").c_str(), stage.temperature, "[1, 10000] K");
      validate_loading(stage.loading, p.elastic.youngs_modulus, section, k == 0);
    }
  }
  if (p.solver.full_solve_interval < 1)
    reject("solver.full_solve_interval", p.solver.full_solve_interval, "an integer >= 1");
  if (p.solver.gpu_loop_chunk < 1 || p.solver.gpu_loop_chunk > max_gpu_loop_chunk)
    reject("solver.gpu_loop_chunk", p.solver.gpu_loop_chunk, "an integer in [1, 4096]");
  // The relaxation time of temporary softening at every temperature the run takes.
  for (std::size_t k = 0; k < stage_count(p); ++k) {
    const Params sp = stage_params(p, k);
    const double tau = derive_constants(sp).tau;
    if (!(tau > 0.0) || !std::isfinite(tau)) {
      std::ostringstream os;
      os << "kinetics.activation_energy = " << p.kinetics.activation_energy << " is out of range at "
         << (p.stages.empty() ? std::string("kinetics.temperature") : "stage." + std::to_string(k + 1) + ".temperature")
         << " = " << sp.kinetics.temperature
         << " K: the relaxation time 1/(nu0 exp(-Q_act/kT)) of temporary softening overflows; allowed: Q_act below "
            "about "
         << 700.0 * derive_constants(sp).kT << " eV (700 kT), or a higher temperature";
      throw std::invalid_argument(os.str());
    }
  }
  // A catalog whose mean barrier is below the athermal threshold starts with half of its modes
  // unstable and each avalanche softens it further: such a run never leaves its first avalanche.
  if (p.catalog.barrier_mean <= p.athermal.threshold) {
    std::ostringstream os;
    os << "catalog.barrier_mean = " << p.catalog.barrier_mean << " is out of range: allowed a value above "
       << "athermal.threshold = " << p.athermal.threshold
       << " eV (below it, half of all modes start athermally unstable and the run never leaves its first avalanche)";
    throw std::invalid_argument(os.str());
  }
}

std::string to_string(Medium v) { return v == Medium::reference ? "reference" : "plane-strain"; }
std::string to_string(ThermalRule v) {
  switch (v) {
    case ThermalRule::reference: return "reference";
    case ThermalRule::probabilistic: return "probabilistic";
    case ThermalRule::residence_time: return "residence-time";
    default: return "bounded";
  }
}
std::string to_string(SofteningClock v) { return v == SofteningClock::pass ? "pass" : "event"; }
std::string to_string(GpuLoop v) { return v == GpuLoop::host ? "host" : "device"; }
std::string to_string(LoadingProtocolKind v) {
  switch (v) {
    case LoadingProtocolKind::strain_rate: return "strain-rate";
    case LoadingProtocolKind::creep: return "creep";
    case LoadingProtocolKind::relaxation: return "relaxation";
    default: return "cyclic";
  }
}
std::string to_string(Precision v) { return v == Precision::full_double ? "double" : "mixed"; }
std::string to_string(CyclicControl v) { return v == CyclicControl::strain ? "strain" : "stress"; }
std::string to_string(NyquistConvention v) { return v == NyquistConvention::zero ? "zero" : "published"; }
std::string to_string(AthermalVariant v) { return v == AthermalVariant::simultaneous ? "simultaneous" : "single"; }
std::string to_string(LoadingCondition v) { return v == LoadingCondition::reference ? "reference" : "exact"; }
std::string to_string(LoadingMode v) {
  switch (v) {
    case LoadingMode::tension: return "tension";
    case LoadingMode::compression: return "compression";
    default: return "shear";
  }
}
std::string to_string(DirectionFactor v) { return v == DirectionFactor::square_forward ? "square-forward" : "none"; }

}  // namespace stz
