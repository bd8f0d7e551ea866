#pragma once
/** @file
 * @brief Forward stochastic integration of SEEM ensembles (CPU threads, or one GPU thread per
 * trajectory when built with CUDA and a device exists) and their statistics.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "seem/seem_harvest.hpp"
#include "stz/seem/model.hpp"

namespace stz::seem {

struct RunOptions {
  double x1_start = 0.0;        ///< eV/atom
  double tau_start = 0.0;       ///< GPa
  double dgamma = 0.0;          ///< strain step; 0 = the database's training step
  double gamma_max = 0.3;       ///< final strain
  std::int64_t n_traj = 10000;  ///< ensemble size
  int record_every = 10;        ///< record the state every this many steps (and at the end)
  std::uint64_t seed = 1;
  int threads = 0;              ///< CPU threads; 0 = OpenMP default
  std::string device = "auto";  ///< auto | cpu | cuda
  std::vector<double> percentiles{5, 25, 50, 75, 95};
  bool record = true;  ///< false: benchmark mode, only final states are kept
  /// "steps": an event with probability lambda dgamma per strain step (the paper's process);
  /// "poisson": events as a Poisson process in strain (seem::poisson_step; CPU only).
  std::string process = "steps";
  /// Also keep the first this many trajectories whole (RunResult::samples; computed on the CPU
  /// with the ensemble's random numbers, so they are its first members).
  std::int64_t save_trajectories = 0;
};

/// Whole trajectories of an ensemble (`seem run --save-trajectories N`): the state at every
/// record point and every step that held an event.
struct TrajectorySamples {
  std::int64_t n = 0;
  std::vector<float> x1, tau;  ///< [n][record points]
  /// Events, trajectory after trajectory (CSR: ev_offset[n + 1]): the strain at which it
  /// happened (steps: the end of its step; poisson: its own strain), the state just before it
  /// (steps: at the start of its step), its plastic stress drop dtau_pl (steps: G(X1) dgamma -
  /// (tau after - tau before)) and change of X1, and ev_count (1: one event per record).
  std::vector<std::uint64_t> ev_offset;
  std::vector<double> ev_gamma, ev_tau, ev_x1, ev_dtau, ev_dx1;
  std::vector<std::uint32_t> ev_count;
};

struct RunResult {
  std::vector<double> gamma;                 ///< strain at each record point
  std::vector<double> mean_tau, mean_x1;     ///< ensemble means
  std::vector<double> sd_tau, sd_x1;         ///< ensemble standard deviations
  std::vector<double> percentiles;           ///< which percentiles (%)
  std::vector<std::vector<double>> pct_tau;  ///< [percentile][record]
  std::vector<std::vector<double>> pct_x1;
  std::int64_t n_traj = 0, n_steps = 0;   ///< per trajectory
  std::int64_t events = 0;                ///< all plastic events of the ensemble
  std::int64_t fallback_lookups = 0;      ///< steps whose bin was redirected (untrusted bin or lambda policy)
  std::int64_t outside_lookups = 0;       ///< steps outside the grid (clamped to the edge)
  std::int64_t trajectories_outside = 0;  ///< trajectories with at least one such step
  std::int64_t saturated_steps = 0;       ///< poisson: steps cut short at seem_poisson_max_draws
  /// The largest event probability per step, lambda dgamma, over the bins the database trusts
  /// ("steps" assumes it << 1; above 1 it is cut to 1).
  double max_step_probability = 0.0;
  double peak_tau_mean = 0, peak_tau_sd = 0;  ///< per-trajectory maximum stress (yield), GPa
  double seconds = 0.0;                       ///< wall time of the integration only
  std::string backend;                        ///< "cpu (N threads)" or "cuda (...)"
  std::string process;                        ///< RunOptions::process
  TrajectorySamples samples;                  ///< RunOptions::save_trajectories of them
  double steps_per_second() const {
    return seconds > 0 ? static_cast<double>(n_traj) * static_cast<double>(n_steps) / seconds : 0.0;
  }
};

/// Host-owned tables behind a StepView (thresholds from lambda and dgamma).
struct StepTables {
  std::vector<std::int32_t> source;
  std::vector<double> lambda;  ///< per bin, 0 where unvisited (the Poisson process's intensity)
  std::vector<std::uint32_t> threshold, ev_offset;
  std::vector<float> ev_dtau, ev_dx1;
  StepView view() const;  ///< view with host pointers
  StepView base;          ///< scalars (grid, dgamma, G0, uA)
};

/// Percentile p (0..100) of sorted values, linear between order statistics (numpy's default).
double percentile_sorted(const std::vector<double>& v, double p);

/// Builds the step tables for strain step dgamma (> 0). Throws when the database is empty.
StepTables make_step_tables(const Database& db, double dgamma);

/// Empty when (x1, tau) lies inside the database's state-space grid; else what lies outside
/// (there the model only extrapolates: lookups are clamped to the edge bins).
std::string start_outside_data(const Database& db, double x1, double tau);

/// Runs an ensemble and reduces it to means and percentiles. Throws on invalid options.
RunResult run_ensemble(const Database& db, const RunOptions& opt);

/// Raw trajectories of a few members (for tests and plots): states after every step,
/// [traj][step + 1] with index 0 the start state. CPU only.
void run_trajectories(const Database& db, const RunOptions& opt, std::int64_t n, std::vector<std::vector<double>>& x1,
                      std::vector<std::vector<double>>& tau, std::vector<std::int64_t>& events_per_traj);

/// Writes a run (curves, options, counters) to HDF5.
void write_run(const std::string& path, const RunResult& r, const RunOptions& opt, const std::string& database_path);

}  // namespace stz::seem
