// Barriers, rates, softening and the transformation update against hand-computed values
// (docs/model.md §4-§5; the numbers were computed by hand with Python from the formulas).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "stz/params.hpp"
#include "stz/physics/barrier.hpp"
#include "stz/physics/fast_exp.hpp"
#include "stz/physics/units.hpp"

using namespace stz;
using Approx = Catch::Detail::Approx;

TEST_CASE("exp_nonpositive matches std::exp to a few ulp and underflows to 0", "[unit][physics]") {
  double worst = 0.0;
  for (double x = -708.0; x <= 0.0; x += 0.0037) {
    const double ref = std::exp(x);
    worst = std::max(worst, std::abs(exp_nonpositive(x) - ref) / ref);
  }
  CHECK(worst < 1e-15);
  CHECK(exp_nonpositive(0.0) == 1.0);
  CHECK(exp_nonpositive(-709.0) == 0.0);
  CHECK(exp_nonpositive(-1e300) == 0.0);
}

TEST_CASE("exp_nonpositive_f (mixed precision) matches std::exp to 1.5e-7 and underflows to 0", "[unit][physics]") {
  double worst = 0.0;
  int points = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.00137f, ++points) {
    const double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(static_cast<double>(exp_nonpositive_f(x)) - ref) / ref);
  }
  INFO(points << " points, worst relative error " << worst);
  CHECK(worst < 1.5e-7);
  CHECK(worst > 0.0);  // float: not the double result
  CHECK(exp_nonpositive_f(0.0f) == 1.0f);
  CHECK(exp_nonpositive_f(-87.5f) == 0.0f);
  CHECK(exp_nonpositive_f(-1e30f) == 0.0f);
  CHECK(exp_nonpositive_f(-std::numeric_limits<float>::infinity()) == 0.0f);
}

TEST_CASE("Derived constants: kT, tau, V, prefactor", "[unit][physics]") {
  Params p;
  const PhysicsConstants c = derive_constants(p);
  CHECK(c.kT == Approx(0.0258522).epsilon(2e-6));
  CHECK(c.tau == Approx(1.643e-7).epsilon(1e-3));
  CHECK(c.volume_nm3 == Approx(0.49));
  CHECK(c.rate_prefactor == Approx(4.9e12));
  CHECK(c.half_volume_ev == Approx(0.5 * 0.49 * 6.241506));
  CHECK(c.eta_max == Approx(-std::log(0.6)));
}

TEST_CASE("Direction factor: square-forward and none", "[unit][physics]") {
  CHECK(direction_factor(true, 0.05, 0.02, 0.03, -0.04) == Approx(0.39688328844807413).epsilon(1e-12));
  CHECK(direction_factor(true, 0.05, 0.02, 0.05, 0.02) == Approx(1.0));    // same direction
  CHECK(direction_factor(true, 0.05, 0.02, -0.05, -0.02) == Approx(0.0));  // reversed
  CHECK(direction_factor(true, 0.0, 0.0, 0.03, -0.04) == Approx(0.25));    // d = 0: cos phi = 0
  CHECK(direction_factor(false, 0.05, 0.02, -0.05, -0.02) == 1.0);
}

TEST_CASE("Barrier and rate of one voxel-mode", "[unit][physics]") {
  const PhysicsConstants c = derive_constants(Params{});
  // eta_p = 0.3, eta_t = 0.5, 2e-7 s after the last transformation.
  const double eta = softening(0.3, 0.5, 1.0, 1.0 + 2e-7, c.tau);
  CHECK(eta == Approx(0.4480375143725126).epsilon(1e-6));
  const double D = direction_factor(true, 0.05, 0.02, 0.03, -0.04);
  const double a = softened_barrier(2.1, D, 0.4480375143725126);
  CHECK(a == Approx(1.7578979394847083).epsilon(1e-12));
  // sigma = (1.2, 0.2, 0.3) GPa, e = (0.05, 0.02): W = 1.0 * 0.05 + 0.6 * 0.02 = 0.062 GPa.
  const double w = resolved_work(1.2 - 0.2, 2.0 * 0.3, 0.05, 0.02);
  CHECK(w == Approx(0.062).epsilon(1e-12));
  const double q = activation_barrier(1.7578979394847083, w, c.half_volume_ev);
  CHECK(q == Approx(1.6630894633447082).epsilon(1e-12));
  CHECK(c.rate_prefactor * std::exp(-q * c.inv_kT) == Approx(5.645374273201112e-16).epsilon(1e-9));
  CHECK(shifted_rate(q, q, c.inv_kT) == 1.0);
  CHECK(shifted_rate(q + c.kT, q, c.inv_kT) == Approx(std::exp(-1.0)).epsilon(1e-14));
}

TEST_CASE("Temporary softening decays to exactly zero", "[unit][physics]") {
  CHECK(temporary_softening_decay(0.0, 1.0) == 1.0);
  CHECK(temporary_softening_decay(746.0, 1.0) == 0.0);
  CHECK(softening(0.2, 0.7, 0.0, 1e-3, 1.643e-7) == 0.2);  // bitwise eta_p once decayed
}

TEST_CASE("Transformation update of the softening state", "[unit][physics]") {
  // e = (0.05, 0.02): delta = e:e = 0.0058.
  SofteningAfterTransformation s = soften_after_transformation(0.2, 0.05, 0.02, 13.0, 39.0, -std::log(0.6));
  CHECK(s.eta_p == Approx(0.2754).epsilon(1e-12));
  CHECK(s.eta_t == Approx(0.2262).epsilon(1e-12));
  // Capped at eta_max; eta_t overwritten, not accumulated.
  s = soften_after_transformation(0.5, 0.05, 0.02, 13.0, 39.0, -std::log(0.6));
  CHECK(s.eta_p == Approx(-std::log(0.6)));
  CHECK(s.eta_t == Approx(0.2262).epsilon(1e-12));
}

TEST_CASE("Equivalent strain", "[unit][physics]") { CHECK(equivalent_strain(0.3, 0.4) == Approx(0.5)); }

TEST_CASE("Parameter validation names the key, the value and what is allowed", "[unit][params]") {
  Params p;
  p.grid.n = 15;
  try {
    validate(p);
    FAIL("odd grid accepted");
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    CHECK(m.find("grid.n") != std::string::npos);
    CHECK(m.find("15") != std::string::npos);
    CHECK(m.find("even") != std::string::npos);
  }
  p = Params{};
  p.loading.strain_rate = -1;
  CHECK_THROWS_WITH(validate(p), Catch::Contains("loading.strain_rate"));
  p = Params{};
  CHECK_NOTHROW(validate(p));
}
