#pragma once
/** @file
 * @brief Checkpoints: everything needed to continue a run bit-identically — the resolved
 * deck, the driver's state and results, the backend state with its catalog, and the output
 * bookkeeping (which snapshots exist, which are due).
 *
 * Written as DIR/NAME.ckpt.h5 through a temporary file, read back whole and verified, then
 * renamed into place; the one before is kept as DIR/NAME.ckpt.prev.h5 (hard link, so
 * NAME.ckpt.h5 exists at every instant). Format 2 guards every bit: HDF5's newest format
 * checksums the file's structure, every dataset carries Fletcher32 checksums, and /meta holds
 * a digest of the whole content (digest.hpp) that is recomputed at every read. A restored
 * state is also range-checked (finite values, softening within its cap, consistent counters).
 */
#include <cstdint>
#include <string>
#include <vector>

#include "core/driver.hpp"
#include "io/config.hpp"
#include "io/records.hpp"
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
  std::string backend;  ///< backend that wrote the checkpoint
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

/// Writes atomically to paths.current, keeping the former one as paths.previous (unless
/// `keep_previous` is false: the first checkpoint of a run that replaces an older one).
void write_checkpoint(const CheckpointPaths& paths, const Checkpoint& c, bool keep_previous = true);
/**
 * @brief Reads and checks a checkpoint: format, checksums, digest, array sizes, value ranges.
 * Throws std::runtime_error naming what is wrong. A format-1 file (no digest) is accepted
 * with a `warning`; `digest` receives the digest of the content read.
 */
Checkpoint read_checkpoint(const std::string& path, std::string* warning = nullptr, std::uint64_t* digest = nullptr);
/// output.name of the run a checkpoint belongs to (reads only its deck).
std::string checkpoint_run_name(const std::string& path);

}  // namespace stz::io
