#pragma once
/** @file
 * @brief Checked, atomic, verified file replacement: the one way stzkmc puts a file on disk.
 *
 * A file is written under a temporary name private to this process, flushed to the device
 * (fsync), verified (the caller reopens and reads it back), and only then renamed over its
 * target; the directory is synced after the rename. Every step is checked: a full disk
 * (ENOSPC), a quota (EDQUOT) or a read-only file system (EROFS) ends in a FileError that names
 * the file and the OS error, the temporary is removed, and the target (and the previous copy
 * kept beside it) are left exactly as they were.
 */
#include <functional>
#include <stdexcept>
#include <string>

namespace stz::io {

/// A failed file-system operation; what() names the operation, the file and the OS error.
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& message, int os_error) : std::runtime_error(message), os_error_(os_error) {}
  /// The errno value (0 when the failure was not an OS error, e.g. a failed verification).
  int os_error() const { return os_error_; }

 private:
  int os_error_;
};

/// "No space left on device (ENOSPC)".
std::string os_error_text(int err);
/// Throws FileError("cannot <action> <path>: <os_error_text(err)>").
[[noreturn]] void throw_os_error(const std::string& action, const std::string& path, int err);

/// fsync of a file, or of a directory (file systems that cannot sync directories are accepted).
void sync_file(const std::string& path);
void sync_directory(const std::string& path);

/**
 * @brief Replaces `target` atomically. Write the new content to temp_path(), then commit().
 * Without a successful commit() the temporary is removed and the target is untouched.
 */
class AtomicFile {
 public:
  using Verifier = std::function<void(const std::string& temp_path)>;
  explicit AtomicFile(std::string target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();
  /// "<target>.tmp-<pid>": private to this process, so two writers never share a temporary.
  const std::string& temp_path() const { return temp_; }
  /// Before the rename, keep the current target under this name (a hard link, so the target
  /// exists at every instant).
  void keep_previous_as(const std::string& previous) { previous_ = previous; }
  /// fsync, `verify` (it throws if the temporary is not what was meant), keep the previous
  /// copy, rename over the target, fsync the directory.
  void commit(const Verifier& verify = {});

 private:
  std::string target_, temp_, previous_;
  bool committed_ = false;
};

/// Writes a text file atomically; the temporary is read back and compared before the rename.
void write_text_atomically(const std::string& path, const std::string& text);

/// Removes temporaries "<target>.tmp*" left by writers that were killed (call it only while
/// holding the run's lock: a live writer's temporary must not disappear).
void remove_stale_temporaries(const std::string& target);

}  // namespace stz::io
