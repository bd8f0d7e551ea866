// Deck schema, TOML parsing and checking, overrides, resolved deck, README key table.
#include "io/config.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>
#include <utility>

#include <toml++/toml.h>

namespace stz::io {

// ---- Ranges and allowed values -------------------------------------------------------------

namespace {

Range above(double lo) {
  Range r;
  r.lo = lo;
  r.lo_unbounded = false;
  r.lo_open = true;
  return r;
}
Range at_least(double lo) {
  Range r;
  r.lo = lo;
  r.lo_unbounded = false;
  return r;
}
Range between(double lo, double hi, bool lo_open = false, bool hi_open = false) {
  Range r;
  r.lo = lo;
  r.hi = hi;
  r.lo_unbounded = r.hi_unbounded = false;
  r.lo_open = lo_open;
  r.hi_open = hi_open;
  return r;
}
Range finite() { return Range{}; }

std::string number_text(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  return value_text(Value{v});
}

}  // namespace

bool Range::contains(double v) const {
  if (!std::isfinite(v)) return false;
  if (!lo_unbounded && (lo_open ? !(v > lo) : !(v >= lo))) return false;
  if (!hi_unbounded && (hi_open ? !(v < hi) : !(v <= hi))) return false;
  if (multiple_of > 0 && std::fmod(v, multiple_of) != 0.0) return false;
  return true;
}

std::string Range::text() const {
  std::string s = lo_unbounded ? "(-inf" : (lo_open ? "(" : "[") + number_text(lo);
  s += ", ";
  s += hi_unbounded ? "inf)" : number_text(hi) + (hi_open ? ")" : "]");
  return s;
}

std::string KeyInfo::section() const { return key.substr(0, key.find('.')); }
std::string KeyInfo::name() const { return key.substr(key.find('.') + 1); }

std::string KeyInfo::allowed() const {
  std::string s;
  switch (type) {
    case KeyType::boolean: s = "true or false"; break;
    case KeyType::integer:
      s = std::string(range.multiple_of == 2 ? "an even integer" : "an integer") + " in " + range.text();
      break;
    case KeyType::real:
      s = range.lo_unbounded && range.hi_unbounded ? "any finite number" : "a number in " + range.text();
      break;
    case KeyType::real_list: s = "a list of numbers, each in " + range.text(); break;
    case KeyType::string: s = "a string"; break;
    case KeyType::choice:
      s = "one of";
      for (std::size_t i = 0; i < choices.size(); ++i) s += (i ? ", \"" : " \"") + choices[i] + "\"";
      break;
  }
  if (!note.empty()) s += "; " + note;
  return s;
}

// ---- The schema ----------------------------------------------------------------------------
// Each accessor is a generic lambda returning a reference into the Deck, so one accessor
// serves both reading (const Deck) and writing.

namespace {

template <class Ref>
KeyInfo make_key(const char* key, KeyType type, const char* unit, Range range, const char* description, Ref ref) {
  KeyInfo k;
  k.key = key;
  k.type = type;
  k.unit = unit;
  k.range = range;
  k.description = description;
  {
    // An integer key is bounded by the width of the field it lands in (an int holds at most
    // 2147483647): a larger value is rejected, never wrapped.
    using T = std::decay_t<decltype(ref(std::declval<Deck&>()))>;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // 64-bit fields need no clamp: TOML integers are 64-bit already.
      if constexpr (sizeof(T) < sizeof(std::int64_t)) {
        const double max = static_cast<double>(std::numeric_limits<T>::max());
        if (k.range.hi_unbounded || k.range.hi > max) {
          k.range.hi = max;
          k.range.hi_unbounded = false;
          k.range.hi_open = false;
        }
      }
    }
  }
  k.get = [ref](const Deck& d) -> Value {
    using T = std::decay_t<decltype(ref(d))>;
    if constexpr (std::is_same_v<T, bool>)
      return ref(d);
    else if constexpr (std::is_integral_v<T>)
      return static_cast<std::int64_t>(ref(d));
    else if constexpr (std::is_floating_point_v<T>)
      return static_cast<double>(ref(d));
    else
      return ref(d);  // std::string, std::vector<double>
  };
  k.set = [ref](Deck& d, const Value& v) {
    using T = std::decay_t<decltype(ref(d))>;
    if constexpr (std::is_same_v<T, bool>)
      ref(d) = std::get<bool>(v);
    else if constexpr (std::is_integral_v<T>)
      ref(d) = static_cast<T>(std::get<std::int64_t>(v));
    else if constexpr (std::is_floating_point_v<T>)
      ref(d) = std::get<double>(v);
    else if constexpr (std::is_same_v<T, std::string>)
      ref(d) = std::get<std::string>(v);
    else
      ref(d) = std::get<std::vector<double>>(v);
  };
  return k;
}

/// An enum key: its choices are the to_string() names of `values` (params.hpp), so the deck
/// spelling is defined once.
template <class E, class Ref>
KeyInfo enum_key(const char* key, std::vector<E> values, const char* description, Ref ref) {
  KeyInfo k;
  k.key = key;
  k.type = KeyType::choice;
  k.description = description;
  for (E v : values) k.choices.push_back(to_string(v));
  k.get = [ref](const Deck& d) -> Value { return to_string(ref(d)); };
  k.set = [ref, values](Deck& d, const Value& v) {
    for (E e : values)
      if (to_string(e) == std::get<std::string>(v)) ref(d) = e;
  };
  return k;
}

bool is_safe_name(const Value& v) {
  const std::string& s = std::get<std::string>(v);
  if (s.size() > max_output_name_length) return false;
  if (!s.empty() && s[0] == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

#define STZ_REF(member) \
  [](auto& d) -> auto& { return d.member; }

std::vector<KeyInfo> build_schema() {
  using K = KeyType;
  std::vector<KeyInfo> s;
  // [grid]
  s.push_back(make_key("grid.n", K::integer, "", between(4, 65536), "voxels per side N of the periodic N x N grid",
                       STZ_REF(params.grid.n)));
  s.back().range.multiple_of = 2;
  s.push_back(make_key("grid.modes", K::integer, "", between(1, 1024), "shear modes (SFTS) per voxel M",
                       STZ_REF(params.grid.modes)));
  s.push_back(make_key("grid.voxel_size", K::real, "nm", above(0), "voxel edge l0", STZ_REF(params.grid.voxel_size)));
  s.push_back(make_key("grid.thickness", K::real, "nm", above(0),
                       "out-of-plane thickness; STZ volume V = l0^2 * thickness", STZ_REF(params.grid.thickness)));
  // [elastic]
  s.push_back(make_key("elastic.youngs_modulus", K::real, "GPa", above(0), "Young's modulus E",
                       STZ_REF(params.elastic.youngs_modulus)));
  s.push_back(make_key("elastic.poisson_ratio", K::real, "", between(-1, 0.5, true, true), "Poisson ratio nu (3D)",
                       STZ_REF(params.elastic.poisson_ratio)));
  s.back().note = "(-0.5, 0.5) with elastic.medium = \"reference\"";
  s.push_back(enum_key(
      "elastic.medium", std::vector<Medium>{Medium::reference, Medium::plane_strain},
      "2D medium: \"reference\" (nu2 = 2 nu, E* = E; the published code) or \"plane-strain\" (E* = E/(1 - nu^2))",
      STZ_REF(params.elastic.medium)));
  s.push_back(enum_key("elastic.nyquist",
                       std::vector<NyquistConvention>{NyquistConvention::zero, NyquistConvention::published},
                       "stress operator at the (N/2, N/2) wave vector: \"zero\" (its n1 n2 terms vanish: a real "
                       "field's operator) or \"published\" (kept with n1 n2 = 1/2 as the published solver does; a "
                       "sigma11/sigma22 checkerboard of E*/2 <p3 (-1)^(x+y)>; docs/model.md 3.3)",
                       STZ_REF(params.elastic.nyquist)));
  // [catalog]
  s.push_back(make_key("catalog.barrier_mean", K::real, "eV", finite(), "mean stress-free barrier dF of the catalog",
                       STZ_REF(params.catalog.barrier_mean)));
  s.push_back(make_key("catalog.barrier_std", K::real, "eV", at_least(0),
                       "standard deviation of dF (normal, not truncated)", STZ_REF(params.catalog.barrier_std)));
  s.push_back(make_key("catalog.gamma_star", K::real, "", at_least(0), "SFTS scale gamma*: e1, e3 ~ N(0, (gamma*/2)^2)",
                       STZ_REF(params.catalog.gamma_star)));
  // [kinetics]
  s.push_back(make_key("kinetics.temperature", K::real, "K", between(1, 10000), "temperature T",
                       STZ_REF(params.kinetics.temperature)));
  s.push_back(make_key("kinetics.attempt_frequency", K::real, "1/s", above(0),
                       "attempt frequency nu0 (rate prefactor nu0 * V, V in nm^3)",
                       STZ_REF(params.kinetics.attempt_frequency)));
  s.push_back(make_key("kinetics.activation_energy", K::real, "eV", at_least(0),
                       "Q_act of the relaxation time tau = 1/(nu0 exp(-Q_act/kT)) of temporary softening",
                       STZ_REF(params.kinetics.activation_energy)));
  s.push_back(
      enum_key("kinetics.rule",
               std::vector<ThermalRule>{ThermalRule::reference, ThermalRule::probabilistic, ThermalRule::residence_time,
                                        ThermalRule::bounded},
               "thermal event rule: \"reference\" (event iff t_res < dt), \"probabilistic\" (with probability 1 - "
               "exp(-dt/t_res), inside the strain step), \"residence-time\" (BKL waiting times), \"bounded\" (exact "
               "kMC with rate bounds and "
               "thinning under continuous loading, O(N^2) instead of O(N^2 M) per event; docs/model.md 5.6)",
               STZ_REF(params.kinetics.rule)));
  s.push_back(enum_key("kinetics.softening_clock",
                       std::vector<SofteningClock>{SofteningClock::pass, SofteningClock::event},
                       "when a thermal transformation starts its temporary softening: \"pass\" (at the start of "
                       "the pass that chose it, the published convention) or \"event\" (when it happens; rules "
                       "residence-time and bounded)",
                       STZ_REF(params.kinetics.softening_clock)));
  s.push_back(make_key("kinetics.bound_slack", K::real, "kT", between(0, 8, true, false),
                       "rule \"bounded\": how far a voxel's rate bound may lie above its rate when refreshed (larger: "
                       "fewer refreshes, more rejected candidates; results do not depend on it statistically)",
                       STZ_REF(params.kinetics.bound_slack)));
  // [softening]
  s.push_back(make_key("softening.kappa_p", K::real, "", at_least(0),
                       "permanent softening per unit e:e of a transformation", STZ_REF(params.softening.kappa_p)));
  s.push_back(make_key("softening.kappa_t", K::real, "", at_least(0),
                       "temporary softening per unit e:e (overwritten, decays with tau)",
                       STZ_REF(params.softening.kappa_t)));
  s.push_back(make_key("softening.eta_max", K::real, "", at_least(0), "cap of the permanent softening (-ln 0.6)",
                       STZ_REF(params.softening.eta_max)));
  s.push_back(enum_key(
      "softening.direction", std::vector<DirectionFactor>{DirectionFactor::square_forward, DirectionFactor::none},
      "direction factor D: \"square-forward\" (((1 + cos phi)/2)^2) or \"none\" (D = 1, the papers' prose)",
      STZ_REF(params.softening.direction)));
  // [athermal]
  s.push_back(make_key("athermal.threshold", K::real, "eV", at_least(0),
                       "Q_ath: in an athermal pass every voxel whose smallest barrier is below it flips",
                       STZ_REF(params.athermal.threshold)));
  s.push_back(
      enum_key("athermal.variant", std::vector<AthermalVariant>{AthermalVariant::simultaneous, AthermalVariant::single},
               "\"simultaneous\" (all unstable voxels flip at once) or \"single\" (the most negative barrier first)",
               STZ_REF(params.athermal.variant)));
  // [loading]
  s.push_back(enum_key("loading.mode",
                       std::vector<LoadingMode>{LoadingMode::tension, LoadingMode::compression, LoadingMode::shear},
                       "uniaxial tension or compression along x, or simple shear; lateral mean stresses held at zero",
                       STZ_REF(params.loading.mode)));
  s.push_back(enum_key("loading.condition",
                       std::vector<LoadingCondition>{LoadingCondition::reference, LoadingCondition::exact},
                       "\"reference\" (soft machine of the published code) or \"exact\" (the loaded mean strain "
                       "follows the applied strain)",
                       STZ_REF(params.loading.condition)));
  s.push_back(make_key("loading.strain_rate", K::real, "1/s", finite(),
                       "applied strain rate (negative: unloading, in a [[stage]] after the first)",
                       STZ_REF(params.loading.strain_rate)));
  s.back().note = "> 0, or < 0 in a strain-rate [[stage]] after the first";
  s.push_back(make_key("loading.strain_step", K::real, "", above(0),
                       "applied strain per elastic step (dt = strain_step / strain_rate)",
                       STZ_REF(params.loading.strain_step)));
  s.push_back(make_key("loading.end_strain", K::real, "", finite(),
                       "stop when the loaded mean strain (tension eps_11, compression -eps_11, shear gamma = 2 "
                       "eps_12) reaches it (an unloading stage: falls to it; unset there: 0); a shear deck that does "
                       "not set it runs to 0.12 (twice its yield strain)",
                       STZ_REF(params.loading.end_strain)));
  s.back().note = "> 0 in [loading] and a first [[stage]]";
  s.push_back(make_key("loading.record_interval", K::real, "", above(0), "a curve point every this much applied strain",
                       STZ_REF(params.loading.record_interval)));
  s.push_back(make_key("loading.stop_stress", K::real, "GPa", finite(),
                       "stop when the loaded mean stress falls below it", STZ_REF(params.loading.stop_stress)));
  s.push_back(
      enum_key("loading.protocol",
               std::vector<LoadingProtocolKind>{LoadingProtocolKind::strain_rate, LoadingProtocolKind::creep,
                                                LoadingProtocolKind::relaxation, LoadingProtocolKind::cyclic},
               "what the loading holds: \"strain-rate\" (the applied strain grows at loading.strain_rate to "
               "loading.end_strain), \"creep\" (loading.creep_stress applied at t = 0 and held; ends at "
               "loading.end_time or loading.end_strain; docs/model.md 6.5), \"relaxation\" (loading.relaxation_strain "
               "applied at t = 0 and held; ends at loading.end_time or loading.stop_stress; docs/model.md 6.6) or "
               "\"cyclic\" (the applied strain in triangular cycles at loading.strain_rate between loading.cyclic_mean "
               "-/+ loading.cyclic_amplitude, loading.cycles of them; docs/model.md 6.7)",
               STZ_REF(params.loading.protocol)));
  s.push_back(make_key("loading.creep_stress", K::real, "GPa", at_least(0),
                       "creep: the loaded stress held (tension sigma11, compression -sigma11, shear sigma12)",
                       STZ_REF(params.loading.creep_stress)));
  s.push_back(make_key("loading.relaxation_strain", K::real, "", between(0, 1, false, true),
                       "relaxation: the loaded strain held (tension eps11, compression -eps11, shear 2 eps12)",
                       STZ_REF(params.loading.relaxation_strain)));
  s.push_back(make_key("loading.cyclic_amplitude", K::real, "", above(0),
                       "cyclic: the amplitude of the triangular cycles (strain; GPa with cyclic_control = \"stress\")",
                       STZ_REF(params.loading.cyclic_amplitude)));
  s.back().note = "below 1 (strain) or 100 (GPa)";
  s.push_back(make_key("loading.cyclic_mean", K::real, "", finite(),
                       "cyclic: the mean of the cycles (strain, or GPa; the first leg goes from where the stage "
                       "begins, 0 in a first stage, to mean + amplitude)",
                       STZ_REF(params.loading.cyclic_mean)));
  s.back().note = "|mean| below 1 (strain) or 100 (GPa)";
  s.push_back(make_key("loading.cycles", K::integer, "", between(1, 100000),
                       "cyclic: full cycles (top, bottom, top) after the first rise", STZ_REF(params.loading.cycles)));
  s.push_back(enum_key("loading.cyclic_control",
                       std::vector<CyclicControl>{CyclicControl::strain, CyclicControl::stress},
                       "cyclic: what cycles, \"strain\" (the applied strain at loading.strain_rate) or \"stress\" "
                       "(the loaded stress at loading.stress_rate, the other mean stresses zero; docs/model.md 6.7)",
                       STZ_REF(params.loading.cyclic_control)));
  s.push_back(make_key("loading.stress_rate", K::real, "GPa/s", above(0),
                       "cyclic_control = \"stress\": the rate of the stress cycles (default E* x 1e-4/s)",
                       STZ_REF(params.loading.stress_rate)));
  s.push_back(make_key("loading.end_time", K::real, "s", above(0),
                       "creep and relaxation: the stage ends this long after it began (one stage: the run's end "
                       "time)",
                       STZ_REF(params.loading.end_time)));
  s.push_back(make_key("loading.time_step", K::real, "s", above(0),
                       "creep and relaxation: the longest time one pass advances (the thermal rules' step dt; "
                       "rates are frozen over it)",
                       STZ_REF(params.loading.time_step)));
  s.push_back(make_key("loading.end_relaxed_fraction", K::real, "", between(0, 1, false, true),
                       "relaxation: the stage also ends when the stress has relaxed by this fraction of the stress "
                       "it started at (1 - stress / initial stress); 0: off",
                       STZ_REF(params.loading.end_relaxed_fraction)));
  s.push_back(make_key("loading.end_creep_rate_factor", K::real, "", at_least(0),
                       "creep: the stage also ends when the creep rate (over 5e-4 of strain, between curve points) "
                       "exceeds this multiple of its minimum so far: tertiary creep; 0: off",
                       STZ_REF(params.loading.end_creep_rate_factor)));
  s.back().note = "0, or above 1";
  s.push_back(make_key("loading.end_stress", K::real, "GPa", finite(),
                       "any protocol: the stage also ends when the loaded stress rises to this (the default, "
                       "1000 GPa, is never reached)",
                       STZ_REF(params.loading.end_stress)));
  s.push_back(
      make_key("loading.end_plastic_strain", K::real, "", at_least(0),
               "any protocol: the stage also ends when the loaded plastic strain (tension <p1>, "
               "compression -<p1>, shear 2 <p3>; counted from the run's start, like end_strain) reaches this; 0: off",
               STZ_REF(params.loading.end_plastic_strain)));
  s.push_back(make_key("loading.end_events", K::integer, "", at_least(0),
                       "any protocol: the stage also ends after this many transformations (thermal events + "
                       "athermal flips) in it; 0: off",
                       STZ_REF(params.loading.end_events)));
  // [solver]
  s.push_back(make_key("solver.full_solve_interval", K::integer, "", at_least(1),
                       "thermal events between full FFT re-solves of the stress field",
                       STZ_REF(params.solver.full_solve_interval)));
  s.push_back(make_key("solver.cache_softened_barriers", K::boolean, "", finite(),
                       "reuse dF exp(-D eta) while eta is unchanged (same results, faster)",
                       STZ_REF(params.solver.cache_softened_barriers)));
  s.push_back(enum_key("solver.gpu_loop", std::vector<GpuLoop>{GpuLoop::host, GpuLoop::device},
                       "who runs the kMC loop: \"host\" (pass by pass) or \"device\" (stretches of passes "
                       "without the host, woken for athermal passes, curve points, full solves, snapshots and the "
                       "end; on the cuda backend one graph launch per stretch, every rule, never yet run on a GPU; "
                       "on the cpu backend the same results either way; docs/cuda.md)",
                       STZ_REF(params.solver.gpu_loop)));
  s.push_back(make_key("solver.gpu_loop_chunk", K::integer, "", between(1, 4096),
                       "solver.gpu_loop = \"device\": passes per stretch at most (the host waits once per stretch)",
                       STZ_REF(params.solver.gpu_loop_chunk)));
  s.push_back(make_key("solver.gpu_l2_window", K::boolean, "", finite(),
                       "cuda backend: an L2 access-policy window keeps the softened barriers (8 B per voxel-mode, "
                       "read by every pass) in the GPU's persisting L2 as far as it holds them (same results; "
                       "never yet measured on a GPU)",
                       STZ_REF(params.solver.gpu_l2_window)));
  s.push_back(enum_key(
      "solver.precision", std::vector<Precision>{Precision::full_double, Precision::mixed},
      "arithmetic of the exhaustive pass: \"double\", or \"mixed\" (barriers, exponentials and "
      "per-voxel rate sums in float, sums over voxels in double: barrier error below 1e-6 eV, "
      "statistics unchanged, faster; cpu and cuda backends, exhaustive rules; \"auto\" runs it on the cpu until "
      "a GPU has verified the CUDA path; docs/performance.md, docs/cuda.md)",
      STZ_REF(params.solver.precision)));
  // [run]
  s.push_back(make_key("run.seed", K::integer, "", at_least(0),
                       "random seed: the same seed draws the same catalog on every backend", STZ_REF(params.seed)));
  s.push_back(make_key("run.record_events", K::boolean, "", finite(),
                       "write the per-event catalogue /events (time, voxel, mode, barrier, branch)",
                       STZ_REF(params.record_events)));
  s.push_back(make_key(
      "run.max_stall_events", K::integer, "", at_least(0),
      "stop a run (exit code 3, status \"stalled\") after this many transformations (thermal events + "
      "athermal flips) without the applied strain advancing by one loading.strain_step (creep, relaxation: the "
      "time by 1/200 of a decade); 0: 10 N^2",
      STZ_REF(params.max_stall_events)));
  {
    KeyInfo k = make_key("run.backend", K::choice, "", finite(),
                         "\"auto\" uses CUDA when a device is usable, else the CPU; \"reference\" is the plain, slow "
                         "test oracle (small grids); --backend overrides it",
                         STZ_REF(run.backend));
    k.choices = {"auto", "cpu", "cuda", "reference"};
    k.affects_results = false;
    s.push_back(k);
  }
  s.push_back(make_key("run.threads", K::integer, "", between(0, 4096),
                       "CPU threads, 0: the OpenMP default (all cores); --threads overrides it", STZ_REF(run.threads)));
  s.back().affects_results = false;
  // [output]
  s.push_back(make_key("output.field_strains", K::real_list, "", at_least(0),
                       "write a field snapshot when the mean strain first reaches each of these (the <p1> = 0.02 "
                       "localization point always gets one)",
                       STZ_REF(output.field_strains)));
  s.push_back(make_key("output.final_fields", K::boolean, "", finite(), "also write a field snapshot when the run ends",
                       STZ_REF(output.final_fields)));
  s.push_back(make_key("output.checkpoint_strain_interval", K::real, "", at_least(0),
                       "write a checkpoint every this much mean strain; 0: never",
                       STZ_REF(output.checkpoint_strain_interval)));
  s.back().affects_results = false;
  s.push_back(make_key("output.checkpoint_minutes", K::real, "min", at_least(0),
                       "write a checkpoint every this many wall-clock minutes; 0: never",
                       STZ_REF(output.checkpoint_minutes)));
  s.back().affects_results = false;
  s.push_back(make_key("output.name", K::string, "", finite(),
                       "file stem of NAME.h5, NAME.xdmf, NAME.ckpt.h5 and the plots", STZ_REF(output.name)));
  s.back().check = is_safe_name;
  s.back().note = "at most 100 letters, digits, '.', '_', '-' (not first '.'); empty: the deck file's stem";
  s.push_back(make_key("output.keep_final_checkpoint", K::boolean, "", finite(),
                       "keep a checkpoint of the final state (NAME.ckpt.h5, the whole catalog) when the run ends, so "
                       "that `stzkmc resume NAME.ckpt.h5 --append-stage STAGES.toml` can continue it with more "
                       "stages; false: a finished run removes its checkpoints",
                       STZ_REF(output.keep_final_checkpoint)));
  s.back().affects_results = false;
  return s;
}

#undef STZ_REF

}  // namespace

const std::vector<KeyInfo>& deck_schema() {
  static const std::vector<KeyInfo> schema = build_schema();
  return schema;
}

const KeyInfo* find_key(const std::string& key) {
  for (const KeyInfo& k : deck_schema())
    if (k.key == key) return &k;
  return nullptr;
}

DeckError::DeckError(std::vector<std::string> problems)
    : std::runtime_error([&] {
        std::string s =
            problems.size() == 1 ? "invalid deck:" : "invalid deck (" + std::to_string(problems.size()) + " problems):";
        for (const std::string& p : problems) s += "\n  " + p;
        return s;
      }()),
      problems_(std::move(problems)) {}

// ---- Value text ----------------------------------------------------------------------------

namespace {

/// Shortest decimal that reads back to the same double, in TOML float syntax.
std::string float_text(double v) {
  char buf[40];
  if (v == std::floor(v) && std::abs(v) < 1e6) {  // 300.0 reads better than 3e+02
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEni") == std::string::npos) s += ".0";  // TOML needs a float to look like one
  return s;
}

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      q += buf;
    } else {
      q += c;
    }
  }
  return q + "\"";
}

}  // namespace

std::string value_text(const Value& v) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return float_text(d); }
    std::string operator()(const std::string& s) const { return quoted(s); }
    std::string operator()(const std::vector<double>& l) const {
      std::string s = "[";
      for (std::size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + float_text(l[i]);
      return s + "]";
    }
  };
  return std::visit(Visitor{}, v);
}

// ---- Parsing -------------------------------------------------------------------------------

namespace {

std::string location(const toml::source_region& r) {
  std::string s = r.path ? *r.path : std::string("<deck>");
  return s + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

/// The value as the user wrote it, in TOML syntax (strings in double quotes, as in a deck),
/// shortened to about max_value_text characters: a message names a value, it does not echo it.
std::string node_text(const toml::node& n, int depth = 0) {
  if (auto s = n.as_string()) {
    const std::string& v = s->get();
    if (v.size() <= max_value_text) return quoted(v);
    return quoted(v.substr(0, max_value_text)) + "... (" + std::to_string(v.size()) + " characters)";
  }
  if (auto a = n.as_array()) {
    if (depth > 2) return "[...]";
    std::string t = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (t.size() > max_value_text) return t + ", ... (" + std::to_string(a->size()) + " elements)]";
      t += (i ? ", " : "") + node_text(*a->get(i), depth + 1);
    }
    return t + "]";
  }
  if (n.is_table()) return "{...} (a table)";
  std::ostringstream os;
  n.visit([&os](const auto& v) { os << v; });
  return os.str();
}

/// A key or other text the user wrote, shortened for a message (control characters escaped).
std::string short_text(const std::string& s) {
  std::string t;
  for (std::size_t i = 0; i < s.size() && i < max_value_text; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n')
      t += "\\n";
    else if (c == '\r')
      t += "\\r";
    else if (c == '\t')
      t += "\\t";
    else if (c < 0x20 || c == 0x7f)
      t += '?';
    else
      t += static_cast<char>(c);
  }
  if (s.size() > max_value_text) t += "... (" + std::to_string(s.size()) + " characters)";
  return t;
}

// check_toml_shape: printing or walking a key nested 40,000 levels deep would overflow the
// stack; a deck never needs more than [section] tables of plain keys. Lines inside multi-line
// strings are skipped.
}  // namespace

void check_toml_shape(const std::string& text, const std::string& origin) {
  std::vector<std::string> problems;
  std::size_t line_no = 0, start = 0;
  bool in_multiline = false;
  while (start <= text.size() && problems.size() < 5) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    auto count = [&line](const char* q) {
      std::size_t c = 0;
      for (std::size_t p = line.find(q); p != std::string::npos; p = line.find(q, p + 3)) ++c;
      return c;
    };
    const bool toggles = (count("\"\"\"") + count("'''")) % 2 == 1;
    if (in_multiline) {
      in_multiline = !toggles;
      continue;
    }
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] == '#') continue;
    // The key: a [header], or what precedes the first '=' outside quotes.
    const bool header = line[i] == '[';
    std::size_t dots = 0, length = 0;
    char quote = 0;
    for (std::size_t j = i + (header ? 1 : 0); j < line.size(); ++j) {
      const char c = line[j];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if ((header && c == ']' && (j + 1 >= line.size() || line[j + 1] != ']')) || (!header && c == '=')) {
        break;
      } else if (c == '.') {
        ++dots;
      }
      if (quote || (c != ' ' && c != '\t')) length = j - i - (header ? 1 : 0) + 1;  // up to the last non-blank
    }
    in_multiline = toggles;
    const std::string where = origin + ":" + std::to_string(line_no) + ":" + std::to_string(i + 1) + ": ";
    if (dots + 1 > max_key_depth)
      problems.push_back(where + "a key nested " + std::to_string(dots + 1) + " levels deep; allowed: at most " +
                         std::to_string(max_key_depth) + " (a deck holds [section] tables of plain keys)");
    else if (length > max_key_length)
      problems.push_back(where + "a key of " + std::to_string(length) + " characters; allowed: at most " +
                         std::to_string(max_key_length));
  }
  if (!problems.empty()) throw DeckError(problems);
}

namespace {

std::string type_name(const toml::node& n) {
  std::ostringstream os;
  os << n.type();
  return os.str();
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const std::string& wrong, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_d = 3;  // only close misspellings
  for (const std::string& n : names) {
    const std::size_t d = edit_distance(wrong, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

std::vector<std::string> section_names() {
  std::vector<std::string> s;
  for (const KeyInfo& k : deck_schema())
    if (std::find(s.begin(), s.end(), k.section()) == s.end()) s.push_back(k.section());
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

std::string allowed_with_unit(const KeyInfo& k) {
  return k.allowed() + (k.unit.empty() ? "" : " (unit: " + k.unit + ")");
}

/// Converts a TOML node to the key's type; on failure returns false and the reason.
bool convert(const KeyInfo& k, const toml::node& node, Value& out, std::string& why) {
  auto numeric = [&](const toml::node& n, double& d) {
    if (auto f = n.as_floating_point())
      d = f->get();
    else if (auto i = n.as_integer())
      d = static_cast<double>(i->get());
    else
      return false;
    return true;
  };
  switch (k.type) {
    case KeyType::boolean:
      if (auto b = node.as_boolean()) {
        out = b->get();
        return true;
      }
      break;
    case KeyType::integer:
      if (auto i = node.as_integer()) {
        if (!k.range.contains(static_cast<double>(i->get()))) {
          why = "out of range";
          return false;
        }
        out = i->get();
        return true;
      }
      break;
    case KeyType::real: {
      double d;
      if (numeric(node, d)) {
        if (!k.range.contains(d)) {
          why = "out of range";
          return false;
        }
        out = d;
        return true;
      }
      break;
    }
    case KeyType::real_list:
      if (auto a = node.as_array()) {
        std::vector<double> list;
        for (std::size_t i = 0; i < a->size(); ++i) {
          double d;
          if (!numeric(*a->get(i), d)) {
            why = "element " + std::to_string(i + 1) + " has the wrong type (" + type_name(*a->get(i)) + ")";
            return false;
          }
          if (!k.range.contains(d)) {
            why = "element " + std::to_string(i + 1) + " is out of range";
            return false;
          }
          list.push_back(d);
        }
        out = list;
        return true;
      }
      break;
    case KeyType::string:
    case KeyType::choice:
      if (auto s = node.as_string()) {
        out = s->get();
        if (k.type == KeyType::choice && std::find(k.choices.begin(), k.choices.end(), s->get()) == k.choices.end()) {
          why = "not one of the choices";
          return false;
        }
        if (k.check && !k.check(out)) {
          why = "not allowed";
          return false;
        }
        return true;
      }
      break;
  }
  why = "wrong type (" + type_name(node) + ")";
  return false;
}

/// The keys a [[stage]] table may set, as (name in the table, schema key): every [loading] key
/// but mode and condition (the same for every stage), and temperature (kinetics.temperature).
const std::vector<std::pair<std::string, std::string>>& stage_keys() {
  static const std::vector<std::pair<std::string, std::string>> keys = [] {
    std::vector<std::pair<std::string, std::string>> k;
    for (const KeyInfo& info : deck_schema())
      if (info.section() == "loading" && info.name() != "mode" && info.name() != "condition")
        k.emplace_back(info.name(), info.key);
    k.emplace_back("temperature", "kinetics.temperature");
    return k;
  }();
  return keys;
}

/// The schema key behind a [[stage]] key, or null.
const KeyInfo* stage_key_info(const std::string& name) {
  for (const auto& [stage_name, key] : stage_keys())
    if (stage_name == name) return find_key(key);
  return nullptr;
}

/// A Deck whose [loading] and temperature are those of `stage` (to read a stage's keys through
/// the schema's accessors).
Deck stage_view(const Deck& deck, const LoadingStage& stage) {
  Deck d = deck;
  d.params.loading = stage.loading;
  d.params.kinetics.temperature = stage.temperature;
  return d;
}

std::string default_output_name(const std::string& origin) {
  std::string stem = std::filesystem::path(origin).stem().string();
  for (char& c : stem)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  while (!stem.empty() && stem[0] == '.') stem.erase(0, 1);
  return stem.empty() ? "run" : stem;
}

}  // namespace

Deck parse_deck(const std::string& text, const std::string& origin, const std::vector<std::string>& overrides,
                const Deck* base) {
  Deck deck = base ? *base : Deck{};
  std::vector<std::string> problems;
  std::map<std::string, std::string> where;  // key -> where its value came from

  check_toml_shape(text, origin);
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw DeckError({location(e.source()) + ": TOML syntax error: " + std::string(e.description())});
  }

  const std::vector<std::string> sections = section_names();
  std::vector<std::string> keys;
  for (const KeyInfo& k : deck_schema()) keys.push_back(k.key);

  // Sets schema key `k` of `target` from `node`; `shown` is the key as the user wrote it.
  auto set_key = [&](Deck& target, const std::string& loc, const std::string& shown, const KeyInfo& k,
                     const toml::node& node) {
    Value v;
    std::string why;
    if (!convert(k, node, v, why)) {
      problems.push_back(loc + ": " + shown + " = " + node_text(node) + ": " + why +
                         "; allowed: " + allowed_with_unit(k));
      return;
    }
    k.set(target, v);
    where[shown] = loc;
  };
  auto apply = [&](const std::string& loc, const std::string& key, const toml::node& node) {
    const KeyInfo* k = find_key(key);
    if (!k) {
      const std::string section = key.substr(0, key.find('.'));
      std::vector<std::string> in_section;
      for (const KeyInfo& s : deck_schema())
        if (s.section() == section) in_section.push_back(s.name());
      problems.push_back(loc + ": " + short_text(key) + " = " + node_text(node) + ": unknown key; allowed keys in [" +
                         short_text(section) + "]: " + join(in_section) + suggestion(key, keys));
      return;
    }
    set_key(deck, loc, key, *k, node);
  };
  // A --set value, read as TOML; a bare word is a string for string keys (--set loading.mode=shear).
  auto override_value = [](const std::string& raw, const KeyInfo* k, toml::table& parsed) {
    try {
      parsed = toml::parse("value = " + raw, std::string_view("--set"));
    } catch (const toml::parse_error&) {
      if (!k || (k->type != KeyType::string && k->type != KeyType::choice)) return false;
      parsed = toml::table{};
      parsed.insert("value", raw);
    }
    return true;
  };

  const toml::node* stage_list = nullptr;  // [[stage]]: read once [loading] and its overrides are
  std::string stage_list_loc;
  for (auto&& [section_key, section_node] : doc) {
    const std::string section(section_key.str());
    const std::string loc = location(section_key.source());
    if (section == "stage") {
      stage_list = &section_node;
      stage_list_loc = loc;
      continue;
    }
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      problems.push_back(loc + ": [" + short_text(section) + "]: unknown section; allowed sections: " + join(sections) +
                         ", and [[stage]] tables" + suggestion(section, sections));
      continue;
    }
    const toml::table* table = section_node.as_table();
    if (!table) {
      problems.push_back(loc + ": " + short_text(section) + " = " + node_text(section_node) + ": wrong type (" +
                         type_name(section_node) + "); allowed: a table [" + section + "] of keys");
      continue;
    }
    for (auto&& [key, node] : *table) apply(location(key.source()), section + "." + std::string(key.str()), node);
  }

  // --set key=value: the value is read as TOML; a bare word is a string (--set loading.mode=shear).
  // stage.K.key=value sets a key of the K-th [[stage]] (1-based), once the stages are read.
  struct StageSet {
    std::string loc, key, raw;
  };
  std::vector<StageSet> stage_sets;
  for (const std::string& o : overrides) {
    const std::string loc = "--set " + short_text(o);
    const std::size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.push_back(loc + ": expected key=value, e.g. --set grid.n=128");
      continue;
    }
    if (o.find_first_of("\n\r") != std::string::npos) {
      problems.push_back(loc + ": a --set value may not contain a line break (one key=value per --set)");
      continue;
    }
    if (o.size() > max_set_length) {
      problems.push_back(loc + ": " + std::to_string(o.size()) + " characters; allowed: at most " +
                         std::to_string(max_set_length) + " per --set");
      continue;
    }
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t") + 1);
      return s;
    };
    const std::string key = trim(o.substr(0, eq)), raw = trim(o.substr(eq + 1));
    if (key.rfind("stage.", 0) == 0) {
      stage_sets.push_back({loc, key, raw});
      continue;
    }
    const KeyInfo* k = find_key(key);
    toml::table parsed;
    if (!override_value(raw, k, parsed)) {
      problems.push_back(loc + ": " + short_text(key) + " = " + short_text(raw) + ": not a TOML value" +
                         (k ? "; allowed: " + allowed_with_unit(*k) : std::string()));
      continue;
    }
    apply(loc, key, *parsed.get("value"));
  }

  if (!problems.empty()) throw DeckError(problems);
  if (deck.output.name.empty()) deck.output.name = default_output_name(origin);
  // Mode-aware default: simple shear yields at an engineering shear strain of ~0.06, where the
  // tension default would stop it; unless the deck says otherwise it runs twice as far.
  if (!base && !where.count("loading.end_strain") && deck.params.loading.mode == LoadingMode::shear)
    deck.params.loading.end_strain = shear_default_end_strain;

  // [[stage]] tables (docs/model.md §6.8): each starts from the resolved [loading] and
  // kinetics.temperature and sets what differs.
  std::vector<std::string> stage_names;
  for (const auto& [name, key] : stage_keys()) stage_names.push_back(name);
  auto stage_key = [&](const std::string& loc, const std::string& shown, const std::string& name,
                       const toml::node& node, Deck& target) {
    if (name == "mode" || name == "condition") {
      problems.push_back(loc + ": " + shown + " = " + node_text(node) + ": not a stage key; loading." + name +
                         " is the same for every stage: set it in [loading]");
      return false;
    }
    const KeyInfo* k = stage_key_info(name);
    if (!k) {
      problems.push_back(loc + ": " + short_text(shown) + " = " + node_text(node) +
                         ": unknown key; allowed keys in [[stage]]: " + join(stage_names) +
                         suggestion(name, stage_names));
      return false;
    }
    set_key(target, loc, shown, *k, node);
    return true;
  };
  std::vector<Deck> stage_decks;
  std::vector<bool> end_strain_given;
  // Appending to a run without stages: its loading becomes stage 1.
  if (base && stage_list && deck.params.stages.empty())
    deck.params.stages.push_back({deck.params.loading, deck.params.kinetics.temperature});
  const std::size_t first_stage = deck.params.stages.size();  // stages already there (a base's)
  if (stage_list) {
    const toml::array* tables = stage_list->as_array();
    if (!tables || !tables->is_array_of_tables() || tables->empty()) {
      problems.push_back(stage_list_loc + ": stage = " + node_text(*stage_list) + ": wrong type (" +
                         type_name(*stage_list) + "); allowed: one or more [[stage]] tables of keys");
    } else if (tables->size() > max_stages) {
      problems.push_back(stage_list_loc + ": " + std::to_string(tables->size()) +
                         " [[stage]] tables; allowed: at most " + std::to_string(max_stages));
    } else {
      for (std::size_t i = 0; i < tables->size(); ++i) {
        Deck d = deck;
        bool given = false;
        for (auto&& [key, node] : *tables->get(i)->as_table()) {
          const std::string name(key.str());
          const std::string shown = "stage." + std::to_string(first_stage + i + 1) + "." + name;
          if (stage_key(location(key.source()), shown, name, node, d) && name == "end_strain") given = true;
        }
        stage_decks.push_back(d);
        end_strain_given.push_back(given);
      }
    }
  }
  for (const StageSet& s : stage_sets) {
    const std::size_t dot = s.key.find('.', 6);
    const std::string index_text = s.key.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
    const std::string name = dot == std::string::npos ? "" : s.key.substr(dot + 1);
    char* end = nullptr;
    const unsigned long index = std::strtoul(index_text.c_str(), &end, 10);
    if (index_text.empty() || *end != '\0' || index <= first_stage || index > first_stage + stage_decks.size() ||
        name.empty()) {
      problems.push_back(s.loc + ": " + short_text(s.key) + ": a stage key is stage.K.NAME with K from " +
                         std::to_string(first_stage + 1) + " to the number of [[stage]] tables (" +
                         std::to_string(first_stage + stage_decks.size()) + " in this deck)");
      continue;
    }
    toml::table parsed;
    if (!override_value(s.raw, stage_key_info(name), parsed)) {
      problems.push_back(s.loc + ": " + short_text(s.key) + " = " + short_text(s.raw) + ": not a TOML value");
      continue;
    }
    if (stage_key(s.loc, s.key, name, *parsed.get("value"), stage_decks[index - first_stage - 1]) &&
        name == "end_strain")
      end_strain_given[index - first_stage - 1] = true;
  }
  if (!problems.empty()) throw DeckError(problems);
  for (std::size_t i = 0; i < stage_decks.size(); ++i) {
    LoadingStage stage{stage_decks[i].params.loading, stage_decks[i].params.kinetics.temperature};
    // A stage that names no end strain: an unloading stage unloads at most to zero strain; a
    // creep stage ends by its time (or end_plastic_strain), not at the strain [loading] ends at.
    if (!end_strain_given[i] && stage.loading.protocol == LoadingProtocolKind::strain_rate &&
        stage.loading.strain_rate < 0.0)
      stage.loading.end_strain = 0.0;
    const bool held_stress = stage.loading.protocol == LoadingProtocolKind::creep ||
                             (stage.loading.protocol == LoadingProtocolKind::cyclic &&
                              stage.loading.cyclic_control == CyclicControl::stress);
    if (!end_strain_given[i] && held_stress && first_stage + i > 0) stage.loading.end_strain = unreached_creep_strain;
    deck.params.stages.push_back(stage);
  }

  // Cross-key rules live in stz::validate (host/core/params.cpp); its message starts with
  // "key = value", which locates the offending line.
  try {
    validate(deck.params);
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    const std::string key = msg.substr(0, msg.find(" = "));
    auto it = where.find(key);
    throw DeckError({(it != where.end() ? it->second : std::string("(default value)")) + ": " + msg});
  }
  std::sort(deck.output.field_strains.begin(), deck.output.field_strains.end());
  deck.output.field_strains.erase(std::unique(deck.output.field_strains.begin(), deck.output.field_strains.end()),
                                  deck.output.field_strains.end());
  return deck;
}

std::string read_text_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw DeckError({path + ": cannot read the " + what + ": " + std::strerror(errno)});
  if (S_ISDIR(st.st_mode)) throw DeckError({path + " is a directory; the " + what + " must be a TOML file"});
  if (!S_ISREG(st.st_mode))
    throw DeckError({path + " is not a regular file (a device, pipe or socket); the " + what + " must be a TOML file"});
  if (static_cast<std::size_t>(st.st_size) > max_deck_bytes)
    throw DeckError({path + " has " + std::to_string(st.st_size) + " bytes; a " + what + " may have at most " +
                     std::to_string(max_deck_bytes) + " (1 MiB)"});
  std::ifstream is(path, std::ios::binary);
  if (!is) throw DeckError({path + ": cannot read the " + what});
  std::string text(max_deck_bytes + 1, '\0');
  is.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(is.gcount()));
  if (text.size() > max_deck_bytes) throw DeckError({path + " grew beyond 1 MiB while it was read"});
  return text;
}

Deck load_deck(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_deck(read_text_file(path, "deck file"), path, overrides);
}

Deck append_stages(const Deck& run, const std::string& path) {
  const std::string text = read_text_file(path, "stage file");
  check_toml_shape(text, path);
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw DeckError({location(e.source()) + ": TOML syntax error: " + std::string(e.description())});
  }
  std::vector<std::string> problems;
  for (auto&& [key, node] : doc)
    if (key.str() != "stage")
      problems.push_back(location(key.source()) + ": " + short_text(std::string(key.str())) +
                         ": not allowed in a stage file, which holds only [[stage]] tables (the run's other keys "
                         "stay as they were)");
  if (!doc.contains("stage")) problems.push_back(path + ": no [[stage]] table to append");
  if (!problems.empty()) throw DeckError(problems);
  return parse_deck(text, path, {}, &run);
}

// ---- Writing -------------------------------------------------------------------------------

std::vector<std::pair<std::string, Value>> stage_key_values(const Deck& deck, std::size_t k) {
  const Deck view = stage_view(deck, deck.params.stages.at(k));
  std::vector<std::pair<std::string, Value>> values;
  for (const auto& [name, key] : stage_keys()) values.emplace_back(name, find_key(key)->get(view));
  return values;
}

std::string to_toml(const Deck& deck) {
  std::string s =
      "# stzkmc deck, resolved: every key with the value used (defaults filled in).\n"
      "# Units, defaults and allowed values: `stzkmc keys` or README.md.\n";
  std::string section;
  for (const KeyInfo& k : deck_schema()) {
    if (k.section() != section) {
      section = k.section();
      s += "\n[" + section + "]\n";
    }
    std::string line = k.name() + " = " + value_text(k.get(deck));
    if (line.size() < 40) line.resize(40, ' ');
    s += line + "  # " + (k.unit.empty() ? "" : "[" + k.unit + "] ") + k.description + "\n";
  }
  // Every key of every stage, so that the stages read back the same whatever [loading] says.
  for (std::size_t i = 0; i < deck.params.stages.size(); ++i) {
    s += "\n[[stage]]  # stage " + std::to_string(i + 1) + "\n";
    for (const auto& [name, value] : stage_key_values(deck, i)) s += name + " = " + value_text(value) + "\n";
  }
  return s;
}

std::vector<std::string> result_differences(const Deck& a, const Deck& b) {
  std::vector<std::string> d;
  for (const KeyInfo& k : deck_schema()) {
    if (!k.affects_results) continue;
    const std::string x = value_text(k.get(a)), y = value_text(k.get(b));
    if (x != y) d.push_back(k.key + ": " + x + " vs " + y);
  }
  const std::vector<LoadingStage>&sa = a.params.stages, &sb = b.params.stages;
  if (sa.size() != sb.size()) {
    d.push_back("[[stage]] tables: " + std::to_string(sa.size()) + " vs " + std::to_string(sb.size()));
    return d;
  }
  for (std::size_t i = 0; i < sa.size(); ++i) {
    const Deck va = stage_view(a, sa[i]), vb = stage_view(b, sb[i]);
    for (const auto& [name, key] : stage_keys()) {
      const KeyInfo* k = find_key(key);
      const std::string x = value_text(k->get(va)), y = value_text(k->get(vb));
      if (x != y) d.push_back("stage." + std::to_string(i + 1) + "." + name + ": " + x + " vs " + y);
    }
  }
  return d;
}

std::string schema_markdown() {
  static const char* type_names[] = {"bool", "integer", "float", "string", "choice", "float list"};
  const Deck defaults;
  std::string s = "| key | type | unit | default | allowed | description |\n|---|---|---|---|---|---|\n";
  for (const KeyInfo& k : deck_schema()) {
    s += "| `" + k.key + "` | " + type_names[static_cast<int>(k.type)] + " | " + (k.unit.empty() ? "-" : k.unit) +
         " | `" + value_text(k.get(defaults)) + "` | " + k.allowed() + " | " + k.description + " |\n";
  }
  s += "\nA deck may chain stages (docs/model.md §6.8): each `[[stage]]` table sets, for its stage, any of";
  for (const auto& [name, key] : stage_keys()) s += " `" + name + "`";
  s += " (the [loading] keys but `mode` and `condition`, and the kinetics temperature); what it does not set is "
       "taken from [loading] and [kinetics]. `--set stage.K.NAME=VALUE` sets a key of the K-th stage.\n";
  return s;
}

}  // namespace stz::io
