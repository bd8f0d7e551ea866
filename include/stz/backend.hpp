#pragma once
/** @file
 * @brief The backend interface: coarse whole-grid operations, never per-voxel virtual calls.
 *
 * A backend owns the catalog, the per-voxel state and the stress fluctuation field. The
 * driver owns time, the mean strain and stress (loading) and the kMC random draws, so it
 * never knows which backend runs. Every backend computes the same physics: the formulas live
 * in include/stz/physics and the random numbers in include/stz/rng.hpp. Backends are created
 * by name in host/backends/factory.hpp, above them; nothing here knows which exist.
 */
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stz/params.hpp"
#include "stz/physics/elastic.hpp"
#include "stz/state.hpp"

namespace stz {

/// Result of one barrier/rate pass over all N^2 M voxel-modes.
struct RateSummary {
  bool any_unstable = false;      ///< some Q < 0: an athermal pass must follow
  double min_barrier = 0.0;       ///< smallest Q, eV
  double shifted_rate_sum = 0.0;  ///< S = sum exp(-(Q - Q_min)/kT); total rate R = prefactor e^(-Q_min/kT) S
};

/// One voxel-mode and its barrier when chosen.
struct Event {
  std::uint32_t voxel = 0;
  std::uint32_t mode = 0;
  double barrier = 0.0;
};

/// Change of the summed eigenstrain by one or more transformations.
struct PlasticIncrement {
  double dp1_sum = 0.0;
  double dp3_sum = 0.0;
  std::uint64_t flips = 0;
};

struct BackendOptions {
  int threads = 0;  ///< CPU threads (0: OpenMP default)
  int device = 0;   ///< CUDA device ordinal
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  /// Human-readable description of the hardware (CPU threads, GPU name).
  virtual std::string device_description() const = 0;

  /// Draws the catalog from the seed (rng.hpp layout), zeroes the state and fields.
  virtual void initialize() = 0;

  /**
   * @brief Computes eta(t), Q and the shifted rates of every voxel-mode under the local
   * stress fluctuation + mean_stress. Keeps them for select_thermal_event/athermal_pass.
   */
  virtual RateSummary compute_barriers_and_rates(double time, const Sym2& mean_stress) = 0;

  /// The first voxel-mode whose cumulative shifted rate reaches u * S (u in [0, 1)).
  virtual Event select_thermal_event(double u) = 0;

  /**
   * @brief One athermal pass from the last computed barriers: every voxel whose smallest
   * barrier is below the threshold transforms in its argmin mode (variant simultaneous), or
   * only the voxel with the most negative barrier (variant single). Does not re-solve.
   * Appends the flipped events to `flipped` when not null (voxel order).
   */
  virtual PlasticIncrement athermal_pass(double time, std::vector<Event>* flipped) = 0;

  /**
   * @brief Transforms one voxel-mode at `time` (MODEL.md 1.6) and updates the stress
   * fluctuation with the single-voxel real-space kernel.
   */
  virtual PlasticIncrement transform(const Event& event, double time) = 0;

  /// Recomputes the stress fluctuation from the eigenstrain field by FFT.
  virtual void full_solve() = 0;

  /// The elastic medium its solver solves: the loading takes the mean-stress law from here.
  virtual ElasticMedium medium() const = 0;

  /**
   * @brief Bytes this backend reads and writes in one barrier/rate pass (its memory-traffic
   * model), so `stzkmc bench` can report achieved bandwidth. 0 if unknown.
   */
  virtual double bytes_per_pass() const { return 0.0; }
  /// Measured copy bandwidth of the memory the backend works in, bytes/s (0 if unknown).
  virtual double copy_bandwidth() { return 0.0; }

  /// Copies the state to the host (catalog included only if with_catalog).
  virtual void download(State& state, bool with_catalog) = 0;
  /// Replaces the whole state (catalog included).
  virtual void upload(const State& state) = 0;
};

}  // namespace stz
