#include "backends/cpu/cpu_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "backends/cpu/multiversion.hpp"
#include "backends/cpu/tiled_layout.hpp"
#include "stz/grid.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/medium.hpp"
#include "stz/rng.hpp"

namespace stz {

namespace {

// ---- The hot loops, compiled once per instruction set (multiversion.hpp, hot_loops.inc) --------
#define STZ_HOT_LOOP STZ_CPU_MULTIVERSION
#include "backends/cpu/hot_loops.inc"
#undef STZ_HOT_LOOP

/// Sum of a read-only buffer (the read-bandwidth probe of floor_ns_per_voxel_mode).
STZ_CPU_MULTIVERSION
double read_sum(const double* a, std::size_t n, int threads) {
  double sum = 0.0;
  // simd: partial sums in vector lanes, so the loop runs at the read bandwidth, not at the
  // latency of one chain of additions.
#pragma omp parallel for simd schedule(static) num_threads(threads) reduction(+ : sum)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) sum += a[i];
  return sum;
}

/// exp_nonpositive over a buffer, as the rate pass evaluates it (the exp-throughput probe).
STZ_CPU_MULTIVERSION
void exp_buffer(const double* x, double* y, std::size_t n, int threads) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) y[i] = exp_nonpositive(x[i]);
}

/// exp_nonpositive_f over a buffer (the exp probe of the mixed-precision pass).
STZ_CPU_MULTIVERSION
void exp_buffer_f(const float* x, float* y, std::size_t n, int threads) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) y[i] = exp_nonpositive_f(x[i]);
}

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
static_assert(CpuBackend::block_voxels % tile_voxels == 0, "a reduction block is a whole number of tiles");
}  // namespace

CpuBackend::CpuBackend(const Params& params, const BackendOptions& options)
    : params_(params),
      pc_(derive_constants(params)),
      threads_(options.threads),
      mixed_(params.solver.precision == Precision::mixed),
      solver_(params.grid.n, make_medium(params.elastic)) {
  validate(params_);
#ifdef _OPENMP
  if (threads_ <= 0) threads_ = omp_get_max_threads();
#else
  threads_ = 1;
#endif
  kernels_ = solver_.unit_kernels();
  const std::size_t v = static_cast<std::size_t>(pc_.n) * pc_.n;
  // Tiled caches (tiled_layout.hpp): the padding of the last tile is A = +inf, e = 0.
  const std::size_t tiled = tile_count(v) * tile_voxels * pc_.modes;
  if (mixed_)
    softened_f_.assign(tiled, std::numeric_limits<float>::infinity());
  else
    softened_.assign(tiled, std::numeric_limits<double>::infinity());
  tiled_e1_.assign(tiled, 0.0f);
  tiled_e3_.assign(tiled, 0.0f);
  cached_eta_.assign(v, nan_value);
  is_active_.assign(v, 0);
  voxel_min_.assign(v, 0.0);
  voxel_rate_.assign(v, 0.0);
  block_rate_.assign((v + block_voxels - 1) / block_voxels, 0.0);
  bound_block_.assign(block_rate_.size(), 0.0);
  bound_watch_.assign(block_rate_.size(), 0);
  bound_stale_.assign(v, 1);
}

std::size_t CpuBackend::host_memory_bytes(const Params& params) {
  const auto n = static_cast<std::size_t>(params.grid.n);
  const std::size_t v = n * n, vm = v * static_cast<std::size_t>(params.grid.modes);
  // The state (field registry), then the caches: softened_ (a double, a float in mixed
  // precision) and the tiled catalog (two float) per voxel-mode;
  // cached_eta_, voxel_min_, voxel_rate_ (3 double), is_active_, active_, the six unit kernels
  // (6 double) and the FFT buffers (one real and three complex arrays of about N^2/2
  // coefficients: 4 double) per voxel.
  const std::size_t per_voxel_mode =
      (params.solver.precision == Precision::mixed ? sizeof(float) : sizeof(double)) + 2 * sizeof(float);
  const std::size_t per_voxel =
      3 * sizeof(double) + sizeof(std::uint8_t) + sizeof(std::uint32_t) + 6 * sizeof(double) + 4 * sizeof(double);
  // The bounded rule adds its block sums (one double per block) to its state fields.
  const bool bounded = params.kinetics.rule == ThermalRule::bounded;
  return state_bytes(v, params.grid.modes, bounded) + (bounded ? (v / block_voxels + 1) * sizeof(double) : 0) +
         vm * per_voxel_mode + v * per_voxel;
}

std::string CpuBackend::device_description() const {
  std::ostringstream os;
  os << "CPU " << cpu_model_name() << ", " << threads_ << " OpenMP thread" << (threads_ == 1 ? "" : "s") << " of "
     << std::thread::hardware_concurrency() << " hardware threads, " << cpu_code_path()
     << (mixed_ ? ", mixed-precision pass (float barriers and rates)" : "");
  return os.str();
}

void CpuBackend::initialize() {
  s_.resize(pc_.n, pc_.modes, params_.kinetics.rule == ThermalRule::bounded);
  const std::size_t v = s_.voxels();
  const int modes = pc_.modes;
  const std::uint64_t seed = params_.seed;
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(v); ++i) {
    for (int m = 0; m < modes; ++m) {
      const std::size_t k = voxel_mode_index(i, m, modes);
      s_.barrier[k] = rng::initial_barrier(seed, static_cast<std::uint32_t>(i), m, pc_.barrier_mean, pc_.barrier_std);
      const rng::SftsDraw e = rng::sfts(seed, static_cast<std::uint32_t>(i), 0u, m, pc_.gamma_star);
      s_.sfts_e1[k] = e.e1;
      s_.sfts_e3[k] = e.e3;
    }
    // Never transformed: t_last far in the past so temporary softening is fully decayed.
    s_.t_last[i] = -100.0 * pc_.tau;
  }
  tile_all_catalogs();
  invalidate_caches();
}

void CpuBackend::tile_catalog(std::size_t v) {
  const int modes = pc_.modes;
  for (int m = 0; m < modes; ++m) {
    tiled_e1_[tiled_index(v, m, modes)] = s_.sfts_e1[voxel_mode_index(v, m, modes)];
    tiled_e3_[tiled_index(v, m, modes)] = s_.sfts_e3[voxel_mode_index(v, m, modes)];
  }
}

void CpuBackend::tile_all_catalogs() {
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (std::int64_t v = 0; v < static_cast<std::int64_t>(s_.voxels()); ++v) tile_catalog(static_cast<std::size_t>(v));
}

template <typename Real>
Real CpuBackend::pass_barrier_in(std::size_t v, int m, const Real* softened) const {
  // The expressions of exhaustive_pass (hot_loops.inc), term by term: the same bits.
  const Real s1 = static_cast<Real>(resolved_s1(s_.s11[v], s_.s22[v], pass_mean_s1_));
  const Real s3 = static_cast<Real>(resolved_s3(s_.s12[v], pass_mean_s3_));
  const std::size_t k = tiled_index(v, m, pc_.modes);
  return tile_barrier(softened[k], s1, s3, tiled_e1_[k], tiled_e3_[k], static_cast<Real>(pc_.half_volume_ev));
}

double CpuBackend::pass_barrier(std::size_t v, int m) const {
  return mixed_ ? pass_barrier_in(v, m, softened_f_.data()) : pass_barrier_in(v, m, softened_.data());
}

void CpuBackend::set_temperature(double kelvin) {
  params_.kinetics.temperature = kelvin;
  pc_ = derive_constants(params_);
  // The softened barriers do not depend on T, but which voxels are still softening does (tau).
  invalidate_caches();
}

void CpuBackend::invalidate_caches() {
  std::fill(cached_eta_.begin(), cached_eta_.end(), nan_value);
  refresh_all_ = true;
  rates_valid_ = false;
}

void CpuBackend::refresh_softened_barriers(std::size_t v, double eta) {
  const int modes = pc_.modes;
  const std::size_t base = v * modes;
  const double d1 = s_.d1[v], d3 = s_.d3[v];
  for (int m = 0; m < modes; ++m) {
    const double a = softened_barrier(
        s_.barrier[base + m],
        direction_factor(pc_.direction_factor, d1, d3, s_.sfts_e1[base + m], s_.sfts_e3[base + m]), eta);
    if (mixed_)
      softened_f_[tiled_index(v, m, modes)] = static_cast<float>(a);
    else
      softened_[tiled_index(v, m, modes)] = a;
  }
  cached_eta_[v] = eta;
}

void CpuBackend::update_softening(double time) {
  const std::size_t v_count = s_.voxels();
  const bool use_cache = params_.solver.cache_softened_barriers;
  if (!use_cache || refresh_all_ || time < last_time_) {
    // Uncached reference path (and first pass): every voxel from scratch.
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t iv = 0; iv < static_cast<std::int64_t>(v_count); ++iv) {
      const std::size_t v = static_cast<std::size_t>(iv);
      refresh_softened_barriers(v, softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau));
    }
    refresh_all_ = false;
    // Every voxel whose temporary softening has not underflowed yet stays active.
    active_.clear();
    std::fill(is_active_.begin(), is_active_.end(), 0);
    for (std::size_t v = 0; v < v_count; ++v)
      if (temporary_softening_decay(time - s_.t_last[v], pc_.tau) != 0.0) mark_active(v);
  } else {
    // Only voxels transformed recently can have eta != eta_p. Once exp(-(t - t_last)/tau)
    // underflows to exactly 0 it stays 0 (time never decreases), so eta == eta_p bitwise and
    // the cached A equals what the uncached path computes: the voxel leaves the list.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < active_.size(); ++i) {
      const std::size_t v = active_[i];
      const double eta = softening(s_.eta_p[v], s_.eta_t[v], s_.t_last[v], time, pc_.tau);
      if (!(eta == cached_eta_[v])) refresh_softened_barriers(v, eta);
      if (temporary_softening_decay(time - s_.t_last[v], pc_.tau) != 0.0)
        active_[kept++] = active_[i];
      else
        is_active_[v] = 0;
    }
    active_.resize(kept);
  }
  last_time_ = time;
}

template <typename Real>
TiledPassInput<Real> CpuBackend::pass_input(const Real* softened, const Sym2& mean_stress) {
  TiledPassInput<Real> in;
  in.softened = softened;
  in.e1 = tiled_e1_.data();
  in.e3 = tiled_e3_.data();
  in.s11 = s_.s11.data();
  in.s22 = s_.s22.data();
  in.s12 = s_.s12.data();
  in.voxels = s_.voxels();
  in.modes = pc_.modes;
  in.mean_s1 = pass_mean_s1_ = mean_stress.xx - mean_stress.yy;
  in.mean_s3 = pass_mean_s3_ = 2.0 * mean_stress.xy;
  in.half_volume_ev = pc_.half_volume_ev;
  in.inv_kT = pc_.inv_kT;
  return in;
}

RateSummary CpuBackend::compute_barriers_and_rates(double time, const Sym2& mean_stress) {
  update_softening(time);
  double global_min = 0.0;
  if (mixed_)
    global_min = exhaustive_pass_mixed(pass_input(softened_f_.data(), mean_stress), block_voxels, voxel_min_.data(),
                                       voxel_rate_.data(), block_rate_.data(), threads_);
  else
    global_min = exhaustive_pass(pass_input(softened_.data(), mean_stress), block_voxels, voxel_min_.data(),
                                 voxel_rate_.data(), block_rate_.data(), threads_);
  RateSummary r;
  r.min_barrier = global_min;
  r.any_unstable = global_min < 0.0;
  if (!r.any_unstable) {
    double total = 0.0;
    for (double b : block_rate_) total += b;
    r.shifted_rate_sum = total;
  }
  last_ = r;
  rates_valid_ = true;
  return r;
}

std::uint32_t CpuBackend::voxel_argmin(std::size_t v) const {
  std::uint32_t am = 0;
  double q_min = pass_barrier(v, 0);
  for (int m = 1; m < pc_.modes; ++m) {
    const double q = pass_barrier(v, m);
    if (q < q_min) am = static_cast<std::uint32_t>(m), q_min = q;  // first index on ties
  }
  return am;
}

Event CpuBackend::select_thermal_event(double u) {
  if (!rates_valid_ || last_.any_unstable)
    throw std::logic_error("select_thermal_event needs a stable barrier pass first");
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("select_thermal_event: u must lie in [0, 1)");
  const double target = u * last_.shifted_rate_sum;
  const int modes = pc_.modes;
  const std::size_t v_count = s_.voxels();
  // Walk blocks, then voxels, then modes: the first index whose cumulative sum exceeds target.
  double cum = 0.0;
  std::size_t b = 0;
  const std::size_t blocks = block_rate_.size();
  while (b + 1 < blocks && cum + block_rate_[b] <= target) cum += block_rate_[b++];
  std::size_t v = b * block_voxels;
  const std::size_t v_end = std::min(v_count, v + block_voxels);
  while (v + 1 < v_end && cum + voxel_rate_[v] <= target) cum += voxel_rate_[v++];
  // Then the modes, in the pass's arithmetic, so that the walk reaches the voxel's sum exactly at
  // its last mode; the round-off fallback is the last mode with a nonzero rate.
  int chosen = -1;
  double q_chosen = 0.0;
  if (mixed_) {
    // exhaustive_pass_mixed: a float sum in mode order of rates relative to the voxel's minimum,
    // times the voxel's scale.
    const double scale = voxel_scale(voxel_min_[v], last_.min_barrier, pc_.inv_kT);
    const auto q_min = static_cast<float>(voxel_min_[v]);  // exact: the minimum came from float
    const auto inv_kT = static_cast<float>(pc_.inv_kT);
    float partial = 0.0f;
    for (int m = 0; m < modes; ++m) {
      const double q = pass_barrier(v, m);  // the pass's Q, recomputed (it is not stored)
      const float relative = tile_exp(tile_exponent(static_cast<float>(q), q_min, inv_kT));
      partial += relative;
      if (relative > 0.0f) chosen = m, q_chosen = q;
      if (cum + static_cast<double>(partial) * scale > target && relative > 0.0f) break;
    }
  } else {
    for (int m = 0; m < modes; ++m) {
      const double q = pass_barrier(v, m);
      const double k = tile_exp(tile_exponent(q, last_.min_barrier, pc_.inv_kT));
      if (k > 0.0) chosen = m, q_chosen = q;
      cum += k;
      if (cum > target && k > 0.0) break;
    }
  }
  if (chosen < 0) throw std::logic_error("select_thermal_event: selected a voxel without rate");
  return {static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(chosen), q_chosen};
}

void CpuBackend::apply_transformation(std::size_t v, int mode, double time) {
  const int modes = pc_.modes;
  const std::size_t k = voxel_mode_index(v, mode, modes);
  const std::uint32_t g =
      transform_voxel_state(s_.sfts_e1[k], s_.sfts_e3[k], time, pc_.kappa_p, pc_.kappa_t, pc_.eta_max, s_.p1[v],
                            s_.p3[v], s_.d1[v], s_.d3[v], s_.t_last[v], s_.eta_p[v], s_.eta_t[v], s_.generation[v]);
  rng::draw_sfts_catalog(params_.seed, static_cast<std::uint32_t>(v), g, modes, pc_.gamma_star,
                         &s_.sfts_e1[voxel_mode_index(v, 0, modes)], &s_.sfts_e3[voxel_mode_index(v, 0, modes)]);
  tile_catalog(v);
  cached_eta_[v] = nan_value;
  bound_stale_[v] = 1;
}

void CpuBackend::mark_active(std::size_t v) {
  if (!is_active_[v]) {
    is_active_[v] = 1;
    active_.push_back(static_cast<std::uint32_t>(v));
  }
}

void CpuBackend::add_kernel_response(std::size_t voxel, double a, double b) {
  const int n = pc_.n;
  const int jx = static_cast<int>(voxel % n), jy = static_cast<int>(voxel / n);
  const double* k1[3] = {kernels_.k1_11.data(), kernels_.k1_22.data(), kernels_.k1_12.data()};
  const double* k3[3] = {kernels_.k3_11.data(), kernels_.k3_22.data(), kernels_.k3_12.data()};
  double* out[3] = {s_.s11.data(), s_.s22.data(), s_.s12.data()};
  add_kernel_response_rows(n, jx, jy, a, b, k1, k3, out, threads_);
}

PlasticIncrement CpuBackend::transform(const Event& event, double time) {
  const std::size_t v = event.voxel;
  const std::size_t k = voxel_mode_index(v, static_cast<int>(event.mode), pc_.modes);
  const double a = s_.sfts_e1[k], b = s_.sfts_e3[k];
  apply_transformation(v, static_cast<int>(event.mode), time);
  mark_active(v);
  add_kernel_response(v, a, b);
  rates_valid_ = false;
  return {a, b, 1};
}

PlasticIncrement CpuBackend::athermal_pass(double time, std::vector<Event>* flipped) {
  if (!rates_valid_) throw std::logic_error("athermal_pass needs a barrier pass first");
  std::vector<std::uint32_t> voxels;
  const std::size_t v_count = s_.voxels();
  if (params_.athermal.variant == AthermalVariant::simultaneous) {
    const double threshold = params_.athermal.threshold;
    for (std::size_t v = 0; v < v_count; ++v)
      if (voxel_min_[v] < threshold) voxels.push_back(static_cast<std::uint32_t>(v));
  } else {
    std::size_t best = 0;
    for (std::size_t v = 1; v < v_count; ++v)
      if (voxel_min_[v] < voxel_min_[best]) best = v;
    if (voxel_min_[best] < 0.0) voxels.push_back(static_cast<std::uint32_t>(best));
  }
  const int modes = pc_.modes;
  std::vector<double> da(voxels.size()), db(voxels.size());
  const std::int64_t count = static_cast<std::int64_t>(voxels.size());
  std::vector<std::uint32_t> mode(voxels.size());
  for (std::size_t i = 0; i < voxels.size(); ++i) mode[i] = voxel_argmin(voxels[i]);
  if (flipped)
    for (std::size_t i = 0; i < voxels.size(); ++i) flipped->push_back({voxels[i], mode[i], voxel_min_[voxels[i]]});
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (std::int64_t i = 0; i < count; ++i) {
    const std::size_t v = voxels[i];
    const int m = static_cast<int>(mode[i]);
    da[i] = s_.sfts_e1[voxel_mode_index(v, m, modes)];
    db[i] = s_.sfts_e3[voxel_mode_index(v, m, modes)];
    apply_transformation(v, m, time);
  }
  PlasticIncrement inc;
  for (std::uint32_t v : voxels) mark_active(v);
  for (std::int64_t i = 0; i < count; ++i) {
    inc.dp1_sum += da[i];
    inc.dp3_sum += db[i];
  }
  inc.flips = voxels.size();
  rates_valid_ = false;
  return inc;
}

void CpuBackend::full_solve() {
  solver_.solve(s_.p1.data(), s_.p3.data(), s_.s11.data(), s_.s22.data(), s_.s12.data());
  rates_valid_ = false;
}

void CpuBackend::download(State& state, bool with_catalog) { copy_state(s_, state, with_catalog); }

void CpuBackend::upload(const State& state) {
  check_uploadable(state, pc_.n, pc_.modes);
  s_ = state;
  fit_bounded_rule_fields(s_, params_.kinetics.rule == ThermalRule::bounded);
  tile_all_catalogs();
  invalidate_caches();
  // The bounds of the "bounded" rule come with the state (checkpointed): valid as they are.
  std::fill(bound_stale_.begin(), bound_stale_.end(), 0);
  sum_bound_blocks();
}

double CpuBackend::bytes_per_pass() const {
  // Double: each of the two sweeps reads A (8), e1 and e3 (4 + 4) per voxel-mode and the three
  // stress components per voxel (24) and writes one value per voxel (the minimum, the rate sum:
  // 8). Mixed: one sweep over A (4), e1, e3 and the stresses, writing minimum and sum (16), then
  // the scaling loop reads both and rewrites the sum (24).
  const double vm = static_cast<double>(s_.voxels()) * pc_.modes;
  const double v = static_cast<double>(s_.voxels());
  if (mixed_) return vm * (4 + 4 + 4) + v * (24 + 16 + 24);
  return 2.0 * (vm * (8 + 4 + 4) + v * (24 + 8));
}

double CpuBackend::floor_ns_per_voxel_mode() {
  // Read bandwidth over a buffer the size of this grid's catalog (A, e1, e3: 16 B per
  // voxel-mode, 12 B with A in float), so it comes from the cache level the pass works in
  // (L2/L3 for small grids, memory for large ones).
  const std::size_t vm = s_.voxels() * static_cast<std::size_t>(pc_.modes);
  const std::size_t n = std::max<std::size_t>(mixed_ ? vm * 3 / 2 : vm * 2, 1 << 12);  // in doubles
  std::vector<double> a(n, 1.0);
  double best_read = 1e300;
  volatile double sink = 0.0;
  for (int rep = 0; rep < 6; ++rep) {  // the first warms the cache
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + read_sum(a.data(), n, threads_);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep > 0) best_read = std::min(best_read, s);
  }
  // Exponential throughput of the pass's own vector code (arguments spread over the range the
  // rate pass sees, -(Q - Q_min)/kT in [-60, 0]).
  // Single precision for the mixed pass.
  const std::size_t ne = std::size_t(1) << 20;
  std::vector<double> x(ne), y(ne);
  std::vector<float> xf(ne), yf(ne);
  for (std::size_t i = 0; i < ne; ++i) x[i] = -60.0 * static_cast<double>(i % 1000) / 1000.0;
  for (std::size_t i = 0; i < ne; ++i) xf[i] = static_cast<float>(x[i]);
  double best_exp = 1e300;
  for (int rep = 0; rep < 6; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    if (mixed_)
      exp_buffer_f(xf.data(), yf.data(), ne, threads_);
    else
      exp_buffer(x.data(), y.data(), ne, threads_);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep > 0) best_exp = std::min(best_exp, s);
  }
  const double read_ns = 1e9 * best_read / static_cast<double>(vm);
  const double exp_ns = 1e9 * best_exp / static_cast<double>(ne);
  return std::max(read_ns, exp_ns);
}

double CpuBackend::copy_bandwidth() {
  // Copy a buffer larger than the last-level cache with the same threads as the passes;
  // read + write bytes per second, best of a few repetitions.
  const std::size_t n = std::size_t(1) << 25;  // 256 MiB of doubles per buffer
  std::vector<double> a(n, 1.0), b(n, 0.0);
  double best = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) b[i] = a[i];
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * sizeof(double) * n / s);
  }
  return best;
}

}  // namespace stz
