#pragma once
/** @file
 * @brief Host/device annotations shared by g++ and nvcc.
 *
 * Physics formulas are written once as STZ_HD inline functions so that the CPU
 * reference backend and the CUDA backend evaluate exactly the same expressions.
 */
#if defined(__CUDACC__)
#define STZ_HD __host__ __device__
#else
#define STZ_HD
#endif
#define STZ_HD_INLINE STZ_HD inline
/// For a loop body that must be compiled into each caller: a CPU hot loop compiled once per
/// instruction set (multiversion.hpp) only vectorizes what is inlined into it.
#if defined(__GNUC__) && !defined(__CUDACC__)
#define STZ_HD_FORCEINLINE inline __attribute__((always_inline))
#elif defined(__CUDACC__)
#define STZ_HD_FORCEINLINE __host__ __device__ __forceinline__
#else
#define STZ_HD_FORCEINLINE inline
#endif
