#pragma once
/** @file
 * @brief Symmetric tensors in D dimensions, stored in Voigt order with the tensor (not the
 * engineering) shear: D = 2 as (11, 22, 12), D = 3 as (11, 22, 33, 23, 13, 12). The helpers are
 * written once for any D; the model instantiates D = 2 today (Sym2), so a 3D grid reuses them.
 */
#include "stz/hd.hpp"

namespace stz {

template <int D>
struct SymTensor;

/// 2D: (11, 22, 12).
template <>
struct SymTensor<2> {
  static constexpr int dimension = 2;
  static constexpr int components = 3;
  double xx = 0.0, yy = 0.0, xy = 0.0;
  STZ_HD double& operator[](int i) { return i == 0 ? xx : (i == 1 ? yy : xy); }
  STZ_HD double operator[](int i) const { return i == 0 ? xx : (i == 1 ? yy : xy); }
};

/// 3D: (11, 22, 33, 23, 13, 12).
template <>
struct SymTensor<3> {
  static constexpr int dimension = 3;
  static constexpr int components = 6;
  double xx = 0.0, yy = 0.0, zz = 0.0, yz = 0.0, xz = 0.0, xy = 0.0;
  STZ_HD double& operator[](int i) {
    switch (i) {
      case 0: return xx;
      case 1: return yy;
      case 2: return zz;
      case 3: return yz;
      case 4: return xz;
      default: return xy;
    }
  }
  STZ_HD double operator[](int i) const { return const_cast<SymTensor&>(*this)[i]; }
};

using Sym2 = SymTensor<2>;
using Sym3 = SymTensor<3>;

/// Whether Voigt component i is a diagonal one (the first D).
template <int D>
STZ_HD_INLINE constexpr bool is_diagonal(int i) {
  return i < D;
}

template <int D>
STZ_HD_INLINE SymTensor<D> operator+(SymTensor<D> a, const SymTensor<D>& b) {
  for (int i = 0; i < SymTensor<D>::components; ++i) a[i] += b[i];
  return a;
}

template <int D>
STZ_HD_INLINE SymTensor<D> operator-(SymTensor<D> a, const SymTensor<D>& b) {
  for (int i = 0; i < SymTensor<D>::components; ++i) a[i] -= b[i];
  return a;
}

template <int D>
STZ_HD_INLINE SymTensor<D> operator*(double s, SymTensor<D> a) {
  for (int i = 0; i < SymTensor<D>::components; ++i) a[i] *= s;
  return a;
}

/// a : b = sum_ij a_ij b_ij (off-diagonal components count twice).
template <int D>
STZ_HD_INLINE double contract(const SymTensor<D>& a, const SymTensor<D>& b) {
  double s = 0.0;
  for (int i = 0; i < SymTensor<D>::components; ++i) s += (is_diagonal<D>(i) ? 1.0 : 2.0) * a[i] * b[i];
  return s;
}

template <int D>
STZ_HD_INLINE double trace(const SymTensor<D>& a) {
  double s = 0.0;
  for (int i = 0; i < D; ++i) s += a[i];
  return s;
}

/// a - (tr a / D) I.
template <int D>
STZ_HD_INLINE SymTensor<D> deviator(SymTensor<D> a) {
  const double mean = trace(a) / D;
  for (int i = 0; i < D; ++i) a[i] -= mean;
  return a;
}

}  // namespace stz
