#pragma once
/** @file
 * @brief Plain parameter structs of the HR-STZ model (docs/model.md).
 *
 * Defaults are the "reference" profile: they reproduce the published model.
 * No parsing here (that lives in host/io/config.cpp); validate() checks ranges.
 * The deck keys are `section.field` with the names used below.
 */
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace stz {

/// 2D elastic medium (docs/model.md §3).
enum class Medium { reference, plane_strain };
/// Thermal event rule (docs/model.md §5.3).
enum class ThermalRule { reference, probabilistic, residence_time, bounded };
/// When a thermal transformation is dated (t_last, from which its temporary softening decays):
/// at the start of the pass that chose it, as the published code does ("pass"), or at the time
/// it happens ("event"; rules residence-time and bounded). docs/model.md §5.3.
enum class SofteningClock { pass, event };
/// Who runs the kMC loop on the CUDA backend: the host, pass by pass (two round trips per
/// event), or the device, stretches of solver.gpu_loop_chunk passes (docs/cuda.md).
enum class GpuLoop { host, device };
/// Arithmetic of the exhaustive pass on the cpu backend: every barrier and rate in double, or
/// barriers, exponentials and per-voxel sums in float with sums over voxels in double
/// ("mixed"; docs/performance.md states its error budget).
enum class Precision { full_double, mixed };
/// What cyclic loading cycles (loading.cyclic_control): the applied strain or the loaded stress.
enum class CyclicControl { strain, stress };
/// Athermal avalanche variant (docs/model.md §5.2).
enum class AthermalVariant { simultaneous, single };
/// How the mean strain follows the applied strain (docs/model.md §6.2).
enum class LoadingCondition { reference, exact };
/// What the loading holds (docs/model.md §6): the strain rate (loading.strain_rate, to
/// loading.end_strain), the loaded stress ("creep": loading.creep_stress applied at t = 0 and
/// held, to loading.end_time or loading.end_strain), or the loaded strain ("relaxation":
/// loading.relaxation_strain applied at t = 0 and held, to loading.end_time or stop_stress), or
/// a triangular cycle of the applied strain ("cyclic": loading.cyclic_amplitude about
/// loading.cyclic_mean at loading.strain_rate, loading.cycles cycles).
enum class LoadingProtocolKind { strain_rate, creep, relaxation, cyclic };
/// Loading mode: the single loaded component; the others are held stress free.
enum class LoadingMode { tension, compression, shear };
/// Direction factor D in the softened barrier (docs/model.md §4).
enum class DirectionFactor { square_forward, none };

struct GridParams {
  int n = 64;               ///< voxels per side (N), periodic
  int modes = 20;           ///< shear modes per voxel (M)
  double voxel_size = 0.7;  ///< l0, nm
  double thickness = 1.0;   ///< out-of-plane thickness, nm (V = l0^2 * thickness)
};

/// The stress operator at the (N/2, N/2) wave vector of an even grid (docs/model.md §3.3).
enum class NyquistConvention { zero, published };

struct ElasticParams {
  double youngs_modulus = 69.46;  ///< E, GPa
  double poisson_ratio = 0.365;   ///< nu (3D)
  Medium medium = Medium::reference;
  NyquistConvention nyquist = NyquistConvention::zero;
};

struct CatalogParams {
  double barrier_mean = 2.0;  ///< mean stress-free barrier, eV
  double barrier_std = 0.25;  ///< its standard deviation, eV
  double gamma_star = 0.14;   ///< SFTS scale: e1, e3 ~ N(0, (gamma*/2)^2)
};

struct KineticsParams {
  double temperature = 300.0;       ///< K
  double attempt_frequency = 1e13;  ///< nu0, 1/s
  double activation_energy = 0.37;  ///< Q_act of the softening relaxation time, eV
  ThermalRule rule = ThermalRule::reference;
  /// Rule "bounded": how far (in kT) a voxel's rate bound may lie above its rate when refreshed.
  double bound_slack = 2.0;
  SofteningClock softening_clock = SofteningClock::pass;
};

struct SofteningParams {
  double kappa_p = 13.0;                 ///< permanent softening per unit e:e
  double kappa_t = 39.0;                 ///< temporary softening per unit e:e
  double eta_max = 0.51082562376599068;  ///< cap of permanent softening (-ln 0.6)
  DirectionFactor direction = DirectionFactor::square_forward;
};

struct AthermalParams {
  double threshold = 0.33;  ///< Q_ath, eV: voxels with min barrier below it flip in an athermal pass
  AthermalVariant variant = AthermalVariant::simultaneous;
};

struct LoadingParams {
  LoadingProtocolKind protocol = LoadingProtocolKind::strain_rate;
  LoadingMode mode = LoadingMode::tension;
  LoadingCondition condition = LoadingCondition::reference;
  double strain_rate = 1e-4;      ///< 1/s
  double strain_step = 1e-4;      ///< applied strain per elastic step
  double end_strain = 0.06;       ///< stop when the mean strain in the loading direction reaches it
                                  ///< (a deck in shear that does not set it: shear_default_end_strain)
  double record_interval = 5e-4;  ///< curve point every this much applied strain
  double stop_stress = -0.5;      ///< stop if the loaded stress falls below this, GPa
  // Creep and relaxation (protocol = creep, relaxation).
  double creep_stress = 1.0;           ///< creep: the loaded stress applied at t = 0 and held, GPa
  double relaxation_strain = 0.03;     ///< relaxation: the loaded strain applied at t = 0 and held
  double end_time = 1e4;               ///< creep and relaxation end at this time, s
  double time_step = 1.0;              ///< the longest time one pass advances (rates frozen over it), s
  double end_relaxed_fraction = 0.0;   ///< relaxation ends when 1 - stress/initial stress reaches it (0: off)
  double end_creep_rate_factor = 0.0;  ///< creep ends when its rate exceeds this times its minimum (0: off)
  // Cyclic (protocol = cyclic): the applied strain between mean - amplitude and mean + amplitude.
  double cyclic_amplitude = 0.02;  ///< strain amplitude
  double cyclic_mean = 0.0;        ///< mean applied strain of the cycles
  int cycles = 3;                  ///< full cycles (top - bottom - top) after the first rise
  /// "stress": the loaded stress cycles (amplitude and mean in GPa) at stress_rate.
  CyclicControl cyclic_control = CyclicControl::strain;
  double stress_rate = 0.007;  ///< GPa/s: stress cycles (E* x 1e-4/s with the reference medium)
  // End conditions any protocol may add (docs/model.md §6.8): off at their defaults.
  double end_stress = 1000.0;       ///< the stage ends when the loaded stress rises to this, GPa
  double end_plastic_strain = 0.0;  ///< ... when the loaded plastic strain (from the run's start) reaches this (0: off)
  std::uint64_t end_events = 0;     ///< ... after this many transformations in the stage (0: off)
};

/// One stage of a staged run (a deck's [[stage]] tables, docs/model.md §6.8): its loading (mode
/// and condition are those of [loading]: the same for every stage) and its temperature.
struct LoadingStage {
  LoadingParams loading;
  double temperature = 300.0;  ///< K
};

struct SolverParams {
  int full_solve_interval = 2000;                ///< thermal events between full FFT solves
  bool cache_softened_barriers = true;           ///< reuse dF*exp(-D eta) while eta is unchanged
  GpuLoop gpu_loop = GpuLoop::host;              ///< "device": stretches of passes without the host
  int gpu_loop_chunk = 64;                       ///< passes per stretch of the device loop at most
  bool gpu_l2_window = true;                     ///< keep the softened barriers in the GPU's persisting L2
  Precision precision = Precision::full_double;  ///< "mixed": float barriers and rates (cpu backend)
};

/** @brief Every parameter of a run. */
struct Params {
  GridParams grid;
  ElasticParams elastic;
  CatalogParams catalog;
  KineticsParams kinetics;
  SofteningParams softening;
  AthermalParams athermal;
  LoadingParams loading;
  /// The stages of a staged run, in order; empty: one stage, `loading` at kinetics.temperature.
  std::vector<LoadingStage> stages;
  SolverParams solver;
  std::uint64_t seed = 1;
  bool record_events = false;  ///< keep a per-event catalogue (time, voxel, mode, Q, branch)
  /// Stop a run that makes no progress after this many transformations without the applied
  /// strain advancing by one loading.strain_step (0: automatic, stall_event_limit()).
  std::uint64_t max_stall_events = 0;
};

/**
 * @brief Constants derived from Params that kernels need, as one trivially copyable struct
 * (passed by value to CUDA kernels).
 */
struct PhysicsConstants {
  int n;
  int modes;
  double volume_nm3;      ///< V = l0^2 * thickness
  double half_volume_ev;  ///< V/2 in eV/GPa: Q = A - half_volume_ev * W
  double kT;              ///< eV
  double inv_kT;          ///< 1/eV
  double rate_prefactor;  ///< nu0 * V' (1/s); the published code uses nu0 times V in nm^3
  double tau;             ///< relaxation time of temporary softening, s
  double kappa_p, kappa_t, eta_max;
  bool direction_factor;  ///< false: D = 1 (softening.direction = "none")
  double barrier_mean, barrier_std, gamma_star;
};

/// Computes the derived constants (docs/model.md §4).
PhysicsConstants derive_constants(const Params& p);

/// Stages of a run: params.stages.size(), or 1 when the deck has no [[stage]] list.
std::size_t stage_count(const Params& p);
/// The parameters stage k (0-based) runs with: `p` with its loading and temperature (the deck
/// itself when it has no [[stage]] list).
Params stage_params(const Params& p, std::size_t k);

/// Transformations (thermal events + athermal flips) without the applied strain advancing by one
/// strain step after which a run counts as stalled: max_stall_events, or 10 N^2 when it is 0
/// (ten per voxel within one strain step; a whole run to 6 % strain takes about one per voxel).
std::uint64_t stall_event_limit(const Params& p);

/// Bounds validate() puts on a run's length: elastic steps to the end strain, curve points.
constexpr double max_elastic_steps = 1e9;
constexpr double max_curve_points = 1e7;
/// loading.end_strain of a shear deck that does not set it: twice the engineering shear strain at
/// the stress peak (~0.06 with the reference profile), as 0.06 is for tension (peak at ~0.035).
constexpr double shear_default_end_strain = 0.12;
/// loading.end_strain of a creep [[stage]] after the first that does not set it: 100 %, never
/// reached (the stage ends by its time).
constexpr double unreached_creep_strain = 1.0;
/// The most [[stage]] tables a deck may hold.
constexpr std::size_t max_stages = 1000;
/// The longest stretch of the device loop (solver.gpu_loop_chunk): its event records are sized by it.
constexpr int max_gpu_loop_chunk = 4096;

/// Throws std::invalid_argument naming the key, the value and what is allowed.
void validate(const Params& p);

std::string to_string(Medium v);
std::string to_string(ThermalRule v);
std::string to_string(SofteningClock v);
std::string to_string(GpuLoop v);
std::string to_string(LoadingProtocolKind v);
std::string to_string(Precision v);
std::string to_string(CyclicControl v);
std::string to_string(NyquistConvention v);
std::string to_string(AthermalVariant v);
std::string to_string(LoadingCondition v);
std::string to_string(LoadingMode v);
std::string to_string(DirectionFactor v);

}  // namespace stz
