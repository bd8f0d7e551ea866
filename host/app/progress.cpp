#include "app/progress.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace stz::io {

namespace {
std::string duration_text(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}
}  // namespace

void EtaEstimator::add(double t, double value) {
  samples_.push_back({t, value});
  // Keep what the window can still reach (it only grows): drop samples older than it.
  const double window = std::max(min_window, window_fraction * t);
  std::size_t keep = 0;
  while (keep + 1 < samples_.size() && samples_[keep + 1].t <= t - window) ++keep;
  if (keep > 0) samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(keep));
}

double EtaEstimator::eta(double end) const {
  if (samples_.size() < 2) return -1.0;
  const Sample& now = samples_.back();
  const double window = std::max(min_window, window_fraction * now.t);
  // The newest sample at least `window` old (the first one kept is, once the window is full).
  const Sample& then = samples_.front();
  if (now.t - then.t < 0.5 * window) return -1.0;  // not yet a window's worth
  const double speed = (now.value - then.value) / (now.t - then.t);
  if (!(speed > 0.0)) return -1.0;
  return std::max(0.0, (end - now.value) / speed);
}

Progress::Progress(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0) {
  start_ = last_ = last_rate_time_ = clock::now();
}

Progress::~Progress() { clear(); }

void Progress::clear() {
  if (line_shown_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    line_shown_ = false;
  }
}

void Progress::update(const Driver& d) {
  if (!enabled_) return;
  const clock::time_point now = clock::now();
  if (!started_) {  // first call: the reference for rates and the elapsed time
    started_ = true;
    start_ = last_ = last_rate_time_ = last_sample_ = now;
    last_events_ = d.state().counters.thermal_events + d.state().counters.athermal_flips;
    stage_ = d.state().stage;
    eta_.add(0.0, d.stage_progress());
    return;
  }
  // Samples for the ETA (of the running stage: its protocol's progress) at the terminal's
  // cadence, also when the status goes to a log; a new stage starts a new estimate.
  if (d.state().stage != stage_) {
    stage_ = d.state().stage;
    eta_ = EtaEstimator{};
    eta_.add(std::chrono::duration<double>(now - start_).count(), d.stage_progress());
  }
  if (std::chrono::duration<double>(now - last_sample_).count() >= tty_interval) {
    last_sample_ = now;
    eta_.add(std::chrono::duration<double>(now - start_).count(), d.stage_progress());
  }
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (since_last < (tty_ ? tty_interval : log_interval)) return;
  last_ = now;

  const DriverState& st = d.state();
  const double strain = d.loaded_strain();
  const std::uint64_t events = st.counters.thermal_events + st.counters.athermal_flips;
  const double dt = std::chrono::duration<double>(now - last_rate_time_).count();
  if (dt > 0) rate_ = static_cast<double>(events - last_events_) / dt;
  last_events_ = events;
  last_rate_time_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = eta_.eta(1.0);

  // A staged run or another protocol than strain rate names the stage and how far it has come;
  // the ETA is that of the running stage.
  char line[384];
  int len = 0;
  const std::size_t stages = stage_count(d.params());
  const bool plain = stages == 1 && d.stage_params().loading.protocol == LoadingProtocolKind::strain_rate;
  if (!plain)
    len = std::snprintf(line, sizeof line, "stage %u/%zu %s %.0f%%  t %.4g s  ", st.stage + 1, stages,
                        to_string(d.stage_params().loading.protocol).c_str(),
                        100.0 * std::min(1.0, std::max(0.0, d.stage_progress())), st.time);
  char end[32] = "";
  if (plain) std::snprintf(end, sizeof end, "/%.4g", d.params().loading.end_strain);
  const int rest =
      std::snprintf(line + len, sizeof line - static_cast<std::size_t>(len),
                    "strain %.4f%s  stress %.3f GPa  plastic %.4f  events %llu (%.3g/s)  elapsed %s  ETA %s%s", strain,
                    end, d.loaded_stress(), d.loaded_plastic_strain(), static_cast<unsigned long long>(events), rate_,
                    duration_text(elapsed).c_str(), duration_text(eta).c_str(), stages > 1 ? " (stage)" : "");
  len = rest < 0 ? len : std::min<int>(len + rest, static_cast<int>(sizeof line) - 1);
  // The stall watchdog (docs/implementation.md): shown from a tenth of its warning level on.
  const double n2 = static_cast<double>(d.params().grid.n) * d.params().grid.n;
  const double limit = static_cast<double>(stall_event_limit(d.params()));
  if (static_cast<double>(st.stall_events) >= 0.1 * std::min(n2, 0.1 * limit) && st.stall_events >= 100 && len > 0 &&
      static_cast<std::size_t>(len) < sizeof line)
    std::snprintf(line + len, sizeof line - static_cast<std::size_t>(len),
                  "  NO PROGRESS: %llu transformations in this strain step (stops at %.0f)",
                  static_cast<unsigned long long>(st.stall_events), limit);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line);
    std::fflush(stderr);
    line_shown_ = true;
  } else {
    spdlog::info("{}", line);
  }
}

}  // namespace stz::io
