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

#define STZ_HOT_LOOP STZ_CPU_MULTIVERSION
#include "backends/cpu/bounded_hot_loops.inc"
#undef STZ_HOT_LOOP

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
