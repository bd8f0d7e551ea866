#include "app/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "io/atomic_file.hpp"

namespace stz::io {

namespace {

std::string read_holder(int fd) {
  char buf[512] = {0};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string host_name() {
  char buf[256] = {0};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string("?");
}

}  // namespace

RunLock::RunLock(const std::string& dir, const std::string& name, const std::string& command)
    : path_((std::filesystem::path(dir) / (name + ".lock")).string()) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_os_error("create the lock file", path_, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = err == EWOULDBLOCK ? read_holder(fd_) : std::string();
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw_os_error("lock", path_, err);
    throw LockHeld("another stzkmc is writing this run: " + path_ + " is locked by " +
                   (holder.empty() ? std::string("a process that has not written its PID yet") : holder) +
                   "; wait for it to end (or stop it) before running or resuming here");
  }
  // Who holds it: "PID 1234 on host, `stzkmc resume ...`" (best effort: only for messages).
  const std::string who = "PID " + std::to_string(::getpid()) + " on " + host_name() + " (" + command + ")\n";
  if (::ftruncate(fd_, 0) == 0) {
    ssize_t written = ::pwrite(fd_, who.data(), who.size(), 0);
    (void)written;
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace stz::io
