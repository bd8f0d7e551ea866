#pragma once
/** @file
 * @brief Checkpoints: everything needed to continue a run bit-identically — the resolved
 * deck, the driver's state and results, the backend state with its catalog, and the output
 * bookkeeping (which snapshots exist, which are due).
 *
 * Written as DIR/NAME.ckpt.h5 through a temporary file and a rename; the one before is kept
 * as DIR/NAME.ckpt.prev.h5 (hard link, so NAME.ckpt.h5 exists at every instant).
 */
#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "driver.hpp"
#include "records.hpp"
#include "stz/state.hpp"

namespace stz::io {

/// Output state that is not physics: what the run loop needs to continue its schedule.
struct OutputBookkeeping {
  std::vector<SnapshotInfo> snapshots;  ///< snapshots in NAME.h5 when the checkpoint was taken
  std::uint64_t next_field_strain = 0;  ///< index into the sorted output.field_strains
  bool localization_snapshot = false;   ///< the <p> = 0.02 snapshot is taken
  double next_checkpoint_strain = 0.0;  ///< strain of the next strain-triggered checkpoint
  std::string start_time;               ///< of the first segment
  double wall_time_s = 0.0;             ///< summed over the segments before this one
  int segments = 1;
  std::string deck_source;
  std::string backend;                  ///< backend that wrote the checkpoint
};

struct Checkpoint {
  Deck deck;
  DriverState driver;
  DriverResults results;
  State state;  ///< with the catalog
  OutputBookkeeping output;
};

struct CheckpointPaths {
  std::string current, previous;
};
CheckpointPaths checkpoint_paths(const std::string& dir, const std::string& name);

/// Writes atomically to paths.current, keeping the former one as paths.previous.
void write_checkpoint(const CheckpointPaths& paths, const Checkpoint& c);
/// Reads and checks a checkpoint (format version, deck, array sizes).
Checkpoint read_checkpoint(const std::string& path);

}  // namespace stz::io
