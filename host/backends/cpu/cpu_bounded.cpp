// The "bounded" kinetics rule on the CPU backend (docs/model.md §5.6): per-voxel rate bounds in
// the state (bound_*), their sums over fixed blocks, a margin check of every voxel after each
// change, and exact rates of one candidate voxel at a time. The formulas are in
// stz/physics/bounds.hpp, shared with the reference backend.
//
// Cost per update: one pass over the voxels that reads their stress and bound reference (the
// margin check, vectorized), a refresh (M modes) of the few voxels that fail it, and exact
// rates of the watched voxels (those whose bound allows a barrier below zero). The refreshes
// and the exact rates are compiled once per instruction set (multiversion.hpp), like the
// exhaustive passes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/multiversion.hpp"
#include "stz/grid.hpp"
#include "stz/physics/bounds.hpp"

namespace stz {

namespace {

/// The resolved-stress combinations of the mean stress: (sigma11 - sigma22, 2 sigma12).
struct Resolved {
  double s1, s3;
};
Resolved resolved(const Sym2& s) { return {s.xx - s.yy, 2.0 * s.xy}; }

/// What a refresh reads and writes: the state's arrays and the run's constants.
struct BoundArrays {
  const float *barrier, *e1, *e3, *d1, *d3;
  const double *eta_p, *eta_t, *t_last;
  double *bound_s1, *bound_s3, *bound_margin, *bound_rate, *bound_low;
  int modes;
  bool direction;
  double tau, slack, half_volume_ev, shift, inv_kT;
};

/// Scratch of refresh_listed_bounds(), one per thread.
struct RefreshScratch {
  std::vector<double> x, y, margin;
};

/**
 * @brief Recomputes the bounds of `count` voxels listed in `voxels` at `time`, each around its
 * resolved stress (s1[i], s3[i]): the expressions of voxel_bound() (bounds.hpp), bit for bit,
 * staged so that the two exponentials of every voxel-mode run as flat vector loops over all
 * listed voxel-modes (a loop over M = 20 modes alone leaves a scalar remainder on AVX-512).
 */
STZ_CPU_MULTIVERSION
void refresh_listed_bounds(const BoundArrays& a, const std::uint32_t* voxels, const double* s1, const double* s3,
                           std::size_t count, double time, double drift, RefreshScratch& w) {
  const std::size_t modes = static_cast<std::size_t>(a.modes), n = count * modes;
  if (w.x.size() < n) {
    w.x.resize(n);
    w.y.resize(n);
  }
  if (w.margin.size() < count) w.margin.resize(count);
  double* x = w.x.data();
  double* y = w.y.data();
  // Per voxel: the margin, and the exponent of each mode's softening.
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t v = voxels[i], base = v * modes;
    const float* e1 = a.e1 + base;
    const float* e3 = a.e3 + base;
    double e_max2 = 0.0;
#pragma omp simd reduction(max : e_max2)
    for (std::size_t m = 0; m < modes; ++m) {
      const double e2 = sfts_norm2(e1[m], e3[m]);
      e_max2 = e2 > e_max2 ? e2 : e_max2;
    }
    w.margin[i] = bound_margin(e_max2, a.slack, drift, a.half_volume_ev);
    const double eta = softening(a.eta_p[v], a.eta_t[v], a.t_last[v], time, a.tau);
    const double d1 = a.d1[v], d3 = a.d3[v];
#pragma omp simd
    for (std::size_t m = 0; m < modes; ++m)
      x[i * modes + m] = -(direction_factor(a.direction, d1, d3, e1[m], e3[m]) * eta);
  }
#pragma omp simd
  for (std::size_t k = 0; k < n; ++k) x[k] = exp_nonpositive(x[k]);
  // Per voxel: the lowest barrier of each mode within the margin.
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t base = static_cast<std::size_t>(voxels[i]) * modes;
    const float* dF = a.barrier + base;
    const float* e1 = a.e1 + base;
    const float* e3 = a.e3 + base;
    const double r1 = s1[i], r3 = s3[i], margin = w.margin[i];
#pragma omp simd
    for (std::size_t m = 0; m < modes; ++m)
      y[i * modes + m] =
          lowest_barrier(static_cast<double>(dF[m]) * x[i * modes + m], r1, r3, e1[m], e3[m], margin, a.half_volume_ev);
  }
#pragma omp simd
  for (std::size_t k = 0; k < n; ++k) x[k] = capped_relative_rate(y[k], a.shift, a.inv_kT);
  // Per voxel: the sum in mode order and the lowest barrier.
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t v = voxels[i];
    double rate = 0.0, lowest = 1e300;
    for (std::size_t m = 0; m < modes; ++m) {
      rate += x[i * modes + m];
      lowest = y[i * modes + m] < lowest ? y[i * modes + m] : lowest;
    }
    a.bound_s1[v] = s1[i];
    a.bound_s3[v] = s3[i];
    a.bound_margin[v] = w.margin[i];
    a.bound_rate[v] = rate;
    a.bound_low[v] = lowest;
  }
}

/// The margin check of voxels [v0, v1): need[i] = 1 where the bound must be recomputed (the
/// voxel transformed, or its resolved stress at either end of the segment lies outside its
/// margin; along the linear drift the deviation is convex, so the ends suffice). Returns how
/// many need it.
STZ_CPU_MULTIVERSION
std::size_t margin_check(std::size_t v0, std::size_t v1, const double* s11, const double* s22, const double* s12,
                         const double* bound_s1, const double* bound_s3, const double* bound_margin,
                         const std::uint8_t* stale, Resolved now, Resolved end, std::uint8_t* need) {
  std::size_t count = 0;
#pragma omp simd reduction(+ : count)
  for (std::size_t v = v0; v < v1; ++v) {
    const double f1 = s11[v] - s22[v], f3 = 2.0 * s12[v];
    const double a1 = f1 + now.s1 - bound_s1[v], a3 = f3 + now.s3 - bound_s3[v];
    const double b1 = f1 + end.s1 - bound_s1[v], b3 = f3 + end.s3 - bound_s3[v];
    const double m2 = bound_margin[v] * bound_margin[v];
    const bool inside = a1 * a1 + a3 * a3 <= m2 && b1 * b1 + b3 * b3 <= m2;
    const std::uint8_t refresh = static_cast<std::uint8_t>(stale[v] | !inside);
    need[v - v0] = refresh;
    count += refresh;
  }
  return count;
}

/// Exact barriers and relative rates of one voxel (bounds.hpp voxel_rates), once per
/// instruction set.
STZ_CPU_MULTIVERSION
double exact_voxel_rates(const BoundArrays& a, std::size_t v, double time, double s1, double s3, double* q,
                         double* rate) {
  const std::size_t base = v * static_cast<std::size_t>(a.modes);
  const double eta = softening(a.eta_p[v], a.eta_t[v], a.t_last[v], time, a.tau);
  return voxel_rates(a.modes, a.barrier + base, a.e1 + base, a.e3 + base, a.direction, a.d1[v], a.d3[v], eta, s1, s3,
                     a.half_volume_ev, a.shift, a.inv_kT, q, rate);
}

}  // namespace

namespace {
BoundArrays bound_arrays(State& s, const PhysicsConstants& pc, const Params& params) {
  return BoundArrays{s.barrier.data(),
                     s.sfts_e1.data(),
                     s.sfts_e3.data(),
                     s.d1.data(),
                     s.d3.data(),
                     s.eta_p.data(),
                     s.eta_t.data(),
                     s.t_last.data(),
                     s.bound_s1.data(),
                     s.bound_s3.data(),
                     s.bound_margin.data(),
                     s.bound_rate.data(),
                     s.bound_low.data(),
                     pc.modes,
                     pc.direction_factor,
                     pc.tau,
                     params.kinetics.bound_slack * pc.kT,
                     pc.half_volume_ev,
                     bound_shift(pc.kT),
                     pc.inv_kT};
}
}  // namespace

void CpuBackend::sum_bound_blocks() {
  const std::size_t v_count = s_.bound_rate.size();  // 0 unless the rule is "bounded"
  double total = 0.0;
  for (std::size_t b = 0; b < bound_block_.size(); ++b) {
    double sum = 0.0;
    std::uint32_t watched = 0;
    for (std::size_t v = b * block_voxels; v < std::min(v_count, (b + 1) * block_voxels); ++v) {
      sum += s_.bound_rate[v];
      watched += s_.bound_low[v] < 0.0;
    }
    bound_block_[b] = sum;
    bound_watch_[b] = watched;
    total += sum;
  }
  bound_total_ = total;
}

BoundSummary CpuBackend::update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) {
  const Resolved now = resolved(mean_now), end = resolved(mean_end);
  const double drift = std::hypot(end.s1 - now.s1, end.s3 - now.s3);
  const std::size_t v_count = s_.voxels();
  const std::int64_t blocks = static_cast<std::int64_t>(bound_block_.size());
  const BoundArrays arrays = bound_arrays(s_, pc_, params_);
  std::uint64_t refreshed = 0;
  // Whole blocks per thread: the margin check, the refreshes it asks for, and the block's sum
  // and watch count again where anything changed (fixed order: thread independent).
#pragma omp parallel num_threads(threads_) reduction(+ : refreshed)
  {
    std::vector<std::uint8_t> need(block_voxels);
    std::vector<std::uint32_t> list(block_voxels);
    std::vector<double> s1(block_voxels), s3(block_voxels);
    RefreshScratch scratch;
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::size_t v0 = static_cast<std::size_t>(b) * block_voxels;
      const std::size_t v1 = std::min(v_count, v0 + block_voxels);
      if (all)
        std::fill(need.begin(), need.begin() + (v1 - v0), 1);
      else if (margin_check(v0, v1, s_.s11.data(), s_.s22.data(), s_.s12.data(), s_.bound_s1.data(), s_.bound_s3.data(),
                            s_.bound_margin.data(), bound_stale_.data(), now, end, need.data()) == 0)
        continue;
      std::size_t count = 0;
      for (std::size_t v = v0; v < v1; ++v)
        if (need[v - v0]) {
          list[count] = static_cast<std::uint32_t>(v);
          s1[count] = (s_.s11[v] - s_.s22[v]) + now.s1;
          s3[count] = 2.0 * s_.s12[v] + now.s3;
          bound_stale_[v] = 0;
          ++count;
        }
      if (count == 0) continue;
      refresh_listed_bounds(arrays, list.data(), s1.data(), s3.data(), count, time, drift, scratch);
      refreshed += count;
      double sum = 0.0;
      std::uint32_t watched = 0;
      for (std::size_t v = v0; v < v1; ++v) {
        sum += s_.bound_rate[v];
        watched += s_.bound_low[v] < 0.0;
      }
      bound_block_[b] = sum;
      bound_watch_[b] = watched;
    }
  }
  BoundSummary r;
  r.refreshed = refreshed;
  for (double b : bound_block_) r.bound_sum += b;
  bound_total_ = r.bound_sum;
  // The watch list: voxels whose bound allows a barrier below zero (found through the blocks'
  // watch counts), checked exactly now, and the first time the drift could bring one of their
  // barriers to zero.
  const int modes = pc_.modes;
  const double ds1 = end.s1 - now.s1, ds3 = end.s3 - now.s3;
  std::vector<double> q(modes), rate(modes);
  for (std::size_t b = 0; b < bound_block_.size(); ++b) {
    if (bound_watch_[b] == 0) continue;
    for (std::size_t v = b * block_voxels; v < std::min(v_count, (b + 1) * block_voxels); ++v) {
      if (!(s_.bound_low[v] < 0.0)) continue;
      const std::size_t base = v * modes;
      exact_voxel_rates(arrays, v, time, (s_.s11[v] - s_.s22[v]) + now.s1, 2.0 * s_.s12[v] + now.s3, q.data(),
                        rate.data());
      for (int m = 0; m < modes; ++m) {
        if (q[m] < 0.0) r.any_unstable = true;
        // Q falls linearly with the drift, by at most (V/2) (e . ds) over the segment.
        const double fall = pc_.half_volume_ev * resolved_work(ds1, ds3, s_.sfts_e1[base + m], s_.sfts_e3[base + m]);
        if (fall > 0.0 && q[m] >= 0.0) r.unstable_fraction = std::min(r.unstable_fraction, q[m] / fall);
      }
    }
  }
  return r;
}

PlasticIncrement CpuBackend::bounded_athermal_pass(double time, const Sym2& mean_now, std::vector<Event>* flipped) {
  // Exactly the voxels and modes athermal_pass() flips after a full barrier pass, found among
  // the voxels whose bound allows a barrier below the flip level (no other voxel can hold one).
  const Resolved now = resolved(mean_now);
  const bool simultaneous = params_.athermal.variant == AthermalVariant::simultaneous;
  const double level = simultaneous ? params_.athermal.threshold : 0.0;
  const BoundArrays arrays = bound_arrays(s_, pc_, params_);
  const int modes = pc_.modes;
  std::vector<double> q(modes), rate(modes);
  std::vector<Event> flips;
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    if (!(s_.bound_low[v] < level)) continue;
    exact_voxel_rates(arrays, v, time, (s_.s11[v] - s_.s22[v]) + now.s1, 2.0 * s_.s12[v] + now.s3, q.data(),
                      rate.data());
    int best = 0;
    for (int m = 1; m < modes; ++m)
      if (q[m] < q[best]) best = m;
    if (!(q[best] < level)) continue;
    const Event e{static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(best), q[best]};
    if (simultaneous)
      flips.push_back(e);
    else if (flips.empty() || e.barrier < flips[0].barrier)
      flips.assign(1, e);
  }
  if (flipped) flipped->insert(flipped->end(), flips.begin(), flips.end());
  PlasticIncrement inc;
  inc.flips = flips.size();
  inc.full_solve = inc.flips > bounded_kernel_flips;
  for (const Event& e : flips) {
    const std::size_t k = voxel_mode_index(e.voxel, static_cast<int>(e.mode), modes);
    const double a = s_.sfts_e1[k], b = s_.sfts_e3[k];
    inc.dp1_sum += a;
    inc.dp3_sum += b;
    apply_transformation(e.voxel, static_cast<int>(e.mode), time);
    mark_active(e.voxel);
    if (!inc.full_solve) add_kernel_response(e.voxel, a, b);
  }
  if (inc.full_solve) full_solve();
  rates_valid_ = false;
  return inc;
}

std::uint32_t CpuBackend::select_bounded_voxel(double u) {
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("select_bounded_voxel: u must lie in [0, 1)");
  const double target = u * bound_total_;
  const std::size_t v_count = s_.voxels();
  double cum = 0.0;
  std::size_t b = 0;
  while (b + 1 < bound_block_.size() && cum + bound_block_[b] <= target) cum += bound_block_[b++];
  std::size_t v = b * block_voxels;
  const std::size_t v_end = std::min(v_count, v + block_voxels);
  while (v + 1 < v_end && (cum + s_.bound_rate[v] <= target || s_.bound_rate[v] == 0.0)) cum += s_.bound_rate[v++];
  return static_cast<std::uint32_t>(v);
}

BoundedCandidate CpuBackend::bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                               const Sym2& mean_now, const Sym2& mean_end) {
  const int modes = pc_.modes;
  const std::size_t v = voxel;
  const Resolved now = resolved(mean_now), end = resolved(mean_end);
  const double s1 = s_.s11[v] - s_.s22[v] + now.s1, s3 = 2.0 * s_.s12[v] + now.s3;
  const BoundArrays arrays = bound_arrays(s_, pc_, params_);
  std::vector<double> q(modes), rate(modes);
  const double total = exact_voxel_rates(arrays, v, time, s1, s3, q.data(), rate.data());
  const double bound = s_.bound_rate[v];
  // The bound must hold (docs/model.md §5.6); the slack of one part in 1e12 is round-off.
  if (total > bound * (1.0 + 1e-12))
    throw std::logic_error("rule bounded: voxel " + std::to_string(v) + " has rate " + std::to_string(total) +
                           " above its bound " + std::to_string(bound));
  BoundedCandidate c;
  c.accepted = u_accept * bound < total;
  if (c.accepted) {
    const double target = u_mode * total;
    double cum = 0.0;
    int chosen = -1;
    for (int m = 0; m < modes; ++m) {
      if (rate[m] > 0.0) chosen = m;
      cum += rate[m];
      if (cum > target && rate[m] > 0.0) break;
    }
    c.event = {voxel, static_cast<std::uint32_t>(chosen), q[chosen]};
    c.bound_sum = bound_total_;
    return c;
  }
  // A rejected candidate's bound was too loose: compute it again from now (it then covers the
  // rest of the segment), and the sums of its block.
  const std::uint32_t list[1] = {voxel};
  RefreshScratch scratch;
  refresh_listed_bounds(arrays, list, &s1, &s3, 1, time, std::hypot(end.s1 - now.s1, end.s3 - now.s3), scratch);
  const std::size_t b = v / block_voxels;
  double sum = 0.0;
  std::uint32_t watched = 0;
  for (std::size_t w = b * block_voxels; w < std::min(s_.voxels(), (b + 1) * block_voxels); ++w) {
    sum += s_.bound_rate[w];
    watched += s_.bound_low[w] < 0.0;
  }
  bound_block_[b] = sum;
  bound_watch_[b] = watched;
  double all = 0.0;
  for (double s : bound_block_) all += s;
  bound_total_ = all;
  c.bound_sum = all;
  return c;
}

double CpuBackend::bound_sum() { return bound_total_; }

void CpuBackend::check_bounds(double time, const Sym2& mean_now) {
  const Resolved now = resolved(mean_now);
  const BoundArrays arrays = bound_arrays(s_, pc_, params_);
  std::vector<double> q(pc_.modes), rate(pc_.modes);
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    const double total = exact_voxel_rates(arrays, v, time, s_.s11[v] - s_.s22[v] + now.s1, 2.0 * s_.s12[v] + now.s3,
                                           q.data(), rate.data());
    if (total > s_.bound_rate[v] * (1.0 + 1e-12))
      throw std::logic_error("rule bounded: voxel " + std::to_string(v) + " at time " + std::to_string(time) +
                             " has rate " + std::to_string(total) + " above its bound " +
                             std::to_string(s_.bound_rate[v]));
    const double low = s_.bound_low[v], round_off = 1e-12 * (1.0 + std::abs(low));
    for (int m = 0; m < pc_.modes; ++m)
      if (q[m] < low - round_off)
        throw std::logic_error("rule bounded: voxel " + std::to_string(v) + " mode " + std::to_string(m) +
                               " has barrier " + std::to_string(q[m]) + " below its bound's lowest " +
                               std::to_string(s_.bound_low[v]));
  }
}

}  // namespace stz
