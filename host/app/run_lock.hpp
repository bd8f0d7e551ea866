#pragma once
/** @file
 * @brief The lock of a run: DIR/NAME.lock, an advisory flock held by `run` and `resume` for as
 * long as they write NAME.h5 and NAME.ckpt.h5, so two processes never write the same run.
 *
 * The lock file holds the holder's PID, host and command, so a refused process can say who
 * holds it. The kernel drops the lock when the holder exits, however it exits (SIGKILL
 * included); the file itself stays (deleting it could let two processes lock different files
 * of the same name) and is harmless.
 */
#include <stdexcept>
#include <string>

namespace stz::io {

/// Another process holds the lock; what() names it.
class LockHeld : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunLock {
 public:
  /// Takes DIR/NAME.lock at once or throws LockHeld (another holder) or FileError.
  RunLock(const std::string& dir, const std::string& name, const std::string& command);
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace stz::io
