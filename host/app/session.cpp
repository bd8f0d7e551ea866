#include "app/session.hpp"

#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <memory>
#include <stdexcept>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "app/progress.hpp"
#include "app/resources.hpp"
#include "app/run_lock.hpp"
#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "io/atomic_file.hpp"
#include "io/build_info.hpp"
#include "io/checkpoint.hpp"
#include "io/h5.hpp"
#include "io/output.hpp"
#include "stz/backend.hpp"

namespace stz::io {

namespace fs = std::filesystem;

// ---- Signals -------------------------------------------------------------------------------
// Handlers only set flags; the loop acts on them between passes, where the state is whole.

namespace {

volatile std::sig_atomic_t g_sigterm = 0, g_sigint = 0, g_sigusr1 = 0;

extern "C" void on_signal(int sig) {
  if (sig == SIGTERM) g_sigterm = 1;
  if (sig == SIGUSR1) g_sigusr1 = 1;
  if (sig == SIGINT) {
    if (g_sigint) {  // a second Ctrl-C: stop at once, without a checkpoint
      std::signal(SIGINT, SIG_DFL);
      std::raise(SIGINT);
    }
    g_sigint = 1;
  }
}

/// Installs the handlers for the lifetime of a session and restores the previous ones.
class SignalScope {
 public:
  SignalScope() {
    g_sigterm = g_sigint = g_sigusr1 = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // file writes in progress continue after the handler
    for (int i = 0; i < 3; ++i) sigaction(signals_[i], &sa, &previous_[i]);
  }
  ~SignalScope() {
    for (int i = 0; i < 3; ++i) sigaction(signals_[i], &previous_[i], nullptr);
  }

 private:
  const int signals_[3] = {SIGTERM, SIGINT, SIGUSR1};
  struct sigaction previous_[3];
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// The output is rewritten as a whole, so periodic flushes are spaced to cost at most ~5 %
/// of the wall time, and never more often than every flush_min_interval seconds.
constexpr double flush_min_interval = 10.0;
constexpr double flush_cost_factor = 20.0;

/// Longest suffix a run appends to NAME ("NAME.ckpt.prev.h5.tmp-<pid>").
constexpr std::size_t longest_suffix = 32;

/// Checks, before anything is created, that every file of the run can be named there.
void check_output_location(const std::string& dir, const std::string& name) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::invalid_argument("--out " + dir + " exists and is not a directory");
  const std::string longest = (fs::absolute(dir) / name).string();
  if (longest.size() + longest_suffix >= 4096)
    throw std::invalid_argument("the output directory " + dir +
                                " is too deep: its paths would exceed the system's 4096 characters");
  if (name.size() + longest_suffix > 255)
    throw std::invalid_argument("output.name = \"" + name +
                                "\" is too long for file names (allowed: at most 100 characters)");
}

/// The run name a checkpoint file name implies ("x/NAME.ckpt.h5" -> NAME), or "".
std::string run_name_of(const std::string& checkpoint) {
  const std::string file = fs::path(checkpoint).filename().string();
  for (const std::string suffix : {".ckpt.prev.h5", ".ckpt.h5"})
    if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
      return file.substr(0, file.size() - suffix.size());
  return "";
}

/// NAME.ckpt.prev.h5 beside NAME.ckpt.h5 (empty when `checkpoint` is not a current checkpoint).
std::string previous_of(const std::string& checkpoint) {
  const std::string file = fs::path(checkpoint).filename().string();
  const std::string suffix = ".ckpt.h5";
  if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      run_name_of(checkpoint) + ".ckpt.h5" != file)
    return "";
  return (fs::path(checkpoint).parent_path() / (run_name_of(checkpoint) + ".ckpt.prev.h5")).string();
}

class Session {
 public:
  Session(Deck deck, std::string dir, const SessionOptions& options)
      : deck_(std::move(deck)),
        dir_(std::move(dir)),
        opt_(options),
        progress_(!options.quiet),
        ckpt_(checkpoint_paths(dir_, deck_.output.name)) {
    if (!opt_.backend.empty()) deck_.run.backend = opt_.backend;
    if (opt_.threads >= 0) deck_.run.threads = opt_.threads;
    // Same tolerance as the driver's end test: a field strain equal to loading.end_strain
    // is always reached.
    strain_tol_ = 1e-9 * deck_.params.loading.record_interval;
  }

  int start_fresh(const std::string& deck_source) {
    // Everything that can be checked is checked before anything is created or touched.
    std::string kind;
    try {
      kind = resolve_backend_name(deck_.run.backend, deck_.params);
      check_output_location(dir_, deck_.output.name);
      check_run_memory(kind, deck_.params);
    } catch (const std::invalid_argument& e) {
      spdlog::error("{}", e.what());
      return exit_bad_input;
    }
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw_os_error("create the output directory", dir_, ec.value());
    if (!take_lock()) return exit_bad_input;
    const bool unfinished = fs::exists(ckpt_.current) || fs::exists(ckpt_.previous);
    if (unfinished && !opt_.force) {
      spdlog::error(
          "{} holds an unfinished run of the same name ({}): continue it with `stzkmc resume {}`, or add "
          "--force to start afresh (its checkpoints are removed once the new run has written its first)",
          dir_, fs::exists(ckpt_.current) ? ckpt_.current : ckpt_.previous,
          fs::exists(ckpt_.current) ? ckpt_.current : ckpt_.previous);
      return exit_bad_input;
    }
    remove_stale_temporaries_of_run();
    try {
      make_backend_and_driver(kind);  // may fail (no GPU, no memory): nothing has been touched yet
    } catch (const std::exception& e) {
      // Nothing was run or written (an old run's files are as they were): the run cannot start
      // here, as for a deck that does not fit in memory.
      spdlog::error("cannot start the run: {}", e.what());
      return exit_bad_input;
    }
    if (unfinished) {
      supersede_checkpoints_ = true;
      spdlog::warn("--force: the unfinished run's checkpoints in {} are removed when this run writes its first", dir_);
    }
    const std::string stale_xdmf = (fs::path(dir_) / (deck_.output.name + ".xdmf")).string();
    if (fs::exists(stale_xdmf)) fs::remove(stale_xdmf);
    driver_->start();
    bk_.start_time = iso_time_now();
    bk_.deck_source = deck_source;
    bk_.next_checkpoint_strain = deck_.output.checkpoint_strain_interval;
    out_ = std::make_unique<OutputWriter>(dir_, deck_.output.name, deck_.params.grid.n, deck_.params.grid.voxel_size,
                                          deck_.params.grid.thickness);
    if (fs::exists(out_->h5_path())) spdlog::info("replacing {}", out_->h5_path());
    return loop();
  }

  /// Resume under a lock already taken by resume_run.
  int start_resumed(Checkpoint c, const std::string& path, std::unique_ptr<RunLock> lock) {
    lock_ = std::move(lock);
    remove_stale_temporaries_of_run();
    bk_ = std::move(c.output);
    try {
      make_backend_and_driver(resolve_backend_name(deck_.run.backend, deck_.params));
    } catch (const std::exception& e) {
      // Nothing was written: the checkpoint and the output are as they were.
      spdlog::error("cannot resume: {} (the checkpoint {} is unchanged)", e.what(), path);
      return exit_bad_input;
    }
    if (!bk_.backend.empty() && bk_.backend != backend_->name())
      spdlog::warn(
          "the checkpoint was written by the {} backend, this segment runs on {}: the result will not be "
          "bitwise identical to an uninterrupted run",
          bk_.backend, backend_->name());
    backend_->upload(c.state);
    driver_->restore(c.driver, c.results);
    wall_before_ = bk_.wall_time_s;
    ++bk_.segments;
    out_ = std::make_unique<OutputWriter>(dir_, deck_.output.name, deck_.params.grid.n, deck_.params.grid.voxel_size,
                                          deck_.params.grid.thickness, bk_.snapshots);
    spdlog::info("resuming {} at strain {:.5f} (pass {}, segment {})", path, loaded_strain(),
                 driver_->state().counters.passes, bk_.segments);
    return loop();
  }

  /// Best effort after an error: keep what was computed, marked as failed, and say how to go on.
  void flush_failed(const std::string& what) noexcept {
    try {
      if (out_ && driver_) {
        status_ = "failed";
        stop_reason_ = what;
        flush();
      }
    } catch (const std::exception& e) {
      spdlog::error("could not record the failure in {}: {}", out_ ? out_->h5_path() : dir_, e.what());
    }
    try {
      if (driver_ && !supersede_checkpoints_ && fs::exists(ckpt_.current))
        spdlog::error(
            "the last complete checkpoint is {}: once the cause is fixed, `stzkmc resume {}` continues "
            "from it",
            ckpt_.current, ckpt_.current);
    } catch (...) {
    }
  }

 private:
  /// Takes DIR/NAME.lock; false (after saying who holds it) when another process does.
  bool take_lock() {
    try {
      lock_ = std::make_unique<RunLock>(dir_, deck_.output.name, opt_.command);
      return true;
    } catch (const LockHeld& e) {
      spdlog::error("{}", e.what());
      return false;
    }
  }

  /// Temporaries of writers that were killed (we hold the lock: none is live).
  void remove_stale_temporaries_of_run() {
    for (const std::string& target : {out_path(".h5"), out_path(".xdmf"), ckpt_.current, ckpt_.previous})
      remove_stale_temporaries(target);
  }
  std::string out_path(const std::string& suffix) const {
    return (fs::path(dir_) / (deck_.output.name + suffix)).string();
  }

  void make_backend_and_driver(const std::string& kind) {
    BackendOptions bo;
    bo.threads = deck_.run.threads;
    backend_ = make_resolved_backend(deck_.run.backend, kind, deck_.params, bo, [this](const std::string& why) {
      spdlog::warn("backend auto: the GPU cannot be used ({}); running on the cpu backend", why);
      check_run_memory("cpu", deck_.params);  // the check before assumed the GPU; before allocating
    });
    driver_ = std::make_unique<Driver>(deck_.params, *backend_);
    if (deck_.run.backend == "auto") {
      spdlog::info("backend auto: using {}", backend_->name());
      const std::string why = auto_cpu_reason(deck_.params);
      if (!why.empty() && backend_->name() == "cpu")
        spdlog::info("backend auto: the cpu although a GPU is present: {}", why);
    }
    spdlog::info("backend {}: {}", backend_->name(), backend_->device_description());
    threads_ = 0;
    if (backend_->name() == "cpu") {
#ifdef _OPENMP
      threads_ = deck_.run.threads > 0 ? deck_.run.threads : omp_get_max_threads();
#else
      threads_ = 1;
#endif
    }
  }

  double loaded_strain() const { return driver_->loaded_strain(); }

  RunMeta meta() const {
    RunMeta m;
    m.backend = backend_->name();
    m.device = backend_->device_description();
    m.threads = threads_;
    m.seed = deck_.params.seed;
    m.start_time = bk_.start_time;
    m.end_time = status_ == "running" ? "" : iso_time_now();
    m.wall_time_s = wall_before_ + seconds_since(segment_start_);
    m.segments = bk_.segments;
    m.status = status_;
    m.stop_reason = stop_reason_;
    m.deck_source = bk_.deck_source;
    m.command = opt_.command;
    m.host = host_name();
    return m;
  }

  void flush() {
    out_->flush(meta(), deck_, driver_->results(), analysis_of(*driver_, out_->snapshots()));
    last_flush_ = Clock::now();
  }

  /// Field snapshots due after this pass (deterministic: depends on the driver state only).
  /// Tells the driver when the next field snapshot is due, so that a device loop hands that pass back.
  void fields_due() {
    const std::vector<double>& targets = deck_.output.field_strains;
    driver_->set_fields_due_at(bk_.next_field_strain < targets.size() ? targets[bk_.next_field_strain] - strain_tol_
                                                                      : HUGE_VAL);
  }

  void snapshots_after_pass(bool more) {
    const DriverState& st = driver_->state();
    const double strain = loaded_strain();
    const std::vector<double>& targets = deck_.output.field_strains;
    std::string reason;
    auto add = [&reason](const std::string& r) { reason += (reason.empty() ? "" : ", ") + r; };
    while (bk_.next_field_strain < targets.size() && strain >= targets[bk_.next_field_strain] - strain_tol_) {
      add("strain " + value_text(Value{targets[bk_.next_field_strain]}));
      ++bk_.next_field_strain;
    }
    fields_due();
    if (st.milestones.localization_reached && !bk_.localization_snapshot) {
      add("localization");
      bk_.localization_snapshot = true;
    }
    if (!more && deck_.output.final_fields) add("end");
    if (reason.empty()) return;

    SnapshotInfo s;
    s.index = out_->next_index();
    s.reason = reason;
    s.pass = st.counters.passes;
    s.applied_strain = st.applied_strain;
    s.strain = strain;
    s.mean_strain = st.mean_strain;
    s.mean_stress = driver_->mean_stress();
    s.loaded_stress = driver_->loaded_stress();
    s.p1_mean = driver_->p1_mean();
    s.p3_mean = driver_->p3_mean();
    s.time = st.time;
    out_->add_snapshot(s, driver_->fields());
    flush();  // fields are the expensive part of a run: put them on disk at once
    progress_.clear();
    spdlog::info("field snapshot {:04d} at strain {:.5f} ({})", s.index, strain, reason);
  }

  void write_checkpoint_now(const std::string& why) {
    flush();  // the output must hold every snapshot the checkpoint lists
    Checkpoint c;
    c.deck = deck_;
    c.driver = driver_->state();
    c.results = driver_->results();
    backend_->download(c.state, true);
    c.output = bk_;
    c.output.snapshots = out_->snapshots();
    c.output.wall_time_s = wall_before_ + seconds_since(segment_start_);
    c.output.backend = backend_->name();
    // The first checkpoint of a run started with --force replaces the old run's: the old one
    // must not become this run's NAME.ckpt.prev.h5.
    write_checkpoint(ckpt_, c, !supersede_checkpoints_);
    if (supersede_checkpoints_) {
      std::error_code ec;
      fs::remove(ckpt_.previous, ec);
      supersede_checkpoints_ = false;
    }
    last_checkpoint_ = Clock::now();
    progress_.clear();
    spdlog::info("checkpoint ({}) at strain {:.5f}: {}", why, loaded_strain(), ckpt_.current);
  }

  /// Checkpoints and signals after a pass; returns an exit code when the session must stop.
  int checkpoint_and_signals() {
    std::string why;
    auto add = [&why](const char* r) { why += (why.empty() ? "" : ", ") + std::string(r); };
    const double interval = deck_.output.checkpoint_strain_interval;
    const double strain = loaded_strain();
    if (interval > 0 && strain >= bk_.next_checkpoint_strain) {
      add("strain");
      bk_.next_checkpoint_strain = (std::floor(strain / interval) + 1.0) * interval;
    }
    if (deck_.output.checkpoint_minutes > 0 &&
        seconds_since(last_checkpoint_) >= 60.0 * deck_.output.checkpoint_minutes)
      add("wall time");
    if (g_sigusr1) {
      g_sigusr1 = 0;
      add("SIGUSR1");
    }
    int stop = 0;
    if (g_sigterm) {
      stop = exit_terminated;
      add("SIGTERM");
    } else if (g_sigint) {
      stop = exit_interrupted;
      add("SIGINT");
    } else if (opt_.stop_after_passes > 0 && driver_->state().counters.passes >= opt_.stop_after_passes) {
      stop = exit_terminated;
      add("stop_after_passes");
    }
    if (!why.empty()) write_checkpoint_now(why);
    if (stop) {
      status_ = "interrupted";
      stop_reason_ = why;
      flush();
      progress_.clear();
      spdlog::warn("stopped by {} at strain {:.5f}; continue with: stzkmc resume {}", why, strain, ckpt_.current);
    }
    return stop;
  }

  int loop() {
    SignalScope signals;
    segment_start_ = last_checkpoint_ = Clock::now();
    flush();  // the output exists (and says "running") from the first pass on
    spdlog::info("writing {}", out_->h5_path());
    const std::uint64_t stall_limit = stall_event_limit(deck_.params);
    // Warn at N^2 transformations within one strain step (one per voxel), or at a tenth of a
    // smaller explicit limit: a stuck run says so long before it is stopped.
    const std::uint64_t stall_warning = std::max<std::uint64_t>(
        1, std::min<std::uint64_t>(static_cast<std::uint64_t>(deck_.params.grid.n) * deck_.params.grid.n,
                                   stall_limit / 10));
    bool stall_warned = false;
    fields_due();
    while (true) {
      const bool more = driver_->step();
      snapshots_after_pass(more);
      const DriverState& st = driver_->state();
      if (st.stall_events == 0) stall_warned = false;
      if (st.stall_events >= stall_warning && !stall_warned && more) {
        stall_warned = true;
        progress_.clear();
        spdlog::warn(
            "no progress: {} transformations without {} at applied strain {:.6g}, time {:.6g} s; the run is "
            "stopped at {} (run.max_stall_events)",
            st.stall_events, driver_->progress_text(), st.applied_strain, st.time, stall_limit);
      }
      if (!more) break;
      if (const int stop = checkpoint_and_signals()) return stop;
      if (seconds_since(last_flush_) >= std::max(flush_min_interval, flush_cost_factor * out_->last_flush_seconds()))
        flush();
      progress_.update(*driver_);
    }
    const bool stalled = driver_->state().stalled;
    status_ = stalled ? "stalled" : "finished";
    stop_reason_ = driver_->state().stop_reason;
    flush();
    progress_.clear();
    // The output is complete; checkpoints only serve to continue a run, and at production
    // size each holds the whole catalog (~100 MB at 512^2). output.keep_final_checkpoint keeps
    // one of the final state: more stages may be appended to it.
    const bool keep = deck_.output.keep_final_checkpoint && !stalled;
    if (keep) write_checkpoint_now("final state, kept: output.keep_final_checkpoint");
    for (const std::string& path : {ckpt_.current, ckpt_.previous}) {
      if (keep && path == ckpt_.current) continue;
      std::error_code ec;
      if (fs::remove(path, ec)) spdlog::info("removed {} (the run is complete)", path);
    }
    const RunMeta m = meta();
    if (stalled) {
      spdlog::error(
          "{} after {:.1f} s at applied strain {:.6g}: the deck cannot make progress (docs/implementation.md, "
          "\"Runs that cannot progress\"); what was computed is in {} with status \"stalled\"",
          stop_reason_, m.wall_time_s, driver_->state().applied_strain, out_->h5_path());
      return exit_stalled;
    }
    spdlog::info("finished ({}) in {:.1f} s: {} thermal events, {} athermal flips", stop_reason_, m.wall_time_s,
                 driver_->state().counters.thermal_events, driver_->state().counters.athermal_flips);
    spdlog::info("analysis:\n{}",
                 format_analysis(analysis_of(*driver_, out_->snapshots()), loaded_names(deck_.params.loading.mode)));
    spdlog::info("output: {}{}", out_->h5_path(), out_->snapshots().empty() ? "" : " and " + out_->xdmf_path());
    return exit_finished;
  }

  Deck deck_;
  std::string dir_;
  SessionOptions opt_;
  Progress progress_;
  CheckpointPaths ckpt_;
  double strain_tol_ = 0.0;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<OutputWriter> out_;
  std::unique_ptr<RunLock> lock_;
  bool supersede_checkpoints_ = false;  ///< --force over an unfinished run: its checkpoints go at our first
  OutputBookkeeping bk_;
  int threads_ = 0;
  double wall_before_ = 0.0;
  std::string status_ = "running", stop_reason_;
  Clock::time_point segment_start_ = Clock::now(), last_checkpoint_ = Clock::now(), last_flush_ = Clock::now();
};

template <class F>
int guarded(Session& s, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    s.flush_failed(e.what());
    throw;
  }
}

}  // namespace

int run_deck(Deck deck, const std::string& deck_source, const SessionOptions& options) {
  Session s(std::move(deck), options.out_dir, options);
  return guarded(s, [&] { return s.start_fresh(deck_source); });
}

int resume_run(const std::string& checkpoint_path, const SessionOptions& options) {
  if (!fs::exists(checkpoint_path)) {
    // A finished run removes its checkpoints: its output says so, and there is nothing to do.
    const std::string name = run_name_of(checkpoint_path);
    const fs::path output = fs::path(checkpoint_path).parent_path() / (name + ".h5");
    std::string status;
    if (!name.empty() && fs::exists(output)) {
      try {
        const h5::Handle f = h5::open_file(output.string());
        const h5::Handle meta = h5::open_group(f.get(), "meta");
        status = h5::attr_string(meta.get(), "status");
      } catch (const std::exception&) {
        status.clear();  // not a readable output: the plain message below
      }
    }
    if (status == "finished" && !options.append_stages.empty()) {
      spdlog::error(
          "cannot append stages: {} has finished and removed its checkpoints; a run keeps the checkpoint of its "
          "final state with output.keep_final_checkpoint = true",
          name);
      return exit_bad_input;
    }
    if (status == "finished") {
      spdlog::info("{} has finished ({} says status \"finished\"): nothing to resume", name, output.string());
      return 0;
    }
    spdlog::error("cannot resume: {}: no such checkpoint file", checkpoint_path);
    return exit_bad_input;
  }
  std::string dir = fs::path(checkpoint_path).parent_path().string();
  if (dir.empty()) dir = ".";
  // Lock the run before reading its checkpoint: a writer may be replacing it right now.
  std::string name = run_name_of(checkpoint_path);
  std::unique_ptr<RunLock> lock;
  try {
    if (name.empty()) name = checkpoint_run_name(checkpoint_path);
    lock = std::make_unique<RunLock>(dir, name, options.command);
  } catch (const LockHeld& e) {
    spdlog::error("{}", e.what());
    return exit_bad_input;
  } catch (const std::exception& e) {
    spdlog::error("cannot resume: {}", e.what());
    return exit_bad_input;
  }
  Checkpoint c;
  std::string used = checkpoint_path, warning;
  try {
    c = read_checkpoint(checkpoint_path, &warning);
  } catch (const std::exception& e) {
    const std::string prev = previous_of(checkpoint_path);
    const bool have_prev = !prev.empty() && fs::exists(prev);
    if (!options.from_prev || !have_prev) {
      spdlog::error("cannot resume: {}", e.what());
      if (have_prev)
        spdlog::error(
            "the checkpoint before it is there: `stzkmc resume {} --from-prev` continues from {} (the work "
            "since then is computed again)",
            checkpoint_path, prev);
      return exit_bad_input;
    }
    spdlog::warn("{} is refused ({}); continuing from the checkpoint before it, {}, as --from-prev asks",
                 checkpoint_path, e.what(), prev);
    try {
      c = read_checkpoint(prev, &warning);
    } catch (const std::exception& e2) {
      spdlog::error("cannot resume: {}", e2.what());
      return exit_bad_input;
    }
    // Set the refused file aside (nothing is deleted), so that the next checkpoint written
    // does not turn it into NAME.ckpt.prev.h5.
    std::error_code ec;
    fs::rename(checkpoint_path, checkpoint_path + ".damaged", ec);
    if (!ec) spdlog::warn("the refused checkpoint is kept as {}.damaged", checkpoint_path);
    used = prev;
  }
  if (!warning.empty()) spdlog::warn("{}", warning);
  if (!options.append_stages.empty()) {
    const std::size_t before = stage_count(c.deck.params);
    try {
      c.deck = append_stages(c.deck, options.append_stages);
    } catch (const DeckError& e) {
      spdlog::error("cannot append the stages of {}: {}", options.append_stages, e.what());
      return exit_bad_input;
    }
    spdlog::info("appended {} stage(s) from {}: the run has {} stages", stage_count(c.deck.params) - before,
                 options.append_stages, stage_count(c.deck.params));
    if (c.driver.finished && c.driver.stalled) {
      spdlog::error("cannot append stages: the run stalled ({}); it did not end its stage", c.driver.stop_reason);
      return exit_bad_input;
    }
  }
  // A run that ended at the end of its last stage goes on when stages were appended
  // (Driver::restore).
  if (c.driver.finished && (c.driver.stalled || c.driver.stage + 1 >= stage_count(c.deck.params))) {
    spdlog::info("{}: the run had already ended ({}); nothing to do", used, c.driver.stop_reason);
    return exit_finished;
  }
  if (c.deck.output.name != name) {  // a renamed checkpoint file: lock the run it belongs to
    try {
      lock = std::make_unique<RunLock>(dir, c.deck.output.name, options.command);
    } catch (const LockHeld& e) {
      spdlog::error("{}", e.what());
      return exit_bad_input;
    }
  }
  try {
    check_run_memory(
        resolve_backend_name(options.backend.empty() ? c.deck.run.backend : options.backend, c.deck.params),
        c.deck.params);
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return exit_bad_input;
  }
  Deck deck = c.deck;
  Session s(std::move(deck), dir, options);
  return guarded(s, [&] { return s.start_resumed(std::move(c), used, std::move(lock)); });
}

void setup_logging(bool quiet) {
  auto logger = spdlog::get("stzkmc");
  if (!logger) logger = spdlog::stderr_color_mt("stzkmc");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S] %^%l%$: %v");
  logger->set_level(quiet ? spdlog::level::warn : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace stz::io
