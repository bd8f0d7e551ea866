#pragma once
/** @file
 * @brief Homogeneous isotropic 2D elasticity (docs/model.md §3): the medium's stiffness,
 * the mean-stress law and the Fourier stress operator of a traceless eigenstrain field.
 *
 * Tensors are stored (11, 22, 12) with tensor shear (eps12 = gamma12 / 2).
 */
#include "stz/hd.hpp"
#include "stz/tensor.hpp"

namespace stz {

/**
 * @brief Isotropic 2D stiffness: sigma11 = c11 e11 + c12 e22, sigma22 = c12 e11 + c11 e22,
 * sigma12 = 2 mu e12. e_star is the in-plane uniaxial modulus 4 mu (lambda + mu)/(lambda + 2 mu),
 * the prefactor of the Green operator; nu_eff = c12 / c11 is the in-plane Poisson ratio.
 */
struct ElasticMedium {
  double c11, c12, mu, e_star, nu_eff;
  /// elastic.nyquist = "published": the (N/2, N/2) terms odd in n1 n2 kept (fourier_response).
  bool keep_nyquist_corner = false;
};

/// Builds the 2D stiffness from lambda and mu.
STZ_HD_INLINE ElasticMedium medium_from_lame(double lambda, double mu) {
  ElasticMedium m{};
  m.c11 = lambda + 2.0 * mu;
  m.c12 = lambda;
  m.mu = mu;
  m.e_star = 4.0 * mu * (lambda + mu) / (lambda + 2.0 * mu);
  m.nu_eff = lambda / (lambda + 2.0 * mu);
  return m;
}

/// Medium "reference": nu2 = 2 nu, mu = E/(2(1+nu2)), lambda = E nu2/(1-nu2^2); E* = E.
STZ_HD_INLINE ElasticMedium reference_medium(double youngs, double poisson) {
  const double nu2 = 2.0 * poisson;
  return medium_from_lame(youngs * nu2 / (1.0 - nu2 * nu2), youngs / (2.0 * (1.0 + nu2)));
}

/// Medium "plane-strain": 3D lambda, mu with eps33 = 0; E* = E/(1-nu^2).
STZ_HD_INLINE ElasticMedium plane_strain_medium(double youngs, double poisson) {
  const double lambda = youngs * poisson / ((1.0 + poisson) * (1.0 - 2.0 * poisson));
  const double mu = youngs / (2.0 * (1.0 + poisson));
  return medium_from_lame(lambda, mu);
}

/// sigma = C : eps.
STZ_HD_INLINE Sym2 stiffness_times(const ElasticMedium& m, Sym2 e) {
  return {m.c11 * e.xx + m.c12 * e.yy, m.c12 * e.xx + m.c11 * e.yy, 2.0 * m.mu * e.xy};
}

/// eps = C^-1 : sigma.
STZ_HD_INLINE Sym2 compliance_times(const ElasticMedium& m, Sym2 s) {
  const double det = m.c11 * m.c11 - m.c12 * m.c12;
  return {(m.c11 * s.xx - m.c12 * s.yy) / det, (m.c11 * s.yy - m.c12 * s.xx) / det, s.xy / (2.0 * m.mu)};
}

/// The traceless eigenstrain (p1, p3) as a tensor [[p1, p3], [p3, -p1]].
STZ_HD_INLINE Sym2 traceless(double p1, double p3) { return {p1, -p1, p3}; }

/// Mean stress (k = 0 term): sigma_bar = C : (eps_bar - <p>).
STZ_HD_INLINE Sym2 mean_stress(const ElasticMedium& m, Sym2 mean_strain, double p1_mean, double p3_mean) {
  return stiffness_times(m, mean_strain - traceless(p1_mean, p3_mean));
}

/**
 * @brief Real coefficients of the Fourier stress operator at one wave vector:
 * sigma_hat_c = f_c1 * P1_hat + f_c3 * P3_hat for c = 11, 22, 12.
 */
struct FourierResponse {
  double s11_e1, s11_e3, s22_e1, s22_e3, s12_e1, s12_e3;
};

/**
 * @brief The Green operator of docs/model.md §3 at integer frequencies (qx, qy) on an n x n grid:
 * G = P1 (n1^2 - n2^2) + 2 P3 n1 n2, sigma11 = E* G n2^2, sigma22 = E* G n1^2,
 * sigma12 = -E* G n1 n2; zero at k = 0 (the mean stress is handled by the loading).
 *
 * On a Nyquist line (|q| = n/2 on an even grid) the two aliases +-n/2 give opposite n1 n2.
 * A real field takes the mean of both aliases (what a complex FFT followed by taking the real
 * part does), so coefficients odd in n1 n2 vanish there while those even in it, (n1 n2)^2, stay.
 * This keeps the operator Hermitian for r2c/c2r and reproduces the kernel values of docs/model.md §3.
 * The corner (N/2, N/2) is its own conjugate, so any real value is admissible there: the
 * published solver keeps n1 n2 = +1/2 (`keep_corner`, elastic.nyquist = "published"), which adds
 * E* P3_hat(corner) (-1)^(x+y) / (2 N^2) to sigma11 and sigma22 (docs/model.md §3.3).
 */
STZ_HD_INLINE FourierResponse fourier_response(int qx, int qy, int n, double e_star, bool keep_corner = false) {
  FourierResponse f{0, 0, 0, 0, 0, 0};
  if (qx == 0 && qy == 0) return f;
  const double k2 = static_cast<double>(qx) * qx + static_cast<double>(qy) * qy;
  const double n1n1 = static_cast<double>(qx) * qx / k2;
  const double n2n2 = static_cast<double>(qy) * qy / k2;
  const bool nyquist_x = (n % 2 == 0) && (qx == -n / 2 || qx == n / 2);
  const bool nyquist_y = (n % 2 == 0) && (qy == -n / 2 || qy == n / 2);
  const double n1n2 = static_cast<double>(qx) * qy / k2;
  // Alias mean of terms odd in n1 n2; at the corner (N/2, N/2) with keep_corner the published
  // solver's choice n1 n2 = +1/2 (elastic.nyquist = "published").
  const double n1n2_odd = !(nyquist_x || nyquist_y) ? n1n2 : (nyquist_x && nyquist_y && keep_corner ? 0.5 : 0.0);
  const double g1 = e_star * (n1n1 - n2n2);  // E* dG/dP1
  f.s11_e1 = g1 * n2n2;
  f.s11_e3 = 2.0 * e_star * n1n2_odd * n2n2;
  f.s22_e1 = g1 * n1n1;
  f.s22_e3 = 2.0 * e_star * n1n2_odd * n1n1;
  f.s12_e1 = -g1 * n1n2_odd;
  f.s12_e3 = -2.0 * e_star * n1n2 * n1n2;
  return f;
}

}  // namespace stz
