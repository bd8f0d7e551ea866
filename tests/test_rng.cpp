// Philox known answers and the documented key/counter layout.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "stz/rng.hpp"

using namespace stz;

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vectors", "[unit][rng]") {
  struct Kat {
    std::uint32_t ctr[4], key[2], expect[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
       {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
       {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const Kat& k : kats) {
    const rng::Words w = rng::philox(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], k.key[0], k.key[1]);
    for (int i = 0; i < 4; ++i) CHECK(w.w[i] == k.expect[i]);
  }
}

TEST_CASE("The layout puts seed in the key and (voxel, generation, stream|mode, draw) in the counter", "[unit][rng]") {
  const std::uint64_t seed = 0x0123456789abcdefull;
  const rng::Words a = rng::draw(seed, rng::sfts_catalog, 17, 3, 5);
  const rng::Words b = rng::philox(17, 3, (2u << 16) | 5u, 0, 0x89abcdefu, 0x01234567u);
  for (int i = 0; i < 4; ++i) CHECK(a.w[i] == b.w[i]);
  // Different generation, mode, stream or seed give different words.
  CHECK(rng::draw(seed, rng::sfts_catalog, 17, 4, 5).w[0] != a.w[0]);
  CHECK(rng::draw(seed, rng::sfts_catalog, 17, 3, 6).w[0] != a.w[0]);
  CHECK(rng::draw(seed, rng::barrier_catalog, 17, 3, 5).w[0] != a.w[0]);
  CHECK(rng::draw(seed + 1, rng::sfts_catalog, 17, 3, 5).w[0] != a.w[0]);
}

TEST_CASE("Uniforms and normals have the right ranges and moments", "[unit][rng]") {
  const int n = 200000;
  double sum = 0, sum2 = 0, e1sum = 0, e1sum2 = 0, dfsum = 0, dfsum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng::kmc_uniform(42, rng::event_selection, i);
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    REQUIRE(rng::kmc_uniform_open0(42, rng::waiting_time, i) > 0.0);
    sum += u;
    sum2 += u * u;
    const rng::SftsDraw e = rng::sfts(9, i, 0, 0, 0.14);
    e1sum += e.e1;
    e1sum2 += e.e1 * e.e1;
    const double df = rng::initial_barrier(9, i, 1, 2.0, 0.25);
    dfsum += df;
    dfsum2 += df * df;
  }
  // Standard errors: mean of U(0,1) 0.00065, of N(0, 0.07^2) 0.00016, of N(2, 0.25^2) 0.00056.
  CHECK(std::abs(sum / n - 0.5) < 0.004);
  CHECK(std::abs(sum2 / n - sum * sum / n / n - 1.0 / 12) < 0.002);
  CHECK(std::abs(e1sum / n) < 0.001);
  CHECK(std::abs(std::sqrt(e1sum2 / n - e1sum * e1sum / n / n) - 0.07) < 0.001);
  CHECK(std::abs(dfsum / n - 2.0) < 0.004);
  CHECK(std::abs(std::sqrt(dfsum2 / n - dfsum * dfsum / n / n) - 0.25) < 0.003);
}
