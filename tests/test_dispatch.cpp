// The portable build's dispatch paths compute the same bits (issue 15): the CPU backend's hot
// loops (host/backends/cpu/hot_loops.inc) compiled for x86-64 baseline, v3 (AVX2 + FMA) and v4
// (AVX-512) by tests/isa/, run on the same inputs wherever this CPU supports the level.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <utility>

#ifdef STZ_TEST_ISA_LEVELS
#include "isa/hot_loops_isa.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/fast_exp.hpp"

namespace stz::test::isa {
void run_baseline(const HotInput& in, HotOutput& out);
void run_v3(const HotInput& in, HotOutput& out);
void run_v4(const HotInput& in, HotOutput& out);
void run_bounded_baseline(const BoundedInput& in, BoundedOutput& out);
void run_bounded_v3(const BoundedInput& in, BoundedOutput& out);
void run_bounded_v4(const BoundedInput& in, BoundedOutput& out);

bool supported(Level level) {
  __builtin_cpu_init();
  switch (level) {
    case Level::baseline: return true;
    case Level::v3: return __builtin_cpu_supports("x86-64-v3");
    case Level::v4: return __builtin_cpu_supports("x86-64-v4");
  }
  return false;
}

void run(Level level, const HotInput& in, HotOutput& out) {
  switch (level) {
    case Level::baseline: run_baseline(in, out); return;
    case Level::v3: run_v3(in, out); return;
    case Level::v4: run_v4(in, out); return;
  }
}

void run(Level level, const BoundedInput& in, BoundedOutput& out) {
  switch (level) {
    case Level::baseline: run_bounded_baseline(in, out); return;
    case Level::v3: run_bounded_v3(in, out); return;
    case Level::v4: run_bounded_v4(in, out); return;
  }
}
}  // namespace stz::test::isa

using namespace stz::test::isa;

namespace {

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

/// The exhaustive pass as plain voxel-major loops (what the backend ran before its caches were
/// tiled): Q of every voxel-mode, per-voxel and global minima, then exp(-(Q - Q_min)/kT) summed
/// per voxel in mode order and per block of 1024 voxels in voxel order.
PassOutput plain_pass(const HotInput& in) {
  const std::size_t v = static_cast<std::size_t>(in.n) * in.n;
  const std::size_t blocks = (v + 1023) / 1024;
  PassOutput out;
  out.voxel_min.assign(v, 0.0);
  out.voxel_rate.assign(v, 0.0);
  out.block_rate.assign(blocks, 0.0);
  std::vector<double> q(v * in.modes);
  out.global_min = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < v; ++i) {
    const double s1 = (in.s11[i] - in.s22[i]) + in.mean_s1;
    const double s3 = 2.0 * in.s12[i] + in.mean_s3;
    double mn = std::numeric_limits<double>::infinity();
    for (int m = 0; m < in.modes; ++m) {
      const std::size_t k = i * in.modes + m;
      q[k] = stz::activation_barrier(in.softened[k], stz::resolved_work(s1, s3, in.e1[k], in.e3[k]), in.hv);
      mn = q[k] < mn ? q[k] : mn;
    }
    out.voxel_min[i] = mn;
    out.global_min = mn < out.global_min ? mn : out.global_min;
  }
  if (out.global_min < 0.0) return out;  // unstable: the pass computes no rates
  for (std::size_t b = 0; b < blocks; ++b) {
    double block = 0.0;
    for (std::size_t i = b * 1024; i < std::min(v, (b + 1) * 1024); ++i) {
      double sum = 0.0;
      for (int m = 0; m < in.modes; ++m) sum += stz::shifted_rate(q[i * in.modes + m], out.global_min, in.inv_kT);
      out.voxel_rate[i] = sum;
      block += sum;
    }
    out.block_rate[b] = block;
  }
  return out;
}

HotInput random_hot_input(int n, int modes, double mean_s1) {
  HotInput in;
  in.n = n;
  in.modes = modes;
  const std::size_t v = static_cast<std::size_t>(in.n) * in.n, vm = v * in.modes;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0.0, 1.0);
  in.softened.resize(vm);
  in.e1.resize(vm);
  in.e3.resize(vm);
  for (std::size_t k = 0; k < vm; ++k) {
    in.softened[k] = 1.6 + 0.2 * g(rng);
    in.e1[k] = static_cast<float>(0.07 * g(rng));
    in.e3[k] = static_cast<float>(0.07 * g(rng));
  }
  for (auto* f : {&in.s11, &in.s22, &in.s12}) {
    f->resize(v);
    for (double& x : *f) x = 0.5 * g(rng);
  }
  for (int c = 0; c < 3; ++c) {
    in.k1[c].resize(v);
    in.k3[c].resize(v);
    for (std::size_t i = 0; i < v; ++i) in.k1[c][i] = 0.3 * g(rng), in.k3[c][i] = 0.3 * g(rng);
  }
  in.mean_s1 = mean_s1;
  in.mean_s3 = -0.3;
  in.hv = 1.0;
  in.inv_kT = 1.0 / 0.025852;
  in.jx = 17 % n;
  in.jy = 31 % n;
  in.a = 0.061;
  in.b = -0.043;
  return in;
}

}  // namespace

TEST_CASE("Every dispatch path of the hot loops computes the same bits (baseline, AVX2, AVX-512)", "[unit]") {
  // 48^2 = 2304 voxels: whole tiles, three rate blocks, the last one partial; 45^2 = 2025: a
  // padded last tile, and 37 modes: two chunks of the rate sweep; mean stress 20 GPa: unstable.
  struct Case {
    int n, modes;
    double mean_s1;
    bool stable;
  };
  for (const Case c : {Case{48, 20, 1.7, true}, Case{45, 37, 1.7, true}, Case{40, 20, 20.0, false}}) {
    HotInput in = random_hot_input(c.n, c.modes, c.mean_s1);
    const PassOutput plain = plain_pass(in);
    INFO("global minimum barrier " << plain.global_min << " eV");
    REQUIRE((plain.global_min >= 0.0) == c.stable);
    if (c.stable) REQUIRE(plain.global_min < 1.0);
    for (const int threads : {1, 2}) {
      in.threads = threads;
      HotOutput reference;
      run(Level::baseline, in, reference);
      INFO(c.n << "^2 x " << c.modes << ", " << threads << " thread(s)");
      // The tiled pass in double reproduces the plain loops bit for bit...
      CHECK(reference.full.global_min == plain.global_min);
      CHECK(bitwise_equal(reference.full.voxel_min, plain.voxel_min));
      CHECK(bitwise_equal(reference.full.voxel_rate, plain.voxel_rate));
      CHECK(bitwise_equal(reference.full.block_rate, plain.block_rate));
      // ...and every vector path the baseline, in both precisions.
      int compared = 0;
      for (const Level level : {Level::v3, Level::v4}) {
        if (!supported(level)) continue;  // this CPU cannot run that path
        HotOutput out;
        run(level, in, out);
        INFO("level " << static_cast<int>(level));
        for (const auto& [o, r] : {std::pair{&out.full, &reference.full}, std::pair{&out.mixed, &reference.mixed}}) {
          CHECK(o->global_min == r->global_min);
          CHECK(bitwise_equal(o->voxel_min, r->voxel_min));
          CHECK(bitwise_equal(o->voxel_rate, r->voxel_rate));
          CHECK(bitwise_equal(o->block_rate, r->block_rate));
        }
        CHECK(bitwise_equal(out.s11, reference.s11));
        CHECK(bitwise_equal(out.s22, reference.s22));
        CHECK(bitwise_equal(out.s12, reference.s12));
        ++compared;
      }
      WARN(compared << " vector path(s) compared with the baseline on this CPU, " << threads << " thread(s)");
    }
  }
}

TEST_CASE("The mixed-precision pass stays within its error budget against the double one", "[unit]") {
  // docs/performance.md: float barriers err by about |A| 2^-24 plus the rounding of V W / 2,
  // about 1e-6 eV (4e-5 kT at 300 K); the rates by that over kT, the exponential's 8e-8 and
  // the float sum of M terms. Checked on 45^2 x 37 voxel-modes (a padded tile, two chunks).
  const double kT = 0.025852;
  HotInput in = random_hot_input(45, 37, 1.7);
  in.threads = 2;
  HotOutput out;
  run(Level::baseline, in, out);
  const PassOutput& d = out.full;
  const PassOutput& f = out.mixed;
  REQUIRE(d.global_min >= 0.0);
  double worst_min = std::abs(f.global_min - d.global_min), worst_rate = 0.0, worst_block = 0.0;
  for (std::size_t i = 0; i < d.voxel_min.size(); ++i) {
    worst_min = std::max(worst_min, std::abs(f.voxel_min[i] - d.voxel_min[i]));
    if (d.voxel_rate[i] > 1e-30) worst_rate = std::max(worst_rate, std::abs(f.voxel_rate[i] / d.voxel_rate[i] - 1.0));
  }
  double total_d = 0.0, total_f = 0.0;
  for (std::size_t b = 0; b < d.block_rate.size(); ++b) {
    worst_block = std::max(worst_block, std::abs(f.block_rate[b] / d.block_rate[b] - 1.0));
    total_d += d.block_rate[b];
    total_f += f.block_rate[b];
  }
  INFO("barriers: worst " << worst_min << " eV = " << worst_min / kT << " kT; voxel rates: worst relative "
                          << worst_rate << "; blocks " << worst_block << "; total "
                          << std::abs(total_f / total_d - 1.0));
  CHECK(worst_min > 0.0);        // float arithmetic: not the double result
  CHECK(worst_min < 1e-4 * kT);  // barrier error << kT
  CHECK(worst_rate < 1e-4);
  CHECK(worst_block < 1e-4);
  CHECK(std::abs(total_f / total_d - 1.0) < 1e-4);
  // A pass with an unstable mode is unstable in both precisions.
  HotInput hot = random_hot_input(40, 20, 20.0);
  HotOutput u;
  run(Level::baseline, hot, u);
  CHECK(u.full.global_min < 0.0);
  CHECK(u.mixed.global_min < 0.0);
}

TEST_CASE("Every dispatch path of the bounded rule's hot loops computes the same bits", "[unit]") {
  BoundedInput in;
  in.n = 40;
  in.modes = 20;
  const std::size_t v = static_cast<std::size_t>(in.n) * in.n, vm = v * in.modes;
  std::mt19937_64 rng(23);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  in.barrier.resize(vm);
  in.e1.resize(vm);
  in.e3.resize(vm);
  for (std::size_t k = 0; k < vm; ++k) {
    in.barrier[k] = static_cast<float>(2.0 + 0.25 * g(rng));
    in.e1[k] = static_cast<float>(0.07 * g(rng));
    in.e3[k] = static_cast<float>(0.07 * g(rng));
  }
  in.d1.resize(v);
  in.d3.resize(v);
  for (auto* f : {&in.eta_p, &in.eta_t, &in.t_last, &in.s11, &in.s22, &in.s12}) f->resize(v);
  for (std::size_t i = 0; i < v; ++i) {
    in.d1[i] = static_cast<float>(0.05 * g(rng));
    in.d3[i] = static_cast<float>(0.05 * g(rng));
    in.eta_p[i] = 0.2 * u(rng);
    in.eta_t[i] = 0.3 * u(rng);
    in.t_last[i] = -5.0 * u(rng);
    in.s11[i] = 0.5 * g(rng);
    in.s22[i] = 0.5 * g(rng);
    in.s12[i] = 0.5 * g(rng);
  }
  in.now_s1 = 1.5;
  in.now_s3 = 0.2;
  in.end_s1 = 1.52;
  in.end_s3 = 0.21;
  in.time = 0.5;
  in.tau = 1.0;
  in.slack = 2.0 * 0.025852;
  in.half_volume_ev = 2.2;
  in.shift = -200.0 * 0.025852;
  in.inv_kT = 1.0 / 0.025852;
  BoundedOutput reference;
  run(Level::baseline, in, reference);
  INFO(reference.need_count << " of " << v << " voxels leave their margin");
  REQUIRE(reference.need_count > 0);  // the moved segment end sends some voxels out of their margin
  REQUIRE(reference.need_count < v);
  int compared = 0;
  for (const Level level : {Level::v3, Level::v4}) {
    if (!supported(level)) continue;
    BoundedOutput out;
    run(level, in, out);
    INFO("level " << static_cast<int>(level));
    CHECK(bitwise_equal(out.bound_s1, reference.bound_s1));
    CHECK(bitwise_equal(out.bound_s3, reference.bound_s3));
    CHECK(bitwise_equal(out.bound_margin, reference.bound_margin));
    CHECK(bitwise_equal(out.bound_rate, reference.bound_rate));
    CHECK(bitwise_equal(out.bound_low, reference.bound_low));
    CHECK(out.need == reference.need);
    CHECK(out.need_count == reference.need_count);
    CHECK(bitwise_equal(out.totals, reference.totals));
    CHECK(bitwise_equal(out.q, reference.q));
    CHECK(bitwise_equal(out.rate, reference.rate));
    ++compared;
  }
  WARN(compared << " vector path(s) of the bounded rule's loops compared with the baseline on this CPU");
}
#endif
