#pragma once
/** @file
 * @brief The progress report of a running simulation: on a terminal one status line
 * (strain, stress, events/s, ETA) rewritten in place; otherwise (a batch log) a plain line
 * every `log_interval` seconds through spdlog.
 */
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/driver.hpp"

namespace stz::io {

/**
 * @brief The time left from the recent speed of the run's end coordinate (the loaded strain):
 * strain per second over the last max(min_window, window_fraction x elapsed) seconds. A run
 * slows down several-fold as the glass yields (far more events per strain in plastic flow), so
 * neither the speed since the start nor a long average says much; a window that grows with the
 * run follows the current regime and stays smooth. Unknown (negative) until there is a window's
 * worth of progress.
 */
class EtaEstimator {
 public:
  static constexpr double min_window = 2.0;       ///< s
  static constexpr double window_fraction = 0.2;  ///< of the elapsed time
  /// A sample of the coordinate `value` at `t` seconds since the start (t increasing).
  void add(double t, double value);
  /// Seconds until the coordinate reaches `end` at the recent speed; negative when unknown.
  double eta(double end) const;

 private:
  struct Sample {
    double t, value;
  };
  std::vector<Sample> samples_;  ///< oldest first; thinned as they age
};

class Progress {
 public:
  /// `enabled` false (--quiet) prints nothing.
  explicit Progress(bool enabled);
  ~Progress();
  /// Cheap unless a refresh is due.
  void update(const Driver& driver);
  /// Erases the status line so that a log message starts on a clean line.
  void clear();
  /// Seconds between status lines when stderr is not a terminal.
  static constexpr double log_interval = 15.0;
  /// Seconds between refreshes of the terminal status line.
  static constexpr double tty_interval = 0.25;

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_, tty_;
  std::uint32_t stage_ = 0;  ///< the stage the ETA samples belong to
  clock::time_point start_, last_;
  bool started_ = false;
  std::uint64_t last_events_ = 0;
  clock::time_point last_rate_time_;
  double rate_ = 0.0;  ///< events per second since the last status line
  clock::time_point last_sample_;
  EtaEstimator eta_;
  bool line_shown_ = false;
};

}  // namespace stz::io
