#include "backends/reference/reference_backend.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "stz/grid.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/medium.hpp"
#include "stz/rng.hpp"

namespace stz {

ReferenceBackend::ReferenceBackend(const Params& params, const BackendOptions&)
    : params_(params), pc_(derive_constants(params)), solver_(params.grid.n, make_medium(params.elastic)) {
  validate(params_);
  kernels_ = solver_.unit_kernels();
}

void ReferenceBackend::initialize() {
  s_.resize(pc_.n, pc_.modes);
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
  rates_valid_ = false;
}

}  // namespace stz
