#include "backends/cpu/fft_solver.hpp"

#include <fftw3.h>

#include <mutex>
#include <stdexcept>

#include "stz/grid.hpp"

namespace stz {

namespace {
// FFTW's planner is not thread safe.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

FftElasticSolver::FftElasticSolver(int n, const ElasticMedium& medium)
    : ElasticSolver(n, medium),
      n_(n),
      e_star_(medium.e_star),
      keep_corner_(medium.keep_nyquist_corner),
      half_(static_cast<std::size_t>(n) * (n / 2 + 1)) {
  const std::size_t v = static_cast<std::size_t>(n) * n;
  real_ = fftw_alloc_real(v);
  spec1_ = fftw_alloc_complex(half_);
  spec3_ = fftw_alloc_complex(half_);
  spec_out_ = fftw_alloc_complex(half_);
  if (!real_ || !spec1_ || !spec3_ || !spec_out_) throw std::bad_alloc();
  std::lock_guard<std::mutex> lock(planner_mutex());
  // Row-major (y, x): x is the halved (last) dimension.
  forward_ = fftw_plan_dft_r2c_2d(n, n, real_, static_cast<fftw_complex*>(spec1_), FFTW_ESTIMATE);
  backward_ =
      fftw_plan_dft_c2r_2d(n, n, static_cast<fftw_complex*>(spec_out_), real_, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  if (!forward_ || !backward_) throw std::runtime_error("FFTW could not create plans");
}

FftElasticSolver::~FftElasticSolver() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  fftw_destroy_plan(static_cast<fftw_plan>(forward_));
  fftw_destroy_plan(static_cast<fftw_plan>(backward_));
  fftw_free(real_);
  fftw_free(spec1_);
  fftw_free(spec3_);
  fftw_free(spec_out_);
}

void FftElasticSolver::solve(const double* p1, const double* p3, double* s11, double* s22, double* s12) {
  const std::size_t v = static_cast<std::size_t>(n_) * n_;
  auto fp = static_cast<fftw_plan>(forward_);
  std::copy(p1, p1 + v, real_);
  fftw_execute_dft_r2c(fp, real_, static_cast<fftw_complex*>(spec1_));
  std::copy(p3, p3 + v, real_);
  fftw_execute_dft_r2c(fp, real_, static_cast<fftw_complex*>(spec3_));
  const int nh = n_ / 2 + 1;
  auto* a = static_cast<fftw_complex*>(spec1_);
  auto* b = static_cast<fftw_complex*>(spec3_);
  auto* out = static_cast<fftw_complex*>(spec_out_);
  auto bp = static_cast<fftw_plan>(backward_);
  const double norm = 1.0 / static_cast<double>(v);
  double* dest[3] = {s11, s22, s12};
  for (int c = 0; c < 3; ++c) {
    for (int iy = 0; iy < n_; ++iy) {
      const int qy = signed_frequency(iy, n_);
      for (int ix = 0; ix < nh; ++ix) {
        const FourierResponse f = fourier_response(ix, qy, n_, e_star_, keep_corner_);
        const double c1 = c == 0 ? f.s11_e1 : (c == 1 ? f.s22_e1 : f.s12_e1);
        const double c3 = c == 0 ? f.s11_e3 : (c == 1 ? f.s22_e3 : f.s12_e3);
        const std::size_t k = static_cast<std::size_t>(iy) * nh + ix;
        out[k][0] = (c1 * a[k][0] + c3 * b[k][0]) * norm;
        out[k][1] = (c1 * a[k][1] + c3 * b[k][1]) * norm;
      }
    }
    fftw_execute_dft_c2r(bp, out, real_);
    std::copy(real_, real_ + v, dest[c]);
  }
}

}  // namespace stz
