#pragma once
/** @file
 * @brief The progress report of a running simulation: on a terminal one status line
 * (strain, stress, events/s, ETA) rewritten in place; otherwise (a batch log) a plain line
 * every `log_interval` seconds through spdlog.
 */
#include <chrono>
#include <cstdint>

#include "core/driver.hpp"

namespace stz::io {

class Progress {
 public:
  /// `enabled` false (--quiet) prints nothing.
  Progress(bool enabled, double end_strain);
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
  double end_strain_;
  clock::time_point start_, last_;
  bool started_ = false;
  std::uint64_t last_events_ = 0;
  clock::time_point last_rate_time_;
  double rate_ = 0.0;  ///< events per second since the last status line
  double last_strain_ = 0.0;
  double speed_ = -1.0;  ///< smoothed strain per second (negative: none yet)
  static constexpr double speed_window = 10.0;
  bool line_shown_ = false;
};

}  // namespace stz::io
