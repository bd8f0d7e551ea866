// Analysis quantities (host/core/analysis.hpp) against closed forms.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/analysis.hpp"

using namespace stz;

namespace {

/// n sizes from the discrete power law P(s) ~ s^-alpha, s >= s_min, drawn as Clauset et al. (2009,
/// appendix D) do: a continuous power law from s_min - 1/2, rounded.
std::vector<std::uint64_t> power_law_sizes(double alpha, std::uint64_t s_min, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::uint64_t> s(n);
  for (int i = 0; i < n; ++i) {
    const double x = (static_cast<double>(s_min) - 0.5) * std::pow(1.0 - u(rng), -1.0 / (alpha - 1.0)) + 0.5;
    s[i] = static_cast<std::uint64_t>(std::floor(x));
  }
  return s;
}

}  // namespace

TEST_CASE("Avalanche exponent: maximum likelihood within its standard error of the true exponent", "[unit]") {
  for (const double alpha : {1.5, 2.0, 2.5}) {
    INFO("alpha " << alpha);
    const AvalancheStats a = avalanche_stats(power_law_sizes(alpha, 6, 4000, 17), 6);
    REQUIRE(a.alpha > 0.0);
    CHECK(a.tail_count == 4000u);
    CHECK(a.alpha_error == Approx((a.alpha - 1.0) / std::sqrt(4000.0)));
    // The discrete approximation is within ~1 % at s_min = 6 (Clauset et al., fig. 3).
    CHECK(std::abs(a.alpha - alpha) < 4.0 * a.alpha_error + 0.01 * alpha);
  }
}

TEST_CASE("Avalanche exponent: not reported for too few avalanches or too narrow a range of sizes", "[unit]") {
  // The example: 42 avalanches of at most 4 flips.
  std::vector<std::uint64_t> few;
  for (int i = 0; i < 42; ++i) few.push_back(1 + i % 4);
  const AvalancheStats a = avalanche_stats(few);
  CHECK(a.count == 42u);
  CHECK(a.alpha == 0.0);
  CHECK(a.alpha_error == 0.0);
  // Many avalanches, but all within a factor 5: no power law can be told apart.
  std::vector<std::uint64_t> narrow;
  for (int i = 0; i < 500; ++i) narrow.push_back(1 + i % 5);
  CHECK(avalanche_stats(narrow).alpha == 0.0);
  // Enough of them over a decade: reported.
  CHECK(avalanche_stats(power_law_sizes(2.0, 1, avalanche_fit_min_count, 3)).alpha > 0.0);
}

#include "app/progress.hpp"

TEST_CASE("ETA from the recent speed: follows a run that slows down after yield", "[unit]") {
  io::EtaEstimator e;
  CHECK(e.eta(0.06) < 0.0);  // nothing yet: unknown
  // 5 s of fast elastic loading to 0.03, then plastic flow at 0.001 per second.
  double t = 0.0;
  for (; t <= 5.0; t += 0.25) e.add(t, 0.006 * t);
  for (; t <= 15.0; t += 0.25) e.add(t, 0.03 + 0.001 * (t - 5.0));
  const double now = 0.03 + 0.001 * (t - 0.25 - 5.0);
  // The window (max(2 s, 20 % of 15 s) = 3 s) lies in the flow: the true time left.
  CHECK(e.eta(0.06) == Approx((0.06 - now) / 0.001).epsilon(1e-9));
  // A run that makes no progress has no ETA.
  io::EtaEstimator stuck;
  for (double s = 0.0; s < 10.0; s += 0.25) stuck.add(s, 0.01);
  CHECK(stuck.eta(0.06) < 0.0);
}
