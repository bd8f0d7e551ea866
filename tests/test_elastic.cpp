// Elasticity: media, Green operator, kernels of docs/model.md §3, equilibrium, uniform eigenstrain,
// single-voxel updates vs full solves, mean stresses under both loading conditions.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "backends/cpu/fft_solver.hpp"
#include "core/protocols/strain_control.hpp"
#include "stz/grid.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/physics/medium.hpp"
#include "test_support.hpp"

using namespace stz;
using Approx = Catch::Detail::Approx;

TEST_CASE("Elastic media: reference (E* = E) and plane strain", "[unit][elastic]") {
  const ElasticMedium r = reference_medium(69.46, 0.365);
  CHECK(r.mu == Approx(20.0751).epsilon(1e-5));
  CHECK(r.c12 == Approx(108.5545).epsilon(1e-5));
  CHECK(r.e_star == Approx(69.46).epsilon(1e-14));
  CHECK(r.nu_eff == Approx(0.73).epsilon(1e-14));
  const ElasticMedium ps = plane_strain_medium(69.46, 0.365);
  CHECK(ps.e_star == Approx(80.14).epsilon(1e-4));
  CHECK(ps.nu_eff == Approx(0.365 / (1 - 0.365)).epsilon(1e-12));
  // compliance inverts stiffness
  const Sym2 e{0.01, -0.003, 0.002};
  const Sym2 back = compliance_times(ps, stiffness_times(ps, e));
  CHECK(back.xx == Approx(e.xx).epsilon(1e-12));
  CHECK(back.yy == Approx(e.yy).epsilon(1e-12));
  CHECK(back.xy == Approx(e.xy).epsilon(1e-12));
}

TEST_CASE("Unit kernels at the origin match docs/model.md 3.4", "[unit][elastic]") {
  for (int n : {64, 512}) {
    FftElasticSolver solver(n, reference_medium(1.0, 0.365));  // E* = E for the reference medium
    const UnitKernels k = solver.unit_kernels();
    const double tol = n == 64 ? 1e-3 : 5e-5;
    INFO("N = " << n);
    CHECK(k.k1_11[0] == Approx(-0.21460).margin(tol));
    CHECK(k.k1_22[0] == Approx(+0.21460).margin(tol));
    CHECK(k.k3_12[0] == Approx(-0.28540).margin(tol));
    // The kernel of a traceless source carries no mean stress.
    double mean = 0;
    for (double x : k.k1_11) mean += x;
    CHECK(std::abs(mean) < 1e-12);
  }
}

TEST_CASE("Full solve: equilibrium k . sigma_hat = 0 to round-off", "[unit][elastic]") {
  const int n = 16;
  std::mt19937_64 gen(3);
  std::normal_distribution<double> nd(0.0, 0.05);
  std::vector<double> p1(n * n), p3(n * n), s11(n * n), s22(n * n), s12(n * n);
  for (int i = 0; i < n * n; ++i) {
    p1[i] = nd(gen);
    p3[i] = nd(gen);
  }
  FftElasticSolver solver(n, reference_medium(69.46, 0.365));
  solver.solve(p1.data(), p3.data(), s11.data(), s22.data(), s12.data());
  // Naive DFT of the stress; check both equilibrium components at every non-Nyquist k.
  const double two_pi = 6.283185307179586;
  double worst = 0.0, scale = 0.0;
  for (int iy = 0; iy < n; ++iy)
    for (int ix = 0; ix < n; ++ix) {
      const int qx = signed_frequency(ix, n), qy = signed_frequency(iy, n);
      std::complex<double> a11, a22, a12;
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
          const std::complex<double> w = std::polar(1.0, -two_pi * (qx * x + qy * y) / n);
          a11 += s11[y * n + x] * w;
          a22 += s22[y * n + x] * w;
          a12 += s12[y * n + x] * w;
        }
      scale = std::max(scale, std::abs(a11) + std::abs(a22) + std::abs(a12));
      if (qx == -n / 2 || qy == -n / 2) continue;
      worst = std::max(worst, std::abs(double(qx) * a11 + double(qy) * a12));
      worst = std::max(worst, std::abs(double(qx) * a12 + double(qy) * a22));
    }
  CHECK(scale > 1.0);
  CHECK(worst < 1e-12 * scale * n);
}

TEST_CASE("A uniform eigenstrain gives no fluctuation and sigma_bar = C:(eps_bar - p)", "[unit][elastic]") {
  const int n = 32;
  std::vector<double> p1(n * n, 0.013), p3(n * n, -0.004), s11(n * n), s22(n * n), s12(n * n);
  FftElasticSolver solver(n, reference_medium(69.46, 0.365));
  solver.solve(p1.data(), p3.data(), s11.data(), s22.data(), s12.data());
  for (int i = 0; i < n * n; ++i) {
    REQUIRE(std::abs(s11[i]) < 1e-13);
    REQUIRE(std::abs(s22[i]) < 1e-13);
    REQUIRE(std::abs(s12[i]) < 1e-13);
  }
  const ElasticMedium m = reference_medium(69.46, 0.365);
  const Sym2 s = mean_stress(m, Sym2{0.02, -0.005, 0.001}, 0.013, -0.004);
  // x = eps - p = (0.007, 0.008, 0.005): sigma = (c11 x11 + c12 x22, c12 x11 + c11 x22, 2 mu x12)
  const double c11 = 108.55448512095909 + 2 * 20.07514450867052, c12 = 108.55448512095909;
  CHECK(s.xx == Approx(c11 * 0.007 + c12 * 0.008).epsilon(1e-12));
  CHECK(s.yy == Approx(c12 * 0.007 + c11 * 0.008).epsilon(1e-12));
  CHECK(s.xy == Approx(2 * 20.07514450867052 * 0.005).epsilon(1e-12));
}

TEST_CASE("Mean stresses under the reference and exact loading conditions", "[unit][elastic]") {
  Params p;
  const double E = 69.46;
  SECTION("reference: lateral stresses zero, sigma11 = E (eps11 - p1), eps11 = applied + 0.422 p1") {
    const StrainLaw l = make_strain_law(p, make_medium(p.elastic));
    Sym2 e = l.after_strain_increment(Sym2{}, 0.01, 0.01, 0.0, 0.0);
    CHECK(l.mean_stress(e, 0, 0).xx == Approx(E * 0.01).epsilon(1e-12));
    CHECK(std::abs(l.mean_stress(e, 0, 0).yy) < 1e-12);
    e = l.after_plastic_change(e, 0.01, 0.003, 0.001);
    const Sym2 s = l.mean_stress(e, 0.003, 0.001);
    CHECK(std::abs(s.yy) < 1e-12);
    CHECK(std::abs(s.xy) < 1e-12);
    CHECK(s.xx == Approx(E * (e.xx - 0.003)).epsilon(1e-12));
    CHECK(e.xx == Approx(0.01 + 0.73 / 1.73 * 0.003).epsilon(1e-12));
  }
  SECTION("exact: eps11 = applied, lateral stresses zero, sigma11 = E* (applied - p1)") {
    p.loading.condition = LoadingCondition::exact;
    const StrainLaw l = make_strain_law(p, make_medium(p.elastic));
    Sym2 e = l.after_strain_increment(Sym2{}, 0.01, 0.01, 0.0, 0.0);
    e = l.after_plastic_change(e, 0.01, 0.003, 0.001);
    const Sym2 s = l.mean_stress(e, 0.003, 0.001);
    CHECK(e.xx == 0.01);
    CHECK(std::abs(s.yy) < 1e-12);
    CHECK(std::abs(s.xy) < 1e-12);
    CHECK(s.xx == Approx(E * (0.01 - 0.003)).epsilon(1e-12));
  }
  SECTION("shear: sigma12 = mu gamma, normal stresses zero") {
    p.loading.mode = LoadingMode::shear;
    const StrainLaw l = make_strain_law(p, make_medium(p.elastic));
    const Sym2 e = l.after_strain_increment(Sym2{}, 0.01, 0.01, 0.0, 0.0);
    const Sym2 s = l.mean_stress(e, 0, 0);
    CHECK(s.xy == Approx(20.07514450867052 * 0.01).epsilon(1e-12));
    CHECK(l.loaded_stress(s) == s.xy);
    CHECK(std::abs(s.xx) < 1e-12);
  }
}

TEST_CASE("Tensor helpers and extents are written once for any dimension", "[unit][elastic]") {
  // 2D: (11, 22, 12) with tensor shear; a : b counts the shear twice.
  const Sym2 a{1.0, 2.0, 0.5}, b{3.0, -1.0, 2.0};
  CHECK(contract(a, b) == 1.0 * 3.0 + 2.0 * -1.0 + 2.0 * 0.5 * 2.0);
  CHECK(trace(a) == 3.0);
  CHECK(trace(deviator(a)) == 0.0);
  const Sym2 c = a + 2.0 * b - b;
  CHECK((c.xx == 4.0 && c.yy == 1.0 && c.xy == 2.5));
  // 3D: (11, 22, 33, 23, 13, 12).
  Sym3 d;
  d.xx = 1.0, d.yy = 2.0, d.zz = 3.0, d.yz = 0.5, d.xz = -0.5, d.xy = 0.25;
  CHECK(trace(d) == 6.0);
  CHECK(contract(d, d) == 1.0 + 4.0 + 9.0 + 2 * (0.25 + 0.25 + 0.0625));
  CHECK(std::abs(trace(deviator(d))) < 1e-15);
  CHECK(d[3] == 0.5);
  // Extents: the first axis runs fastest; 2D matches voxel_index.
  const Extent<2> e2 = square_extent(8);
  CHECK(e2.voxels() == 64u);
  CHECK(e2.index({3, 5}) == voxel_index(3, 5, 8));
  const Extent<3> e3{{4, 5, 6}};
  CHECK(e3.voxels() == 120u);
  CHECK(e3.index({1, 2, 3}) == 1u + 4u * (2u + 5u * 3u));
}

#include "backends/reference/direct_solver.hpp"

TEST_CASE("Nyquist convention: the published one adds E*/2 P3(N/2,N/2)/N^2 (-1)^(x+y) to sigma11, sigma22",
          "[unit][elastic]") {
  for (const int n : {8, 64}) {
    INFO("N = " << n);
    Params p;
    const ElasticMedium zero = make_medium(p.elastic);
    p.elastic.nyquist = NyquistConvention::published;
    const ElasticMedium published = make_medium(p.elastic);
    REQUIRE(published.keep_nyquist_corner);
    const std::size_t v = static_cast<std::size_t>(n) * n;
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g(0.0, 0.05);
    std::vector<double> p1(v), p3(v);
    for (std::size_t i = 0; i < v; ++i) p1[i] = g(rng), p3[i] = g(rng);
    auto solve = [&](ElasticSolver& s) {
      std::vector<double> s11(v), s22(v), s12(v);
      s.solve(p1.data(), p3.data(), s11.data(), s22.data(), s12.data());
      return std::vector<std::vector<double>>{s11, s22, s12};
    };
    FftElasticSolver fz(n, zero), fp(n, published);
    const auto a = solve(fz), b = solve(fp);
    double corner = 0.0;  // P3_hat at (N/2, N/2) = sum p3 (-1)^(x+y)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) corner += p3[voxel_index(x, y, n)] * ((x + y) % 2 ? -1.0 : 1.0);
    double worst = 0.0, largest = 0.0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        const std::size_t i = voxel_index(x, y, n);
        const double expected = 0.5 * zero.e_star * corner / static_cast<double>(v) * ((x + y) % 2 ? -1.0 : 1.0);
        worst = std::max({worst, std::abs(b[0][i] - a[0][i] - expected), std::abs(b[1][i] - a[1][i] - expected),
                          std::abs(b[2][i] - a[2][i])});
        largest = std::max(largest, std::abs(expected));
      }
    CHECK(largest > 1e-4);  // a checkerboard that is there to see
    CHECK(worst < 1e-12);
    if (n == 8) {  // the reference backend's direct sum over wave vectors agrees
      DirectElasticSolver dp(n, published);
      const auto c = solve(dp);
      for (int k = 0; k < 3; ++k)
        for (std::size_t i = 0; i < v; ++i) CHECK(std::abs(c[k][i] - b[k][i]) < 1e-12);
    }
  }
}
