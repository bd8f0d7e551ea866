#pragma once
/** @file
 * @brief A simulation session: `stzkmc run` and `stzkmc resume`. Drives the Driver pass by
 * pass and around it takes field snapshots, flushes the output, writes checkpoints (by
 * strain, by wall time, on SIGUSR1/SIGTERM/SIGINT) and reports progress.
 */
#include <cstdint>
#include <string>

#include "io/config.hpp"

namespace stz::io {

/// Exit codes of `stzkmc run` and `stzkmc resume` (README.md lists them).
enum ExitCode : int {
  exit_finished = 0,       ///< the run reached its end (end strain or stop stress)
  exit_error = 1,          ///< an error stopped the run; what was written is kept
  exit_bad_input = 2,      ///< nothing was run: invalid deck, --set or checkpoint, an
                           ///< unfinished run in the way, the run locked by another process
  exit_stalled = 3,        ///< the run made no progress and was stopped (run.max_stall_events)
  exit_interrupted = 130,  ///< SIGINT (Ctrl-C): checkpoint written, stopped; resume continues
  exit_terminated = 143,   ///< SIGTERM (e.g. Slurm time limit): checkpoint written, stopped
};

struct SessionOptions {
  std::string out_dir = ".";  ///< run: where NAME.h5, NAME.xdmf, NAME.ckpt.h5 go
  std::string backend;        ///< overrides run.backend when not empty
  int threads = -1;           ///< overrides run.threads when >= 0
  bool quiet = false;         ///< no progress line, warnings and errors only
  bool force = false;         ///< run: start afresh over an unfinished run of the same name
  bool from_prev = false;     ///< resume: if the checkpoint is refused, use NAME.ckpt.prev.h5
  std::string append_stages;  ///< resume: a file of [[stage]] tables to append (io::append_stages)
  std::string command;        ///< the command line, recorded in /meta
  /// Test hook: behave as if SIGTERM arrived once the driver has done this many passes
  /// (0: never). Makes interruption tests deterministic.
  std::uint64_t stop_after_passes = 0;
};

/// Runs a checked deck from the start; returns an ExitCode.
int run_deck(Deck deck, const std::string& deck_source, const SessionOptions& options);

/// Continues the run of a checkpoint; outputs stay beside the checkpoint. Returns an ExitCode.
int resume_run(const std::string& checkpoint_path, const SessionOptions& options);

/// spdlog to stderr ("[time] level: message"); `quiet` shows warnings and errors only.
void setup_logging(bool quiet);

}  // namespace stz::io
