// The hot loops' results as digests, to compare across CPU architectures (issue 15): built for
// x86-64 by tests/CMakeLists.txt (target stz_isa_digest, the baseline level's code; ctest
// `dispatch` already equates the x86 levels) and cross-compiled for aarch64 with NEON and with
// SVE by tools/aarch64_check.sh, which runs those under qemu and requires the same lines.
//
// The inputs are made with integer arithmetic and exactly rounded adds and multiplies only
// (splitmix64, sums of uniforms): no libm call whose last bit could differ between the C
// libraries of two architectures. Output: one line per result array, its length and an FNV-1a
// digest of its bytes, for one and for two OpenMP threads.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "backends/cpu/multiversion.hpp"
#include "isa/hot_loops_isa.hpp"

#ifndef STZ_HOT_LEVEL
#error "define STZ_HOT_LEVEL, the level whose run_ functions this digest calls"
#endif
#define STZ_DIGEST_CAT2(a, b) a##b
#define STZ_DIGEST_CAT(a, b) STZ_DIGEST_CAT2(a, b)
#define STZ_DIGEST_STR2(a) #a
#define STZ_DIGEST_STR(a) STZ_DIGEST_STR2(a)

namespace stz::test::isa {
void STZ_DIGEST_CAT(run_, STZ_HOT_LEVEL)(const HotInput& in, HotOutput& out);
void STZ_DIGEST_CAT(run_bounded_, STZ_HOT_LEVEL)(const BoundedInput& in, BoundedOutput& out);
}  // namespace stz::test::isa

using namespace stz::test::isa;

namespace {

struct Draws {
  std::uint64_t state;
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Mean 0, variance 1 (a sum of four uniforms, scaled): close enough to a normal draw here.
  double gauss() {
    // In sequence: the order of the calls in one expression would be the compiler's choice.
    const double a = uniform(), b = uniform(), c = uniform(), d = uniform();
    return (a + b + c + d - 2.0) * 1.7320508075688772;
  }
};

HotInput hot_input(int n, int modes, double mean_s1) {
  Draws d{11};
  HotInput in;
  in.n = n;
  in.modes = modes;
  const std::size_t v = static_cast<std::size_t>(n) * n, vm = v * modes;
  for (std::size_t k = 0; k < vm; ++k) {
    in.softened.push_back(1.6 + 0.2 * d.gauss());
    in.e1.push_back(static_cast<float>(0.07 * d.gauss()));
    in.e3.push_back(static_cast<float>(0.07 * d.gauss()));
  }
  for (auto* f : {&in.s11, &in.s22, &in.s12})
    for (std::size_t i = 0; i < v; ++i) f->push_back(0.5 * d.gauss());
  for (int c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < v; ++i) {
      in.k1[c].push_back(0.3 * d.gauss());
      in.k3[c].push_back(0.3 * d.gauss());
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

BoundedInput bounded_input() {
  Draws d{23};
  BoundedInput in;
  in.n = 40;
  in.modes = 20;
  const std::size_t v = static_cast<std::size_t>(in.n) * in.n, vm = v * in.modes;
  for (std::size_t k = 0; k < vm; ++k) {
    in.barrier.push_back(static_cast<float>(2.0 + 0.25 * d.gauss()));
    in.e1.push_back(static_cast<float>(0.07 * d.gauss()));
    in.e3.push_back(static_cast<float>(0.07 * d.gauss()));
  }
  for (std::size_t i = 0; i < v; ++i) {
    in.d1.push_back(static_cast<float>(0.05 * d.gauss()));
    in.d3.push_back(static_cast<float>(0.05 * d.gauss()));
    in.eta_p.push_back(0.2 * d.uniform());
    in.eta_t.push_back(0.3 * d.uniform());
    in.t_last.push_back(-5.0 * d.uniform());
    in.s11.push_back(0.5 * d.gauss());
    in.s22.push_back(0.5 * d.gauss());
    in.s12.push_back(0.5 * d.gauss());
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
  return in;
}

template <typename T>
void print_digest(const char* what, const std::vector<T>& x) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  const auto* bytes = reinterpret_cast<const unsigned char*>(x.data());
  for (std::size_t i = 0; i < x.size() * sizeof(T); ++i) h = (h ^ bytes[i]) * 0x100000001b3ull;
  std::printf("%-24s %8zu %016llx\n", what, x.size(), static_cast<unsigned long long>(h));
}

void print_pass(const char* precision, const PassOutput& p) {
  char name[64];
  std::snprintf(name, sizeof name, "%s.global_min", precision);
  print_digest(name, std::vector<double>{p.global_min});
  std::snprintf(name, sizeof name, "%s.voxel_min", precision);
  print_digest(name, p.voxel_min);
  std::snprintf(name, sizeof name, "%s.voxel_rate", precision);
  print_digest(name, p.voxel_rate);
  std::snprintf(name, sizeof name, "%s.block_rate", precision);
  print_digest(name, p.block_rate);
}

}  // namespace

int main() {
  // This binary runs the level it was built with; the backend of a build on this CPU would run:
  std::fprintf(stderr, "isa_digest: hot loops of level %s; a build here: %s\n", STZ_DIGEST_STR(STZ_HOT_LEVEL),
               stz::cpu_code_path().c_str());
  // As ctest `dispatch`: whole tiles and a partial rate block; a padded tile and two mode
  // chunks; an unstable pass (mean stress 20 GPa).
  const struct {
    int n, modes;
    double mean_s1;
  } cases[] = {{48, 20, 1.7}, {45, 37, 1.7}, {40, 20, 20.0}};
  for (const auto& c : cases)
    for (const int threads : {1, 2}) {
      HotInput in = hot_input(c.n, c.modes, c.mean_s1);
      in.threads = threads;
      HotOutput out;
      STZ_DIGEST_CAT(run_, STZ_HOT_LEVEL)(in, out);
      std::printf("# exhaustive pass %d^2 x %d, mean s1 %g GPa, %d thread(s); global minimum %.17g eV\n", c.n, c.modes,
                  c.mean_s1, threads, out.full.global_min);
      print_pass("double", out.full);
      print_pass("mixed", out.mixed);
      print_digest("stress_update.s11", out.s11);
      print_digest("stress_update.s22", out.s22);
      print_digest("stress_update.s12", out.s12);
    }
  const BoundedInput in = bounded_input();
  BoundedOutput out;
  STZ_DIGEST_CAT(run_bounded_, STZ_HOT_LEVEL)(in, out);
  std::printf("# bounded rule 40^2 x 20; %zu voxels leave their margin\n", out.need_count);
  print_digest("bounded.bound_s1", out.bound_s1);
  print_digest("bounded.bound_s3", out.bound_s3);
  print_digest("bounded.bound_margin", out.bound_margin);
  print_digest("bounded.bound_rate", out.bound_rate);
  print_digest("bounded.bound_low", out.bound_low);
  print_digest("bounded.need", out.need);
  print_digest("bounded.totals", out.totals);
  print_digest("bounded.q", out.q);
  print_digest("bounded.rate", out.rate);
  return 0;
}
