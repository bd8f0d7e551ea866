#pragma once
/** @file
 * @brief STZ_CPU_MULTIVERSION: compile a hot CPU loop once per x86-64 instruction-set level
 * (AVX-512, AVX2 + FMA, baseline) and pick the best clone at load time (GCC target_clones).
 *
 * The default build is portable (no -march): without this, the rate pass would run on SSE2
 * only, 2.3x slower than an AVX-512 build (docs/performance.md). With -DSTZ_NATIVE=ON the
 * whole build targets this machine and the clones are not needed. Every clone computes the
 * same bits: the project compiles with -ffp-contract=off and fuses multiply-adds explicitly.
 */
#if defined(STZ_PORTABLE_CLONES) && defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define STZ_CPU_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define STZ_CPU_MULTIVERSION
#endif
