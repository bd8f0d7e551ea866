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
