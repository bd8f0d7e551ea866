#pragma once
/** @file
 * @brief The run's output: NAME.h5 (HDF5) and its XDMF sidecar NAME.xdmf for ParaView.
 *
 * Layout (README.md describes it for users):
 *   /meta                attributes: version, commit, backend, device, threads, seed, times, status
 *   /deck                the resolved deck as TOML text; one attribute per key
 *   /curve               table, one row per recorded point (records.hpp)
 *   /fields/NNNN/<field> (N, N) arrays (row y, column x); snapshot attributes on the group
 *   /analysis            yield, localization (extreme sites, SLI), avalanche statistics
 *   /avalanches          sizes (flips) of the athermal avalanches, in order
 *   /events              optional table of every transformation (run.record_events)
 *
 * Every flush rewrites the whole file under a temporary name, closes it (checked), reads it
 * back, and only then renames it over NAME.h5 (atomic_file.hpp), so the file on disk is always
 * complete, closed and verified: h5py can read a running job's output, and a crash, a kill or
 * a full disk never corrupts what was written. Field snapshots already on disk are copied from
 * the previous file one at a time, so memory holds at most the new snapshots of one flush.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "core/driver.hpp"
#include "io/config.hpp"
#include "io/records.hpp"

namespace stz::io {

/// The /meta attributes.
struct RunMeta {
  std::string backend;  ///< resolved: "cpu" or "cuda"
  std::string device;   ///< the backend's device description
  int threads = 0;      ///< CPU threads used (0 for CUDA)
  std::uint64_t seed = 0;
  std::string start_time;          ///< ISO 8601, of the first segment
  std::string end_time;            ///< empty until the run stops
  double wall_time_s = 0.0;        ///< summed over all segments (run + resumes)
  int segments = 1;                ///< 1 + number of resumes
  std::string status = "running";  ///< running | finished | interrupted | failed
  std::string stop_reason;
  std::string deck_source;  ///< deck file given to `run`
  std::string command;      ///< command line of the latest segment
  std::string host;
};

class OutputWriter {
 public:
  /**
   * @param committed snapshots already in an existing DIR/NAME.h5 (resume); ones missing
   * from that file are dropped with a warning.
   */
  OutputWriter(const std::string& dir, const std::string& name, int n, double voxel_size, double thickness,
               std::vector<SnapshotInfo> committed = {});

  const std::string& h5_path() const { return h5_path_; }
  const std::string& xdmf_path() const { return xdmf_path_; }
  /// Snapshots so far (on disk and pending), in order.
  const std::vector<SnapshotInfo>& snapshots() const { return snapshots_; }
  /// Index the next snapshot gets.
  int next_index() const { return snapshots_.empty() ? 0 : snapshots_.back().index + 1; }

  /// Queues a field snapshot for the next flush.
  void add_snapshot(const SnapshotInfo& info, FieldSet fields);

  /// Rewrites NAME.h5 and NAME.xdmf atomically with everything so far.
  void flush(const RunMeta& meta, const Deck& deck, const DriverResults& results, const RunAnalysis& analysis);

  /// Wall seconds the last flush took (to pace periodic flushes).
  double last_flush_seconds() const { return last_flush_s_; }

 private:
  /// True when every field of snapshot `index` is in `file` with the grid's shape.
  bool snapshot_readable(hid_t file, int index) const;
  /// Reads a freshly written output back; throws FileError if it is not what was written.
  void verify(const std::string& path, const RunMeta& meta, const DriverResults& results) const;

  std::string h5_path_, xdmf_path_;
  int n_;
  double voxel_size_, thickness_;
  std::vector<SnapshotInfo> snapshots_;
  std::size_t on_disk_ = 0;  ///< snapshots_[0, on_disk_) are in the file on disk
  std::vector<FieldSet> pending_;
  double last_flush_s_ = 0.0;
};

/// The XDMF document: a temporal collection (time = snapshot strain) of N x N x 1 cell grids
/// whose cell attributes reference `h5_file:/fields/NNNN/<field>`.
std::string xdmf_document(const std::string& h5_file, int n, double voxel_size, double thickness,
                          const std::vector<SnapshotInfo>& snapshots);

/// Writes the /deck dataset (TOML text) with one attribute per key.
void write_deck(hid_t file, const Deck& deck, const std::string& source);

}  // namespace stz::io
