#pragma once
// The CPU backend's hot loops (host/backends/cpu/hot_loops.inc) compiled once per forced x86-64
// level (tests/isa/hot_loops_isa.cpp, built three times by tests/CMakeLists.txt), for
// tests/test_dispatch.cpp: every path must compute the same bits.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace stz::test::isa {

/// One exhaustive pass in each precision (on the tiled caches built from these voxel-major
/// inputs) and one single-voxel stress update on given inputs.
struct HotInput {
  int n = 0, modes = 0;
  std::vector<double> softened;       ///< A per voxel-mode
  std::vector<float> e1, e3;          ///< SFTS per voxel-mode
  std::vector<double> s11, s22, s12;  ///< stress fluctuation per voxel
  std::vector<double> k1[3], k3[3];   ///< unit kernels per voxel
  double mean_s1 = 0.0, mean_s3 = 0.0, hv = 0.0, inv_kT = 0.0;
  int jx = 0, jy = 0;
  double a = 0.0, b = 0.0;
  int threads = 1;
};
struct PassOutput {
  std::vector<double> voxel_min, voxel_rate, block_rate;
  double global_min = 0.0;
};
struct HotOutput {
  PassOutput full, mixed;  ///< the pass in double and in mixed precision
  std::vector<double> s11, s22, s12;
};

/// The bounded rule's hot loops (bounded_hot_loops.inc) on given inputs: every voxel's bound
/// refreshed, a margin check against moved stresses, and every voxel's exact rates.
struct BoundedInput {
  int n = 0, modes = 0;
  std::vector<float> barrier, e1, e3, d1, d3;  ///< per voxel-mode / per voxel
  std::vector<double> eta_p, eta_t, t_last;    ///< per voxel
  std::vector<double> s11, s22, s12;           ///< stress fluctuation per voxel
  double now_s1 = 0.0, now_s3 = 0.0, end_s1 = 0.0, end_s3 = 0.0;
  double time = 0.0, tau = 0.0, slack = 0.0, half_volume_ev = 0.0, shift = 0.0, inv_kT = 0.0;
  bool direction = true;
};
struct BoundedOutput {
  std::vector<double> bound_s1, bound_s3, bound_margin, bound_rate, bound_low, totals, q, rate;
  std::vector<std::uint8_t> need;
  std::size_t need_count = 0;
};

/// The levels built (x86-64 baseline, v3 = AVX2 + FMA, v4 = AVX-512); each runs only where this
/// CPU supports it.
enum class Level { baseline, v3, v4 };
bool supported(Level level);
void run(Level level, const HotInput& in, HotOutput& out);
void run(Level level, const BoundedInput& in, BoundedOutput& out);

}  // namespace stz::test::isa
