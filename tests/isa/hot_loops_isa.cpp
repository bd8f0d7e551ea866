// Compiled three times (tests/CMakeLists.txt) with -march=x86-64, x86-64-v3 and x86-64-v4 and
// STZ_HOT_LEVEL = baseline, v3, v4: the CPU backend's hot loops as that level's code.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "backends/cpu/tiled_layout.hpp"
#include "isa/hot_loops_isa.hpp"
#include "stz/grid.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/bounds.hpp"
#include "stz/tensor.hpp"

#define STZ_ISA_CAT2(a, b) a##b
#define STZ_ISA_CAT(a, b) STZ_ISA_CAT2(a, b)

namespace stz::test::isa {
namespace {  // internal linkage: each of the three objects keeps its own copy
#define STZ_HOT_LOOP
#include "backends/cpu/bounded_hot_loops.inc"
#include "backends/cpu/hot_loops.inc"
#undef STZ_HOT_LOOP

void run_bounded_level(const BoundedInput& in, BoundedOutput& out) {
  const std::size_t v = static_cast<std::size_t>(in.n) * in.n;
  for (auto* f : {&out.bound_s1, &out.bound_s3, &out.bound_margin, &out.bound_rate, &out.bound_low}) f->assign(v, 0.0);
  BoundArrays a{in.barrier.data(),
                in.e1.data(),
                in.e3.data(),
                in.d1.data(),
                in.d3.data(),
                in.eta_p.data(),
                in.eta_t.data(),
                in.t_last.data(),
                out.bound_s1.data(),
                out.bound_s3.data(),
                out.bound_margin.data(),
                out.bound_rate.data(),
                out.bound_low.data(),
                in.modes,
                in.direction,
                in.tau,
                in.slack,
                in.half_volume_ev,
                in.shift,
                in.inv_kT};
  // Every voxel's bound around its resolved stress now (what update_bounds(all) computes).
  std::vector<std::uint32_t> list(v);
  std::vector<double> s1(v), s3(v);
  for (std::size_t i = 0; i < v; ++i) {
    list[i] = static_cast<std::uint32_t>(i);
    s1[i] = (in.s11[i] - in.s22[i]) + in.now_s1;
    s3[i] = 2.0 * in.s12[i] + in.now_s3;
  }
  const double drift = std::hypot(in.end_s1 - in.now_s1, in.end_s3 - in.now_s3);
  RefreshScratch scratch;
  refresh_listed_bounds(a, list.data(), s1.data(), s3.data(), v, in.time, drift, scratch);
  // The margin check of a segment that ends 0.1 GPa (s1) and 0.05 GPa (s3) away: beyond some
  // voxels' margins, within others'.
  std::vector<std::uint8_t> stale(v, 0);
  out.need.assign(v, 0);
  const Resolved now{in.now_s1, in.now_s3};
  const Resolved end{in.now_s1 + 0.1, in.now_s3 + 0.05};
  out.need_count = margin_check(0, v, in.s11.data(), in.s22.data(), in.s12.data(), out.bound_s1.data(),
                                out.bound_s3.data(), out.bound_margin.data(), stale.data(), now, end, out.need.data());
  // Every voxel's exact rates.
  out.q.assign(v * in.modes, 0.0);
  out.rate.assign(v * in.modes, 0.0);
  out.totals.assign(v, 0.0);
  for (std::size_t i = 0; i < v; ++i)
    out.totals[i] =
        exact_voxel_rates(a, i, in.time, s1[i], s3[i], out.q.data() + i * in.modes, out.rate.data() + i * in.modes);
}

/// The exhaustive pass in the arithmetic Real on the tiled caches built from the voxel-major
/// input (padding A = +inf, e = 0, as the backend keeps them).
template <typename Real>
void run_pass(const HotInput& in, PassOutput& out) {
  const std::size_t v = static_cast<std::size_t>(in.n) * in.n;
  constexpr std::size_t block_voxels = 1024;
  const std::size_t blocks = (v + block_voxels - 1) / block_voxels;
  out.voxel_min.assign(v, 0.0);
  out.voxel_rate.assign(v, 0.0);
  out.block_rate.assign(blocks, 0.0);
  const std::size_t tiled = tile_count(v) * tile_voxels * in.modes;
  std::vector<Real> softened(tiled, std::numeric_limits<Real>::infinity());
  std::vector<float> e1(tiled, 0.0f), e3(tiled, 0.0f);
  for (std::size_t i = 0; i < v; ++i)
    for (int m = 0; m < in.modes; ++m) {
      softened[tiled_index(i, m, in.modes)] = static_cast<Real>(in.softened[i * in.modes + m]);
      e1[tiled_index(i, m, in.modes)] = in.e1[i * in.modes + m];
      e3[tiled_index(i, m, in.modes)] = in.e3[i * in.modes + m];
    }
  TiledPassInput<Real> p;
  p.softened = softened.data();
  p.e1 = e1.data();
  p.e3 = e3.data();
  p.s11 = in.s11.data();
  p.s22 = in.s22.data();
  p.s12 = in.s12.data();
  p.voxels = v;
  p.modes = in.modes;
  p.mean_s1 = in.mean_s1;
  p.mean_s3 = in.mean_s3;
  p.half_volume_ev = in.hv;
  p.inv_kT = in.inv_kT;
  if constexpr (std::is_same_v<Real, double>)
    out.global_min = exhaustive_pass(p, block_voxels, out.voxel_min.data(), out.voxel_rate.data(),
                                     out.block_rate.data(), in.threads);
  else
    out.global_min = exhaustive_pass_mixed(p, block_voxels, out.voxel_min.data(), out.voxel_rate.data(),
                                           out.block_rate.data(), in.threads);
}

void run_level(const HotInput& in, HotOutput& out) {
  run_pass<double>(in, out.full);
  run_pass<float>(in, out.mixed);
  out.s11 = in.s11;
  out.s22 = in.s22;
  out.s12 = in.s12;
  const double* k1[3] = {in.k1[0].data(), in.k1[1].data(), in.k1[2].data()};
  const double* k3[3] = {in.k3[0].data(), in.k3[1].data(), in.k3[2].data()};
  double* o[3] = {out.s11.data(), out.s22.data(), out.s12.data()};
  add_kernel_response_rows(in.n, in.jx, in.jy, in.a, in.b, k1, k3, o, in.threads);
}
}  // namespace

// The level's entry point, named for the dispatcher in test_dispatch.cpp.
void STZ_ISA_CAT(run_, STZ_HOT_LEVEL)(const HotInput& in, HotOutput& out) { run_level(in, out); }
void STZ_ISA_CAT(run_bounded_, STZ_HOT_LEVEL)(const BoundedInput& in, BoundedOutput& out) {
  run_bounded_level(in, out);
}

}  // namespace stz::test::isa
