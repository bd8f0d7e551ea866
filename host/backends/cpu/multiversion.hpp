#pragma once
/** @file
 * @brief STZ_CPU_MULTIVERSION: compile a hot CPU loop once per x86-64 instruction-set level
 * (AVX-512, AVX2 + FMA, baseline) and pick the best clone at load time (GCC target_clones).
 *
 * The default build is portable (no -march): without this, the rate pass would run on SSE2
 * only, 2.3x slower than an AVX-512 build (docs/performance.md). With -DSTZ_NATIVE=ON (this
 * machine) or -DSTZ_MARCH=LEVEL (e.g. x86-64-v3) the whole build targets that CPU and the
 * clones are not needed. Every clone computes the
 * same bits: the project compiles with -ffp-contract=off and fuses multiply-adds explicitly.
 *
 * On aarch64 there are no clones (GCC 12 has no target_clones there): the portable build runs
 * NEON (Advanced SIMD, part of every aarch64 CPU); SVE takes a build for it (-DSTZ_MARCH=
 * armv8.2-a+sve, or -DSTZ_NATIVE=ON on the machine). Both compute the x86 bits, at any SVE
 * vector length (tools/aarch64_check.sh, under qemu; docs/performance.md).
 */
#include <fstream>
#include <string>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#if defined(STZ_PORTABLE_CLONES) && defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define STZ_CPU_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define STZ_CPU_CLONES 1
#else
#define STZ_CPU_MULTIVERSION
#endif

namespace stz {

/// The CPU's model name (/proc/cpuinfo), "unknown CPU" where it cannot be read.
inline std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown CPU";
}

/// Which CPU code the hot loops run here: the clone GCC's resolver picks on this CPU (the same
/// rule: the highest x86-64 level it supports), or the whole build's target. For `stzkmc info`,
/// the run log and the benchmark record.
inline std::string cpu_code_path() {
#if defined(STZ_CPU_CLONES)
  __builtin_cpu_init();
  const char* level = __builtin_cpu_supports("x86-64-v4")   ? "x86-64-v4 (AVX-512)"
                      : __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3 (AVX2, FMA)"
                                                            : "x86-64 baseline (SSE2)";
  return std::string("portable build, hot loops run the ") + level + " clone";
#elif defined(STZ_MARCH_BUILD)
  return std::string("build for -march=") + STZ_MARCH_BUILD + " (no run-time choice)";
#elif defined(__aarch64__)
#if defined(__linux__) && defined(HWCAP_SVE)
  if (getauxval(AT_HWCAP) & HWCAP_SVE)
    return "portable aarch64 build, hot loops run NEON; this CPU has SVE: a build with "
           "-DSTZ_MARCH=armv8.2-a+sve (or -DSTZ_NATIVE=ON) uses it";
#endif
  return "portable aarch64 build, hot loops run NEON (Advanced SIMD)";
#else
  return "portable build without clones (baseline instruction set)";
#endif
}

}  // namespace stz
