#pragma once
/** @file
 * @brief A loading protocol (docs/model.md §6): what the loading controls, how the mean strain
 * follows time and plastic events, which scalar "loaded" quantities describe it, when a curve
 * point is due and when the run ends. The Driver asks only this interface. Protocols:
 * strain control at a rate (protocols/strain_control.hpp), cyclic straining and stress cycles
 * (cyclic.hpp, stress_cycles.hpp), and the held loads creep and relaxation (held_load.hpp,
 * creep.hpp, relaxation.hpp); all state their
 * loaded quantities in loading.mode through the base's StrainLaw.
 *
 * A run may chain stages (docs/model.md §6.8): the driver builds one protocol per stage, each
 * told where its stage begins (StageStart) and counting its schedule and end from there.
 *
 * A new protocol (sinusoidal cycles, say) is one class derived from this one in protocols/, one
 * line in make_protocol (protocol.cpp), and its deck keys (docs/architecture.md).
 */
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "stz/loading/strain_law.hpp"
#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"

namespace stz {

/// Where a stage of the loading begins (docs/model.md §6.8), taken before the stage's protocol
/// applies its own load (creep's held stress): all zero for the first stage. Checkpointed with
/// the driver's state, so that a protocol built again on resume is the same.
struct StageStart {
  std::uint32_t index = 0;            ///< 0-based stage number
  double time = 0.0;                  ///< s
  double applied_strain = 0.0;        ///< the applied-strain column
  double loaded_strain = 0.0;         ///< the loaded mean strain (relaxation holds it)
  double loaded_stress = 0.0;         ///< the loaded mean stress (stress cycles start from it)
  std::uint64_t transformations = 0;  ///< thermal events + athermal flips before the stage
};

class LoadingProtocol {
 public:
  /// law_: strain control's formulas for the deck's loading.mode on `medium`; every protocol
  /// states its loaded quantities with them and may move the mean strain by them.
  /// `start`: where its stage begins (one stage: all zero).
  LoadingProtocol(const Params& params, const ElasticMedium& medium, const StageStart& start)
      : law_(make_strain_law(params, medium)), start_(start) {}
  virtual ~LoadingProtocol() = default;

  /// The medium whose mean-stress law the protocol works with (stz/physics/medium.hpp).
  const ElasticMedium& medium() const { return law_.medium; }
  /// sigma_bar = C : (eps_bar - <p>).
  Sym2 mean_stress(const Sym2& mean_strain, double p1_mean, double p3_mean) const {
    return stz::mean_stress(law_.medium, mean_strain, p1_mean, p3_mean);
  }

  // ---- Time and the mean strain ----------------------------------------------------------------
  /// The mean strain once the stage has begun, from the one it begins at (creep: the held
  /// stress applied at once; the first relaxation stage: its strain applied at once).
  virtual Sym2 stage_start_strain(const Sym2& mean_strain, double /*p1_mean*/, double /*p3_mean*/) const {
    return mean_strain;
  }
  /// The longest time one pass may advance (one elastic step), for the step that began at
  /// `step_start` (stress cycles end a step at each turning point).
  virtual double step_time(double step_start) const = 0;
  /// Time advances from `time` by dt with <p> fixed: the applied (controlled) strain and the
  /// mean strain.
  virtual void advance(double time, double dt, double p1_mean, double p3_mean, double& applied,
                       Sym2& mean_strain) const = 0;
  /// The mean strain after <p> changed (plastic events) at fixed time.
  virtual Sym2 after_plastic_change(const Sym2& mean_strain, double applied, double p1_mean, double p3_mean) const = 0;
  /// The applied-strain column after a plastic change (creep: it follows the loaded strain).
  virtual double applied_after_plastic_change(double applied, const Sym2& /*mean_strain*/) const { return applied; }
  /// The applied-strain column once the stage has begun (after stage_start_strain).
  virtual double stage_start_applied(double applied, const Sym2& mean_strain) const {
    return applied_after_plastic_change(applied, mean_strain);
  }

  // ---- The scalars a user reads (signed so that they grow during loading; docs/model.md §6.1) ---
  double loaded_stress(const Sym2& mean_stress) const { return law_.loaded_stress(mean_stress); }
  double loaded_strain(const Sym2& mean_strain) const { return law_.loaded_strain(mean_strain); }
  double loaded_plastic_strain(double p1_mean, double p3_mean) const {
    return law_.loaded_plastic_strain(p1_mean, p3_mean);
  }

  // ---- Schedule and end --------------------------------------------------------------------------
  /// The coordinate curve points and the stall watchdog go by, counted from the stage's start
  /// (strain control: the applied strain travelled).
  virtual double schedule_coordinate(double time, double applied) const = 0;
  /// A curve point every this much of the schedule coordinate.
  virtual double record_interval() const = 0;
  /// One unit of progress of the schedule coordinate (the stall watchdog counts transformations
  /// between such units).
  virtual double progress_unit() const = 0;
  /// What one progress_unit of the schedule is, for the stall watchdog's messages.
  virtual std::string progress_text() const { return "the applied strain advancing by one loading.strain_step"; }
  /// How far the stage has come towards its protocol's own end, 0 to 1 (for the progress line
  /// and its ETA; not a result).
  virtual double stage_progress(double time, double applied, const Sym2& mean_strain) const = 0;
  /// Empty while the stage goes on; otherwise why it ends (the driver adds the end conditions
  /// every protocol has: loading.end_stress, end_plastic_strain, end_events).
  virtual std::string end_reason(const Sym2& mean_strain, const Sym2& mean_stress, double time) const = 0;

  // ---- The device-resident loop --------------------------------------------------------------------
  /// The protocol as plain data the CUDA device loop can evaluate (stz/loading/strain_law.hpp),
  /// or null: then every pass runs on the host (solver.gpu_loop = "device" falls back).
  virtual const StrainLaw* device_law() const { return nullptr; }

 protected:
  /// Where a strain-controlled stage's applied strain begins: the applied-strain column, or under
  /// the "exact" condition, where the applied strain is the loaded strain itself, the loaded
  /// strain (after stress cycles the column holds sigma / M, which lags the loaded strain by the
  /// plastic strain: holding it would make the strain jump).
  double start_applied_strain() const {
    return law_.condition == LoadingCondition::exact ? start_.loaded_strain : start_.applied_strain;
  }

  StrainLaw law_;     ///< strain control's formulas in loading.mode (stz/loading/strain_law.hpp)
  StageStart start_;  ///< where the stage begins
};

/// The protocol `params` ask for (loading.protocol: strain rate, creep, relaxation or cyclic, in
/// loading.mode; a stage's: stage_params), on the medium the backend solves (Backend::medium),
/// for a stage that begins at `start`.
std::unique_ptr<LoadingProtocol> make_protocol(const Params& params, const ElasticMedium& medium,
                                               const StageStart& start = {});

}  // namespace stz
