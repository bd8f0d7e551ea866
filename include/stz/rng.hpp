#pragma once
/** @file
 * @brief Counter-based random numbers (Philox4x32-10, Random123) with one documented layout,
 * so a seed gives the same catalog and the same kMC draws on any backend and thread count.
 *
 * Key     = (seed & 0xffffffff, seed >> 32)
 * Counter = (c0, c1, (stream << 16) | c2_low, draw) where, per stream,
 *   barrier_catalog : c0 = voxel, c1 = 0,          c2_low = mode, draw = 0
 *   sfts_catalog    : c0 = voxel, c1 = generation, c2_low = mode, draw = 0
 *   kmc streams     : c0 = low 32 bits of the draw index, c1 = high 32 bits, c2_low = 0, draw = 0
 * One Philox call gives 128 bits = two 53-bit uniforms = two normals (Box-Muller).
 * Never built from thread or block indices.
 */
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

#include "stz/hd.hpp"

namespace stz::rng {

/// Stream ids: the high 16 bits of counter word 2.
enum Stream : std::uint32_t {
  barrier_catalog = 1,   ///< stress-free barriers dF (drawn once per voxel-mode)
  sfts_catalog = 2,      ///< SFTS (e1, e3), redrawn per generation
  event_selection = 3,   ///< u that picks the thermal event
  event_acceptance = 4,  ///< u of the "probabilistic" rule
  waiting_time = 5,      ///< u' of the "residence-time" rule
  bounded_wait = 6,      ///< rule "bounded": the candidate's waiting time
  bounded_voxel = 7,     ///< rule "bounded": which voxel is the candidate
  bounded_accept = 8,    ///< rule "bounded": accept the candidate (rate / bound)
  bounded_mode = 9,      ///< rule "bounded": the mode of an accepted candidate
};

struct Words {
  std::uint32_t w[4];
};

/// Raw Philox4x32-10 of counter (c0..c3) under key (k0, k1).
STZ_HD_INLINE Words philox(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                           std::uint32_t k1) {
  r123::Philox4x32 gen;
  r123::Philox4x32::ctr_type ctr = {{c0, c1, c2, c3}};
  r123::Philox4x32::key_type key = {{k0, k1}};
  const r123::Philox4x32::ctr_type r = gen(ctr, key);
  return {{r.v[0], r.v[1], r.v[2], r.v[3]}};
}

/// Philox under the layout above.
STZ_HD_INLINE Words draw(std::uint64_t seed, Stream stream, std::uint32_t c0, std::uint32_t c1, std::uint32_t c2_low) {
  return philox(c0, c1, (static_cast<std::uint32_t>(stream) << 16) | (c2_low & 0xffffu), 0u,
                static_cast<std::uint32_t>(seed & 0xffffffffu), static_cast<std::uint32_t>(seed >> 32));
}

/// Uniform in (0, 1] from 53 bits of (hi, lo): never 0, so log() is safe.
STZ_HD_INLINE double uniform_open0(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  return (static_cast<double>(bits) + 1.0) * (1.0 / 9007199254740992.0);
}

/// Uniform in [0, 1) from 53 bits of (hi, lo).
STZ_HD_INLINE double uniform_closed0(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

struct NormalPair {
  double a, b;
};

/// Two independent standard normals from one Philox output (Box-Muller).
STZ_HD_INLINE NormalPair normal_pair(const Words& r) {
  const double u1 = uniform_open0(r.w[0], r.w[1]);
  const double u2 = uniform_closed0(r.w[2], r.w[3]);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 6.283185307179586 * u2;
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

/// Stress-free barrier of (voxel, mode): dF = mean + std * n, stored in single precision.
STZ_HD_INLINE float initial_barrier(std::uint64_t seed, std::uint32_t voxel, std::uint32_t mode, double mean,
                                    double std_dev) {
  const NormalPair z = normal_pair(draw(seed, barrier_catalog, voxel, 0u, mode));
  return static_cast<float>(mean + std_dev * z.a);
}

struct SftsDraw {
  float e1, e3;
};

/// SFTS of (voxel, generation, mode): e1, e3 = (gamma*/2) n each, stored in single precision.
STZ_HD_INLINE SftsDraw sfts(std::uint64_t seed, std::uint32_t voxel, std::uint32_t generation, std::uint32_t mode,
                            double gamma_star) {
  const NormalPair z = normal_pair(draw(seed, sfts_catalog, voxel, generation, mode));
  const double s = 0.5 * gamma_star;
  return {static_cast<float>(s * z.a), static_cast<float>(s * z.b)};
}

/// The SFTS catalog of one voxel for `generation`: all `modes` modes into e1[0, modes) and
/// e3[0, modes) (the voxel's slice of the voxel-mode arrays).
STZ_HD_INLINE void draw_sfts_catalog(std::uint64_t seed, std::uint32_t voxel, std::uint32_t generation, int modes,
                                     double gamma_star, float* e1, float* e3) {
  for (int m = 0; m < modes; ++m) {
    const SftsDraw d = sfts(seed, voxel, generation, static_cast<std::uint32_t>(m), gamma_star);
    e1[m] = d.e1;
    e3[m] = d.e3;
  }
}

/// The index-th uniform in [0, 1) of a kMC stream.
STZ_HD_INLINE double kmc_uniform(std::uint64_t seed, Stream stream, std::uint64_t index) {
  const Words r =
      draw(seed, stream, static_cast<std::uint32_t>(index & 0xffffffffu), static_cast<std::uint32_t>(index >> 32), 0u);
  return uniform_closed0(r.w[0], r.w[1]);
}

/// The index-th uniform in (0, 1] of a kMC stream (for -log u).
STZ_HD_INLINE double kmc_uniform_open0(std::uint64_t seed, Stream stream, std::uint64_t index) {
  const Words r =
      draw(seed, stream, static_cast<std::uint32_t>(index & 0xffffffffu), static_cast<std::uint32_t>(index >> 32), 0u);
  return uniform_open0(r.w[0], r.w[1]);
}

}  // namespace stz::rng
