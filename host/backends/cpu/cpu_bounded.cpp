// The "bounded" kinetics rule on the CPU backend (docs/model.md §5.6): per-voxel rate bounds in
// the state (bound_*), their sums over fixed blocks, a margin check of every voxel fused into one
// pass after each change, and exact rates of one candidate voxel at a time. The formulas are in
// stz/physics/bounds.hpp, shared with the reference backend.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "backends/cpu/cpu_backend.hpp"
#include "stz/grid.hpp"
#include "stz/physics/bounds.hpp"

namespace stz {

namespace {

/// The resolved-stress combinations of the mean stress: (sigma11 - sigma22, 2 sigma12).
struct Resolved {
  double s1, s3;
};
Resolved resolved(const Sym2& s) { return {s.xx - s.yy, 2.0 * s.xy}; }

}  // namespace

void CpuBackend::refresh_bound(std::size_t v, double time, double s1, double s3, double drift) {
  const int modes = pc_.modes;
  const std::size_t base = v * modes;
  const float* dF = s_.barrier.data() + base;
  const float* e1 = s_.sfts_e1.data() + base;
  const float* e3 = s_.sfts_e3.data() + base;
  const double slack = params_.kinetics.bound_slack * pc_.kT;
  // The margin lets the barriers fall by the slack, and covers the rest of the segment's drift.
  const double margin = std::max(slack_margin(modes, e1, e3, slack, pc_.half_volume_ev), drift);
  const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
  const VoxelBound b = voxel_bound(modes, dF, e1, e3, pc_.direction_factor, s_.d1[v], s_.d3[v], eta, s1, s3, margin,
                                   pc_.half_volume_ev, bound_shift(pc_.kT), pc_.inv_kT);
  s_.bound_s1[v] = s1;
  s_.bound_s3[v] = s3;
  s_.bound_margin[v] = margin;
  s_.bound_rate[v] = b.rate;
  s_.bound_low[v] = b.low;
  bound_stale_[v] = 0;
}

void CpuBackend::sum_bound_blocks() {
  const std::size_t v_count = s_.bound_rate.size();  // 0 unless the rule is "bounded"
  double total = 0.0;
  for (std::size_t b = 0; b < bound_block_.size(); ++b) {
    double sum = 0.0;
    for (std::size_t v = b * block_voxels; v < std::min(v_count, (b + 1) * block_voxels); ++v) sum += s_.bound_rate[v];
    bound_block_[b] = sum;
    total += sum;
  }
  bound_total_ = total;
}

BoundSummary CpuBackend::update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) {
  const Resolved now = resolved(mean_now), end = resolved(mean_end);
  const double drift = std::hypot(end.s1 - now.s1, end.s3 - now.s3);
  const std::size_t v_count = s_.voxels();
  const std::int64_t blocks = static_cast<std::int64_t>(bound_block_.size());
  std::uint64_t refreshed = 0;
  // One pass over every voxel, whole blocks per thread: the margin check, refreshes where it
  // fails, and the block's sum again where anything changed (fixed order: thread independent).
#pragma omp parallel for schedule(static) reduction(+ : refreshed) num_threads(threads_)
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::size_t v0 = static_cast<std::size_t>(b) * block_voxels;
    const std::size_t v1 = std::min(v_count, v0 + block_voxels);
    bool changed = false;
    for (std::size_t v = v0; v < v1; ++v) {
      const double f1 = s_.s11[v] - s_.s22[v], f3 = 2.0 * s_.s12[v];
      const double n1 = f1 + now.s1, n3 = f3 + now.s3;
      if (!all && !bound_stale_[v]) {
        // Valid over the whole segment: the deviation is convex along the linear drift, so it
        // is largest at one of the two ends.
        const double a1 = n1 - s_.bound_s1[v], a3 = n3 - s_.bound_s3[v];
        const double b1 = f1 + end.s1 - s_.bound_s1[v], b3 = f3 + end.s3 - s_.bound_s3[v];
        const double m2 = s_.bound_margin[v] * s_.bound_margin[v];
        if (a1 * a1 + a3 * a3 <= m2 && b1 * b1 + b3 * b3 <= m2) continue;
      }
      refresh_bound(v, time, n1, n3, drift);
      changed = true;
      ++refreshed;
    }
    if (changed || all) {
      double sum = 0.0;
      for (std::size_t v = v0; v < v1; ++v) sum += s_.bound_rate[v];
      bound_block_[b] = sum;
    }
  }
  BoundSummary r;
  r.refreshed = refreshed;
  for (double b : bound_block_) r.bound_sum += b;
  bound_total_ = r.bound_sum;
  // The watch list: voxels whose bound allows a barrier below zero, checked exactly now, and
  // the first time the drift could bring one of their barriers to zero.
  const int modes = pc_.modes;
  const double ds1 = end.s1 - now.s1, ds3 = end.s3 - now.s3;
  std::vector<double> q(modes), rate(modes);
  for (std::size_t v = 0; v < v_count; ++v) {
    if (!(s_.bound_low[v] < 0.0)) continue;
    const std::size_t base = v * modes;
    const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
    const double s1 = s_.s11[v] - s_.s22[v] + now.s1, s3 = 2.0 * s_.s12[v] + now.s3;
    voxel_rates(modes, s_.barrier.data() + base, s_.sfts_e1.data() + base, s_.sfts_e3.data() + base,
                pc_.direction_factor, s_.d1[v], s_.d3[v], eta, s1, s3, pc_.half_volume_ev, bound_shift(pc_.kT),
                pc_.inv_kT, q.data(), rate.data());
    for (int m = 0; m < modes; ++m) {
      if (q[m] < 0.0) r.any_unstable = true;
      // Q falls linearly with the drift at most by (V/2) (e . ds) over the segment.
      const double fall = pc_.half_volume_ev * resolved_work(ds1, ds3, s_.sfts_e1[base + m], s_.sfts_e3[base + m]);
      if (fall > 0.0 && q[m] >= 0.0) r.unstable_fraction = std::min(r.unstable_fraction, q[m] / fall);
    }
  }
  return r;
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
  const std::size_t v = voxel, base = v * modes;
  const Resolved now = resolved(mean_now), end = resolved(mean_end);
  const double s1 = s_.s11[v] - s_.s22[v] + now.s1, s3 = 2.0 * s_.s12[v] + now.s3;
  const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
  std::vector<double> q(modes), rate(modes);
  const double total = voxel_rates(modes, s_.barrier.data() + base, s_.sfts_e1.data() + base, s_.sfts_e3.data() + base,
                                   pc_.direction_factor, s_.d1[v], s_.d3[v], eta, s1, s3, pc_.half_volume_ev,
                                   bound_shift(pc_.kT), pc_.inv_kT, q.data(), rate.data());
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
  // rest of the segment), and the sum of its block.
  refresh_bound(v, time, s1, s3, std::hypot(end.s1 - now.s1, end.s3 - now.s3));
  const std::size_t b = v / block_voxels;
  double sum = 0.0;
  for (std::size_t w = b * block_voxels; w < std::min(s_.voxels(), (b + 1) * block_voxels); ++w)
    sum += s_.bound_rate[w];
  bound_block_[b] = sum;
  double all = 0.0;
  for (double s : bound_block_) all += s;
  bound_total_ = all;
  c.bound_sum = all;
  return c;
}

double CpuBackend::bound_sum() { return bound_total_; }

void CpuBackend::check_bounds(double time, const Sym2& mean_now) {
  const Resolved now = resolved(mean_now);
  const int modes = pc_.modes;
  std::vector<double> q(modes), rate(modes);
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    const std::size_t base = v * modes;
    const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
    const double total = voxel_rates(modes, s_.barrier.data() + base, s_.sfts_e1.data() + base,
                                     s_.sfts_e3.data() + base, pc_.direction_factor, s_.d1[v], s_.d3[v], eta,
                                     s_.s11[v] - s_.s22[v] + now.s1, 2.0 * s_.s12[v] + now.s3, pc_.half_volume_ev,
                                     bound_shift(pc_.kT), pc_.inv_kT, q.data(), rate.data());
    if (total > s_.bound_rate[v] * (1.0 + 1e-12))
      throw std::logic_error("rule bounded: voxel " + std::to_string(v) + " at time " + std::to_string(time) +
                             " has rate " + std::to_string(total) + " above its bound " +
                             std::to_string(s_.bound_rate[v]));
  }
}

}  // namespace stz
