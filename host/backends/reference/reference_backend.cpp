#include "backends/reference/reference_backend.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "stz/grid.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/bounds.hpp"
#include "stz/physics/medium.hpp"
#include "stz/rng.hpp"

namespace stz {

ReferenceBackend::ReferenceBackend(const Params& params, const BackendOptions&)
    : params_(params), pc_(derive_constants(params)), solver_(params.grid.n, make_medium(params.elastic)) {
  validate(params_);
  kernels_ = solver_.unit_kernels();
}

void ReferenceBackend::initialize() {
  s_.resize(pc_.n, pc_.modes, params_.kinetics.rule == ThermalRule::bounded);
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    for (int m = 0; m < pc_.modes; ++m) {
      const std::size_t k = voxel_mode_index(v, m, pc_.modes);
      const auto voxel = static_cast<std::uint32_t>(v);
      s_.barrier[k] = rng::initial_barrier(params_.seed, voxel, m, pc_.barrier_mean, pc_.barrier_std);
      const rng::SftsDraw e = rng::sfts(params_.seed, voxel, 0u, m, pc_.gamma_star);
      s_.sfts_e1[k] = e.e1;
      s_.sfts_e3[k] = e.e3;
    }
    s_.t_last[v] = -100.0 * pc_.tau;  // never transformed: temporary softening fully decayed
  }
  bound_stale_.assign(s_.voxels(), 1);
  rates_valid_ = false;
}

RateSummary ReferenceBackend::compute_barriers_and_rates(double time, const Sym2& mean_stress) {
  const int modes = pc_.modes;
  barrier_.assign(s_.voxels() * modes, 0.0);
  double q_min = std::numeric_limits<double>::infinity();
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
    // Resolved stress: fluctuation + mean, as s1 = sigma11 - sigma22, s3 = 2 sigma12.
    const double s1 = (s_.s11[v] - s_.s22[v]) + (mean_stress.xx - mean_stress.yy);
    const double s3 = 2.0 * s_.s12[v] + 2.0 * mean_stress.xy;
    for (int m = 0; m < modes; ++m) {
      const std::size_t k = voxel_mode_index(v, m, modes);
      const double d = direction_factor(pc_.direction_factor, s_.d1[v], s_.d3[v], s_.sfts_e1[k], s_.sfts_e3[k]);
      const double a = softened_barrier(s_.barrier[k], d, eta);
      barrier_[k] = activation_barrier(a, resolved_work(s1, s3, s_.sfts_e1[k], s_.sfts_e3[k]), pc_.half_volume_ev);
      q_min = std::min(q_min, barrier_[k]);
    }
  }
  RateSummary r;
  r.min_barrier = q_min;
  r.any_unstable = q_min < 0.0;
  if (!r.any_unstable) {
    double total = 0.0;
    for (std::size_t v = 0; v < s_.voxels(); ++v) {
      double voxel_sum = 0.0;
      for (int m = 0; m < modes; ++m)
        voxel_sum += shifted_rate(barrier_[voxel_mode_index(v, m, modes)], q_min, pc_.inv_kT);
      total += voxel_sum;
    }
    r.shifted_rate_sum = total;
  }
  last_ = r;
  rates_valid_ = true;
  return r;
}

Event ReferenceBackend::select_thermal_event(double u) {
  if (!rates_valid_ || last_.any_unstable)
    throw std::logic_error("select_thermal_event needs a stable barrier pass first");
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("select_thermal_event: u must lie in [0, 1)");
  // The first voxel-mode whose cumulative rate exceeds u S (docs/model.md §5.4).
  const double target = u * last_.shifted_rate_sum;
  double cum = 0.0;
  std::size_t last_nonzero = barrier_.size();
  for (std::size_t k = 0; k < barrier_.size(); ++k) {
    const double rate = shifted_rate(barrier_[k], last_.min_barrier, pc_.inv_kT);
    if (rate > 0.0) last_nonzero = k;
    cum += rate;
    if (cum > target && rate > 0.0) break;
  }
  if (last_nonzero == barrier_.size()) throw std::logic_error("select_thermal_event: no voxel-mode has a rate");
  const auto modes = static_cast<std::size_t>(pc_.modes);
  return {static_cast<std::uint32_t>(last_nonzero / modes), static_cast<std::uint32_t>(last_nonzero % modes),
          barrier_[last_nonzero]};
}

void ReferenceBackend::apply_transformation(std::size_t v, int mode, double time) {
  const int modes = pc_.modes;
  const std::size_t k = voxel_mode_index(v, mode, modes);
  const std::uint32_t g =
      transform_voxel_state(s_.sfts_e1[k], s_.sfts_e3[k], time, pc_.kappa_p, pc_.kappa_t, pc_.eta_max, s_.p1[v],
                            s_.p3[v], s_.d1[v], s_.d3[v], s_.t_last[v], s_.eta_p[v], s_.eta_t[v], s_.generation[v]);
  rng::draw_sfts_catalog(params_.seed, static_cast<std::uint32_t>(v), g, modes, pc_.gamma_star,
                         &s_.sfts_e1[voxel_mode_index(v, 0, modes)], &s_.sfts_e3[voxel_mode_index(v, 0, modes)]);
  bound_stale_[v] = 1;
}

PlasticIncrement ReferenceBackend::transform(const Event& event, double time) {
  const std::size_t k = voxel_mode_index(event.voxel, static_cast<int>(event.mode), pc_.modes);
  const double a = s_.sfts_e1[k], b = s_.sfts_e3[k];
  apply_transformation(event.voxel, static_cast<int>(event.mode), time);
  ElasticSolver::add_point_source(kernels_, pc_.n, event.voxel, a, b, s_.s11.data(), s_.s22.data(), s_.s12.data());
  rates_valid_ = false;
  return {a, b, 1};
}

PlasticIncrement ReferenceBackend::athermal_pass(double time, std::vector<Event>* flipped) {
  if (!rates_valid_) throw std::logic_error("athermal_pass needs a barrier pass first");
  const int modes = pc_.modes;
  // Every voxel's smallest barrier and its mode (the first on ties), from the last pass.
  std::vector<Event> flips;
  Event most_negative{0, 0, std::numeric_limits<double>::infinity()};
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    Event e{static_cast<std::uint32_t>(v), 0, barrier_[voxel_mode_index(v, 0, modes)]};
    for (int m = 1; m < modes; ++m)
      if (barrier_[voxel_mode_index(v, m, modes)] < e.barrier)
        e = {static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(m), barrier_[voxel_mode_index(v, m, modes)]};
    if (params_.athermal.variant == AthermalVariant::simultaneous && e.barrier < params_.athermal.threshold)
      flips.push_back(e);
    if (e.barrier < most_negative.barrier) most_negative = e;
  }
  if (params_.athermal.variant == AthermalVariant::single && most_negative.barrier < 0.0) flips = {most_negative};
  // All flips use the barriers of the same pass; the stress is re-solved by the driver.
  PlasticIncrement inc;
  for (const Event& e : flips) {
    const std::size_t k = voxel_mode_index(e.voxel, static_cast<int>(e.mode), modes);
    inc.dp1_sum += s_.sfts_e1[k];
    inc.dp3_sum += s_.sfts_e3[k];
    apply_transformation(e.voxel, static_cast<int>(e.mode), time);
    if (flipped) flipped->push_back(e);
  }
  inc.flips = flips.size();
  rates_valid_ = false;
  return inc;
}

void ReferenceBackend::full_solve() {
  solver_.solve(s_.p1.data(), s_.p3.data(), s_.s11.data(), s_.s22.data(), s_.s12.data());
  rates_valid_ = false;
}

void ReferenceBackend::download(State& state, bool with_catalog) { copy_state(s_, state, with_catalog); }

void ReferenceBackend::upload(const State& state) {
  check_uploadable(state, pc_.n, pc_.modes);
  s_ = state;
  fit_bounded_rule_fields(s_, params_.kinetics.rule == ThermalRule::bounded);
  bound_stale_.assign(s_.voxels(), 0);
  rates_valid_ = false;
}

// ---- The "bounded" rule (docs/model.md §5.6) -------------------------------------------------

double ReferenceBackend::voxel_rates_now(std::size_t v, double time, const Sym2& mean, std::vector<double>& q,
                                         std::vector<double>& rate) const {
  const int modes = pc_.modes;
  const std::size_t base = v * modes;
  q.resize(modes);
  rate.resize(modes);
  const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
  const double s1 = (s_.s11[v] - s_.s22[v]) + (mean.xx - mean.yy), s3 = 2.0 * s_.s12[v] + 2.0 * mean.xy;
  return voxel_rates(modes, s_.barrier.data() + base, s_.sfts_e1.data() + base, s_.sfts_e3.data() + base,
                     pc_.direction_factor, s_.d1[v], s_.d3[v], eta, s1, s3, pc_.half_volume_ev, bound_shift(pc_.kT),
                     pc_.inv_kT, q.data(), rate.data());
}

void ReferenceBackend::refresh_bound(std::size_t v, double time, double s1, double s3, double drift) {
  const int modes = pc_.modes;
  const std::size_t base = v * modes;
  const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
  std::vector<double> terms(modes);
  const VoxelBound b =
      voxel_bound(modes, s_.barrier.data() + base, s_.sfts_e1.data() + base, s_.sfts_e3.data() + base,
                  pc_.direction_factor, s_.d1[v], s_.d3[v], eta, s1, s3, params_.kinetics.bound_slack * pc_.kT, drift,
                  pc_.half_volume_ev, bound_shift(pc_.kT), pc_.inv_kT, terms.data());
  s_.bound_s1[v] = s1;
  s_.bound_s3[v] = s3;
  s_.bound_margin[v] = b.margin;
  s_.bound_rate[v] = b.rate;
  s_.bound_low[v] = b.low;
  bound_stale_[v] = 0;
}

BoundSummary ReferenceBackend::update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) {
  const double m1 = mean_now.xx - mean_now.yy, m3 = 2.0 * mean_now.xy;
  const double e1 = mean_end.xx - mean_end.yy, e3 = 2.0 * mean_end.xy;
  const double drift = std::hypot(e1 - m1, e3 - m3);
  BoundSummary r;
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    const double f1 = s_.s11[v] - s_.s22[v], f3 = 2.0 * s_.s12[v];
    // Valid on the whole segment if valid at both ends (the deviation is convex along it).
    const double a1 = f1 + m1 - s_.bound_s1[v], a3 = f3 + m3 - s_.bound_s3[v];
    const double b1 = f1 + e1 - s_.bound_s1[v], b3 = f3 + e3 - s_.bound_s3[v];
    const double m2 = s_.bound_margin[v] * s_.bound_margin[v];
    if (all || bound_stale_[v] || !(a1 * a1 + a3 * a3 <= m2 && b1 * b1 + b3 * b3 <= m2)) {
      refresh_bound(v, time, f1 + m1, f3 + m3, drift);
      ++r.refreshed;
    }
  }
  r.bound_sum = bound_sum();
  std::vector<double> q, rate;
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    if (!(s_.bound_low[v] < 0.0)) continue;
    voxel_rates_now(v, time, mean_now, q, rate);
    for (int mode = 0; mode < pc_.modes; ++mode) {
      if (q[mode] < 0.0) r.any_unstable = true;
      const std::size_t k = voxel_mode_index(v, mode, pc_.modes);
      const double fall = pc_.half_volume_ev * resolved_work(e1 - m1, e3 - m3, s_.sfts_e1[k], s_.sfts_e3[k]);
      if (fall > 0.0 && q[mode] >= 0.0) r.unstable_fraction = std::min(r.unstable_fraction, q[mode] / fall);
    }
  }
  return r;
}

PlasticIncrement ReferenceBackend::bounded_athermal_pass(double time, const Sym2& mean_now,
                                                         std::vector<Event>* flipped) {
  // Without the bounds: every voxel's exact barriers, then the same choice as athermal_pass().
  const int modes = pc_.modes;
  std::vector<double> q, rate;
  std::vector<Event> flips;
  Event most_negative{0, 0, std::numeric_limits<double>::infinity()};
  for (std::size_t v = 0; v < s_.voxels(); ++v) {
    voxel_rates_now(v, time, mean_now, q, rate);
    Event e{static_cast<std::uint32_t>(v), 0, q[0]};
    for (int m = 1; m < modes; ++m)
      if (q[m] < e.barrier) e = {static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(m), q[m]};
    if (params_.athermal.variant == AthermalVariant::simultaneous && e.barrier < params_.athermal.threshold)
      flips.push_back(e);
    if (e.barrier < most_negative.barrier) most_negative = e;
  }
  if (params_.athermal.variant == AthermalVariant::single && most_negative.barrier < 0.0) flips = {most_negative};
  PlasticIncrement inc;
  inc.flips = flips.size();
  inc.full_solve = inc.flips > bounded_kernel_flips;
  for (const Event& e : flips) {
    const std::size_t k = voxel_mode_index(e.voxel, static_cast<int>(e.mode), modes);
    const double a = s_.sfts_e1[k], b = s_.sfts_e3[k];
    inc.dp1_sum += a;
    inc.dp3_sum += b;
    apply_transformation(e.voxel, static_cast<int>(e.mode), time);
    if (!inc.full_solve)
      ElasticSolver::add_point_source(kernels_, pc_.n, e.voxel, a, b, s_.s11.data(), s_.s22.data(), s_.s12.data());
    if (flipped) flipped->push_back(e);
  }
  if (inc.full_solve) full_solve();
  rates_valid_ = false;
  return inc;
}

double ReferenceBackend::bound_sum() {
  double total = 0.0;
  for (double b : s_.bound_rate) total += b;
  return total;
}

std::uint32_t ReferenceBackend::select_bounded_voxel(double u) {
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("select_bounded_voxel: u must lie in [0, 1)");
  const double target = u * bound_sum();
  double cum = 0.0;
  std::size_t v = 0;
  while (v + 1 < s_.voxels() && (cum + s_.bound_rate[v] <= target || s_.bound_rate[v] == 0.0))
    cum += s_.bound_rate[v++];
  return static_cast<std::uint32_t>(v);
}

BoundedCandidate ReferenceBackend::bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                                     const Sym2& mean_now, const Sym2& mean_end) {
  std::vector<double> q, rate;
  const double total = voxel_rates_now(voxel, time, mean_now, q, rate);
  const double bound = s_.bound_rate[voxel];
  if (total > bound * (1.0 + 1e-12))
    throw std::logic_error("rule bounded: voxel " + std::to_string(voxel) + " has rate " + std::to_string(total) +
                           " above its bound " + std::to_string(bound));
  BoundedCandidate c;
  c.accepted = u_accept * bound < total;
  if (c.accepted) {
    // The mode: the first whose cumulative rate exceeds u_mode * total.
    const double target = u_mode * total;
    double cum = 0.0;
    int chosen = -1;
    for (int m = 0; m < pc_.modes; ++m) {
      if (rate[m] > 0.0) chosen = m;
      cum += rate[m];
      if (cum > target && rate[m] > 0.0) break;
    }
    c.event = {voxel, static_cast<std::uint32_t>(chosen), q[chosen]};
  } else {
    const double m1 = mean_now.xx - mean_now.yy, m3 = 2.0 * mean_now.xy;
    const double drift = std::hypot(mean_end.xx - mean_end.yy - m1, 2.0 * mean_end.xy - m3);
    refresh_bound(voxel, time, s_.s11[voxel] - s_.s22[voxel] + m1, 2.0 * s_.s12[voxel] + m3, drift);
  }
  c.bound_sum = bound_sum();
  return c;
}

void ReferenceBackend::check_bounds(double time, const Sym2& mean_now) {
  std::vector<double> q, rate;
  for (std::size_t v = 0; v < s_.voxels(); ++v)
    if (voxel_rates_now(v, time, mean_now, q, rate) > s_.bound_rate[v] * (1.0 + 1e-12))
      throw std::logic_error("rule bounded: voxel " + std::to_string(v) + " exceeds its rate bound");
}

}  // namespace stz
