#pragma once
/** @file
 * @brief SEEM physics written once (docs/seem.md): the inelastic energy X1 from potential
 * energy and shear stress, the X1-dependent shear modulus, and the single forward step of the
 * stochastic model. Header-only and STZ_HD so the CPU ensemble and cuda/seem_ensemble.cu
 * evaluate the same expressions (no std:: containers, no exceptions here).
 *
 * Units: stress GPa, energy eV per atom, volume per atom Omega in A^3, strain dimensionless.
 */
#include <cmath>
#include <cstdint>

#include "stz/hd.hpp"
#include "stz/rng.hpp"

namespace stz::seem {

/// 1 GPa * A^3 in eV (1e-21 J / 1.602176634e-19 J/eV). The training data are in LAMMPS
/// metal units (A, eV), so Omega tau^2 / G must be converted with this factor.
constexpr double gpa_a3_in_ev = 6.241509074460763e-3;

/// Parameters of the X1 decomposition u = u0 + X1 + elastic energy (docs/seem.md).
struct X1Params {
  double G0 = 25.90;    ///< shear modulus of the X1 = 0 glass (GPa)
  double uA = 0.101;    ///< X1 at which G would vanish (eV/atom): G = G0 (1 - X1/uA)
  double tauA = 8.4;    ///< quadratic nonlinearity of the elastic energy (GPa)
  double tauB = 2.90;   ///< quartic nonlinearity of the elastic energy (GPa)
  double u0 = 0.0;      ///< reference energy per atom (eV): stress-free, slowest quench
  double omega = 16.3;  ///< volume per atom (A^3)
};

/// Elastic energy per atom at X1 = 0: Omega tau^2/(2 G0) [1 + (tau/tauA)^2 + (tau/tauB)^4] (eV).
STZ_HD_INLINE double elastic_energy0(double tau, const X1Params& p) {
  const double a = tau / p.tauA;
  const double b2 = (tau / p.tauB) * (tau / p.tauB);
  return p.omega * tau * tau / (2.0 * p.G0) * gpa_a3_in_ev * (1.0 + a * a + b2 * b2);
}

/**
 * @brief X1 from potential energy per atom u (eV) and shear stress tau (GPa).
 *
 * Inverts u = u0 + X1 + Omega tau^2/(2 G0) [1 + X1/uA + (tau/tauA)^2 + (tau/tauB)^4]
 * for X1 (exact: the model is linear in X1), which is docs/seem.md's
 * X1 = (u - u0 - Omega tau^2/(2G0)[...]) / (1 + Omega tau^2/(2 G0 uA)).
 */
STZ_HD_INLINE double x1_from_energy(double u, double tau, const X1Params& p) {
  const double soft = p.omega * tau * tau / (2.0 * p.G0 * p.uA) * gpa_a3_in_ev;
  return (u - p.u0 - elastic_energy0(tau, p)) / (1.0 + soft);
}

/// Inverse of x1_from_energy: the potential energy per atom of state (X1, tau) (eV).
STZ_HD_INLINE double energy_from_x1(double x1, double tau, const X1Params& p) {
  const double soft = p.omega * tau * tau / (2.0 * p.G0 * p.uA) * gpa_a3_in_ev;
  return p.u0 + x1 * (1.0 + soft) + elastic_energy0(tau, p);
}

/// Shear modulus of the model, G(X1) = G0 (1 - X1/uA) (GPa).
STZ_HD_INLINE double shear_modulus(double x1, const X1Params& p) { return p.G0 * (1.0 - x1 / p.uA); }

/// Philox stream of the SEEM forward integration: one draw per (trajectory, step). A value >= 16
/// keeps it apart from the HR-STZ streams of stz/rng.hpp.
constexpr std::uint32_t seem_step_stream = 16;
/// Philox stream of the continuous-strain (Poisson) process: draws per (trajectory, step, k),
/// k counting the draws within the step (below 2^16).
constexpr std::uint32_t seem_poisson_stream = 17;
/// Draws one step of the Poisson process may take (events and bin crossings); beyond it the
/// step ends early and is flagged (step_saturated) — far above any rate a database holds.
constexpr std::uint32_t seem_poisson_max_draws = 65535;

/**
 * @brief Flat, trivially copyable view of a harvested database as the forward step needs it.
 * Pointers are host or device pointers depending on who runs the step.
 *
 * Bins are indexed b = ix * n_tau + it (ix along X1, it along tau). Every bin, visited or not,
 * maps through `source` to the bin whose statistics it uses (itself when trusted, otherwise
 * the nearest trusted bin: the unvisited-bin policy, see seem_harvest.hpp).
 */
struct StepView {
  int n_x1 = 0, n_tau = 0;
  double x1_min = 0, inv_dx1 = 0;            ///< bin ix = floor((x1 - x1_min) * inv_dx1)
  double tau_min = 0, inv_dtau = 0;          ///< bin it = floor((tau - tau_min) * inv_dtau)
  double dgamma = 1e-4;                      ///< strain increment per step
  double G0 = 25.9, uA = 0.101;              ///< elastic loading G(X1) = G0 (1 - X1/uA)
  const std::int32_t* source = nullptr;      ///< per bin: bin whose statistics are used
  const std::uint32_t* threshold = nullptr;  ///< per bin: event iff 32-bit draw < threshold
                                             ///< (= P(event) = lambda dgamma, scaled to 2^32)
  const std::uint32_t* ev_offset = nullptr;  ///< per bin: CSR offsets into ev_* (n_bins + 1)
  const float* ev_dtau = nullptr;            ///< plastic stress drop of each event (GPa)
  const float* ev_dx1 = nullptr;             ///< X1 change of each event (eV/atom)
  const double* lambda = nullptr;            ///< per bin: events per unit strain (Poisson process)
};

/// Flags returned by step(): what happened, for counters (poisson_step: events counted apart).
enum StepFlags : unsigned { step_event = 1u, step_fallback = 2u, step_outside = 4u, step_saturated = 8u };

/// Bin of a state, clamped into the grid; sets step_outside in flags when clamping was needed.
STZ_HD_INLINE int clamped_bin(const StepView& v, double x1, double tau, unsigned& flags) {
  // floor via comparison: the cast truncates toward zero, and negative offsets must clamp to 0.
  const double fx = (x1 - v.x1_min) * v.inv_dx1;
  const double ft = (tau - v.tau_min) * v.inv_dtau;
  int ix = fx < 0.0 ? -1 : static_cast<int>(fx < 1e9 ? fx : 1e9);
  int it = ft < 0.0 ? -1 : static_cast<int>(ft < 1e9 ? ft : 1e9);
  if (ix < 0 || ix >= v.n_x1 || it < 0 || it >= v.n_tau) {
    flags |= step_outside;
    ix = ix < 0 ? 0 : (ix >= v.n_x1 ? v.n_x1 - 1 : ix);
    it = it < 0 ? 0 : (it >= v.n_tau ? v.n_tau - 1 : it);
  }
  return ix * v.n_tau + it;
}

/**
 * @brief One SEEM strain increment of one trajectory (docs/seem.md).
 *
 * With probability lambda(X1, tau) dgamma a plastic event drawn uniformly from the events
 * recorded in the state's bin (the empirical joint distribution of (dtau_pl, dX1)):
 * tau += G dgamma - dtau_pl, X1 += dX1; otherwise elastic loading tau += G(X1) dgamma.
 * Random numbers: one Philox4x32-10 call keyed by seed with counter
 * (trajectory, step low 32 bits, stream << 16, step high 32 bits): words 0 and 1 decide and
 * select the event, independent of thread layout; with the same arithmetic on both (the CPU
 * build does not contract multiply-adds, cuda/seem_ensemble.cu is built with --fmad=false) CPU
 * and GPU give identical trajectories — to be confirmed on a GPU: `[seem][compare]` checks
 * them to a tolerance.
 * @return StepFlags of this step.
 */
STZ_HD_INLINE unsigned step(const StepView& v, double& x1, double& tau, std::uint64_t seed, std::uint32_t trajectory,
                            std::uint64_t step_index) {
  unsigned flags = 0;
  const int b0 = clamped_bin(v, x1, tau, flags);
  const int b = v.source[b0];
  if (b != b0) flags |= step_fallback;
  const double g = v.G0 * (1.0 - x1 / v.uA);
  const rng::Words r =
      rng::philox(trajectory, static_cast<std::uint32_t>(step_index & 0xffffffffu), seem_step_stream << 16,
                  static_cast<std::uint32_t>(step_index >> 32), static_cast<std::uint32_t>(seed & 0xffffffffu),
                  static_cast<std::uint32_t>(seed >> 32));
  tau += g * v.dgamma;
  if (r.w[0] < v.threshold[b]) {
    const std::uint32_t lo = v.ev_offset[b];
    const std::uint32_t n = v.ev_offset[b + 1] - lo;
    // multiply-shift maps the 32-bit word uniformly onto [0, n) without a division
    const std::uint32_t k = lo + static_cast<std::uint32_t>((static_cast<std::uint64_t>(r.w[1]) * n) >> 32);
    tau -= v.ev_dtau[k];
    x1 += v.ev_dx1[k];
    flags |= step_event;
  }
  return flags;
}

/// Where poisson_step writes each event it takes, when given one (host code: the trajectories
/// `seem run --save-trajectories` keeps); at most `capacity` events, `count` of them taken.
struct PoissonEventLog {
  double* strain = nullptr;  ///< strain into the increment at which the event happened
  double* tau = nullptr;     ///< the state just before it
  double* x1 = nullptr;
  double* dtau = nullptr;  ///< its plastic stress drop (GPa)
  double* dx1 = nullptr;   ///< its change of X1 (eV/atom)
  std::uint32_t capacity = 0, count = 0;
};

/**
 * @brief One strain increment dgamma of one trajectory under the continuous-strain event process
 * (`seem run --process poisson`, docs/seem.md): plastic events form a Poisson process in strain
 * whose intensity is the harvested lambda of the current state's bin; between events the state
 * loads elastically, tau += G(X1) dgamma, X1 fixed. Exact for the piecewise-constant lambda: an
 * exponential strain to the next event is drawn in the current bin; if the loading leaves the
 * bin (in tau: X1 does not move between events) first, the state moves to the bin's edge and a
 * fresh exponential is drawn in the next (the process is memoryless). Any number of events may
 * fall in one increment, so dgamma only sets where states are recorded: unlike step(), whose
 * event probability lambda dgamma saturates at 1, the process does not depend on it (the draws
 * do). The mean rate of plastic flow, lambda E[dtau_pl], is the harvested one, as in step() when
 * lambda dgamma << 1 (its limit for dgamma -> 0).
 *
 * Random numbers: Philox4x32-10 keyed by seed, counter (trajectory, step low 32 bits,
 * stream << 16 | k, step high 32 bits) for the k-th draw of the step: words 0 and 1 give the
 * exponential, word 2 selects the event.
 * @param events incremented by the events of this increment.
 * @param tau_peak raised to the highest stress the state reaches in the increment (just before
 * an event, or at its end), so that a trajectory's maximum does not depend on dgamma.
 * @param log where each event is written, or null.
 * @return StepFlags: step_fallback, step_outside when any lookup of the increment was redirected
 * or clamped; step_saturated when seem_poisson_max_draws were used up.
 */
STZ_HD_INLINE unsigned poisson_step(const StepView& v, double& x1, double& tau, std::uint64_t seed,
                                    std::uint32_t trajectory, std::uint64_t step_index, std::uint32_t& events,
                                    double& tau_peak, PoissonEventLog* log = nullptr) {
  unsigned flags = 0;
  const double dtau_bin = 1.0 / v.inv_dtau;
  double left = v.dgamma;  // strain still to go in this increment
  std::uint32_t k = 0;
  int entered = -1;  // the stress row just entered at its edge (the lookup could round to the old one)
  while (left > 0.0) {
    if (k == seem_poisson_max_draws) return flags | step_saturated;
    int b0 = clamped_bin(v, x1, tau, flags);
    if (entered >= 0) b0 = (b0 / v.n_tau) * v.n_tau + entered;
    entered = -1;
    const int b = v.source[b0];
    if (b != b0) flags |= step_fallback;
    const int it = b0 % v.n_tau;
    const double g = v.G0 * (1.0 - x1 / v.uA);
    // The strain to the edge of the bin's stress range along the loading (none past the grid's
    // first or last row: the clamped lookups keep that row's statistics).
    double exit = 1e300;
    if (g > 0.0 && it + 1 < v.n_tau) exit = (v.tau_min + (it + 1) * dtau_bin - tau) / g;
    if (g < 0.0 && it > 0) exit = (v.tau_min + it * dtau_bin - tau) / g;
    exit = exit > 0.0 ? exit : 0.0;  // a state rounded onto the far side of its edge
    const rng::Words r =
        rng::philox(trajectory, static_cast<std::uint32_t>(step_index & 0xffffffffu), (seem_poisson_stream << 16) | k,
                    static_cast<std::uint32_t>(step_index >> 32), static_cast<std::uint32_t>(seed & 0xffffffffu),
                    static_cast<std::uint32_t>(seed >> 32));
    ++k;
    const double rate = v.lambda[b] > 0.0 ? v.lambda[b] : 0.0;
    const double to_event = rate > 0.0 ? -std::log(rng::uniform_open0(r.w[0], r.w[1])) / rate : 1e300;
    if (to_event < left && to_event < exit) {
      tau += g * to_event;
      left -= to_event;
      tau_peak = tau > tau_peak ? tau : tau_peak;
      const std::uint32_t lo = v.ev_offset[b];
      const std::uint32_t n = v.ev_offset[b + 1] - lo;
      const std::uint32_t e = lo + static_cast<std::uint32_t>((static_cast<std::uint64_t>(r.w[2]) * n) >> 32);
      if (log && log->count < log->capacity) {
        log->strain[log->count] = v.dgamma - left;
        log->tau[log->count] = tau;
        log->x1[log->count] = x1;
        log->dtau[log->count] = v.ev_dtau[e];
        log->dx1[log->count] = v.ev_dx1[e];
        ++log->count;
      }
      tau -= v.ev_dtau[e];
      x1 += v.ev_dx1[e];
      ++events;
    } else if (exit < left) {
      // To the edge of the row; the next draw is in the row beyond it.
      tau = g > 0.0 ? v.tau_min + (it + 1) * dtau_bin : v.tau_min + it * dtau_bin;
      entered = it + (g > 0.0 ? 1 : -1);
      left -= exit;
    } else {
      tau += g * left;
      left = 0.0;
    }
  }
  tau_peak = tau > tau_peak ? tau : tau_peak;
  clamped_bin(v, x1, tau, flags);  // where the increment ends counts too
  return flags;
}

}  // namespace stz::seem
