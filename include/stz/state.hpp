#pragma once
/** @file
 * @brief The backend-held state of a run as plain host arrays — the only door between a backend
 * and I/O, analysis and checkpoints (download/upload) — and the registry of its fields.
 *
 * Layouts: per-voxel arrays indexed v = y * N + x; catalog arrays indexed v * M + m.
 * The stress fields hold the fluctuation only (the k != 0 part); the mean stress belongs to
 * the loading and is added where the total stress is needed.
 *
 * Every field is listed once, in state_fields below. That list sizes the State, writes, reads,
 * digests and range-checks checkpoints, copies the state between host and device and allocates
 * it there, and enters the memory plans: a new per-voxel field is a member here, an entry in
 * the list, and the physics that uses it (docs/architecture.md).
 */
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "stz/grid.hpp"

namespace stz {

struct State {
  int n = 0;
  int modes = 0;
  // Catalog (voxel-mode arrays).
  std::vector<float> barrier;  ///< dF, eV (never redrawn)
  std::vector<float> sfts_e1;  ///< e1 of the current generation
  std::vector<float> sfts_e3;  ///< e3 of the current generation
  // Per voxel.
  std::vector<double> p1, p3;        ///< accumulated eigenstrain
  std::vector<float> d1, d3;         ///< SFTS of the last transformation (0 before the first)
  std::vector<double> eta_p, eta_t;  ///< permanent and temporary softening
  std::vector<double> t_last;        ///< time of the last transformation, s
  std::vector<std::uint32_t> generation;
  std::vector<double> s11, s22, s12;  ///< stress fluctuation, GPa
  // Per voxel, the rate bounds of the "bounded" kinetics rule (physics/bounds.hpp): the resolved
  // stress (s1, s3) a bound was computed at, the margin around it, the bound (relative rate) and
  // the lowest barrier it allows. Empty under the other rules (FieldNeed::bounded_rule).
  std::vector<double> bound_s1, bound_s3, bound_margin, bound_rate, bound_low;

  std::size_t voxels() const { return static_cast<std::size_t>(n) * static_cast<std::size_t>(n); }
  Extent<2> extent() const { return square_extent(n); }
  /// Sizes every field for an n x n grid with `modes` modes, zero filled; the bounded rule's
  /// fields only with `bounded_rule` (empty otherwise).
  void resize(int n_, int modes_, bool bounded_rule);
};

/// Whether a field has one value per voxel or one per voxel-mode (the catalog).
enum class FieldExtent { voxel, voxel_mode };

/// Which runs carry a field: every run, or only runs of the "bounded" kinetics rule (its rate
/// bounds; empty, size 0, under the other rules so they cost neither memory nor checkpoint bytes).
enum class FieldNeed { always, bounded_rule };

/// One field of the State: its name (in checkpoints), extent, and where it lives.
template <class T>
struct StateField {
  using value_type = T;
  using Member = std::vector<T> State::*;
  const char* name;
  FieldExtent extent;
  /// Fields of one group are stored one after another on a device (a batched FFT reads the
  /// eigenstrain [p1 | p3] and writes the stress [s11 | s22 | s12] in one call).
  const char* group;
  Member member;
  const char* unit;
  const char* description;
  FieldNeed need = FieldNeed::always;

  /// Values the field holds in a run that carries it.
  std::size_t count(std::size_t voxels, int modes) const {
    return extent == FieldExtent::voxel ? voxels : voxels * static_cast<std::size_t>(modes);
  }
  /// Values it holds in a run with (`bounded_rule`) or without the bounded rule's fields.
  std::size_t count(std::size_t voxels, int modes, bool bounded_rule) const {
    return need == FieldNeed::always || bounded_rule ? count(voxels, modes) : 0;
  }
  /// Whether `size` values fit: the full count, or none for a field not every run carries.
  bool fits(std::size_t size, std::size_t voxels, int modes) const {
    return size == count(voxels, modes) || (need != FieldNeed::always && size == 0);
  }
};

/// Every field of the State, in checkpoint order.
inline const auto& state_fields() {
  static const auto fields = std::make_tuple(
      StateField<float>{"barrier", FieldExtent::voxel_mode, "barrier", &State::barrier, "eV", "stress-free barrier dF"},
      StateField<float>{"sfts_e1", FieldExtent::voxel_mode, "sfts_e1", &State::sfts_e1, "1",
                        "SFTS e1 of the current generation"},
      StateField<float>{"sfts_e3", FieldExtent::voxel_mode, "sfts_e3", &State::sfts_e3, "1",
                        "SFTS e3 of the current generation"},
      StateField<double>{"p1", FieldExtent::voxel, "eigenstrain", &State::p1, "1", "accumulated eigenstrain p1"},
      StateField<double>{"p3", FieldExtent::voxel, "eigenstrain", &State::p3, "1", "accumulated eigenstrain p3"},
      StateField<float>{"d1", FieldExtent::voxel, "d1", &State::d1, "1", "SFTS e1 of the last transformation"},
      StateField<float>{"d3", FieldExtent::voxel, "d3", &State::d3, "1", "SFTS e3 of the last transformation"},
      StateField<double>{"eta_p", FieldExtent::voxel, "eta_p", &State::eta_p, "1", "permanent softening"},
      StateField<double>{"eta_t", FieldExtent::voxel, "eta_t", &State::eta_t, "1", "temporary softening"},
      StateField<double>{"t_last", FieldExtent::voxel, "t_last", &State::t_last, "s",
                         "time of the last transformation"},
      StateField<std::uint32_t>{"generation", FieldExtent::voxel, "generation", &State::generation, "1",
                                "transformations so far"},
      StateField<double>{"s11", FieldExtent::voxel, "stress", &State::s11, "GPa", "stress fluctuation sigma11"},
      StateField<double>{"s22", FieldExtent::voxel, "stress", &State::s22, "GPa", "stress fluctuation sigma22"},
      StateField<double>{"s12", FieldExtent::voxel, "stress", &State::s12, "GPa", "stress fluctuation sigma12"},
      StateField<double>{"bound_s1", FieldExtent::voxel, "bound_s1", &State::bound_s1, "GPa",
                         "rule bounded: sigma11 - sigma22 the rate bound was computed at", FieldNeed::bounded_rule},
      StateField<double>{"bound_s3", FieldExtent::voxel, "bound_s3", &State::bound_s3, "GPa",
                         "rule bounded: 2 sigma12 the rate bound was computed at", FieldNeed::bounded_rule},
      StateField<double>{"bound_margin", FieldExtent::voxel, "bound_margin", &State::bound_margin, "GPa",
                         "rule bounded: stress change within which the bound holds", FieldNeed::bounded_rule},
      StateField<double>{"bound_rate", FieldExtent::voxel, "bound_rate", &State::bound_rate, "1",
                         "rule bounded: the bound on the voxel's total rate (relative)", FieldNeed::bounded_rule},
      StateField<double>{"bound_low", FieldExtent::voxel, "bound_low", &State::bound_low, "eV",
                         "rule bounded: the lowest barrier the bound allows", FieldNeed::bounded_rule});
  return fields;
}

/// Calls f(field) for every field of the State, in checkpoint order.
template <class F>
void for_each_state_field(F&& f) {
  std::apply([&f](const auto&... field) { (f(field), ...); }, state_fields());
}

/// Copies every field (the catalog only if `with_catalog`; otherwise the catalog fields are
/// left empty): what a backend's download does with its host state.
inline void copy_state(const State& from, State& to, bool with_catalog) {
  to.n = from.n;
  to.modes = from.modes;
  for_each_state_field([&](const auto& field) {
    if (field.extent == FieldExtent::voxel_mode && !with_catalog)
      (to.*field.member).clear();
    else
      to.*field.member = from.*field.member;
  });
}

/// The name of the first field of `s` whose size does not fit an n x n x modes grid, or
/// nullptr when every field fits (what a backend's upload checks).
inline const char* misfit_field(const State& s, int n, int modes) {
  const char* misfit = nullptr;
  const std::size_t voxels = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  for_each_state_field([&](const auto& field) {
    if (!misfit && !field.fits((s.*field.member).size(), voxels, modes)) misfit = field.name;
  });
  return misfit;
}

/// What a backend's upload checks: `s` is an n x n x modes state with every field complete.
/// Throws std::invalid_argument naming the mismatch.
inline void check_uploadable(const State& s, int n, int modes) {
  if (s.n != n || s.modes != modes)
    throw std::invalid_argument("upload: the state's grid (" + std::to_string(s.n) + "^2 x " + std::to_string(s.modes) +
                                " modes) does not match the backend's (" + std::to_string(n) + "^2 x " +
                                std::to_string(modes) + ")");
  if (const char* field = misfit_field(s, n, modes))
    throw std::invalid_argument(std::string("upload: the state's field ") + field + " does not fit its grid");
}

/// Gives the bounded rule's fields the size a run with (`bounded_rule`) or without that rule
/// carries: kept when they already fit, zero filled when missing, dropped when not needed
/// (what a backend's upload does with a state from another rule's run).
inline void fit_bounded_rule_fields(State& s, bool bounded_rule) {
  for_each_state_field([&](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if (field.need == FieldNeed::always) return;
    auto& v = s.*field.member;
    const std::size_t count = field.count(s.voxels(), s.modes, bounded_rule);
    if (v.size() != count) v.assign(count, T{});
  });
}

/// Bytes of the state of `voxels` voxels x `modes` modes (for memory plans), with or without
/// the bounded rule's fields.
inline std::size_t state_bytes(std::size_t voxels, int modes, bool bounded_rule) {
  std::size_t bytes = 0;
  for_each_state_field([&](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    bytes += field.count(voxels, modes, bounded_rule) * sizeof(T);
  });
  return bytes;
}

}  // namespace stz
