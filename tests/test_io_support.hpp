#pragma once
// Helpers of the [io] and [cli] suites: scratch directories, the source tree, subprocesses.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "app/session.hpp"

extern char** environ;

namespace stz::test::io {

namespace fs = std::filesystem;

/// The source tree (README.md, tests/*.py): $STZ_SOURCE_DIR (set by ctest), else the path
/// this file was compiled from.
inline fs::path source_dir() {
  if (const char* env = std::getenv("STZ_SOURCE_DIR")) return env;
  return fs::path(__FILE__).parent_path().parent_path();
}

/// A fresh empty directory under the system temp directory, removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "stz_io_test_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!std::getenv("STZ_KEEP_TEST_FILES")) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream os(path, std::ios::binary);
  os << text;
}

inline std::string read_file(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  std::ostringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

/// Starts a program (no shell), stdout and stderr to `log`. Returns its pid.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

/// Waits for a child; returns its exit code, or 128 + signal if a signal ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

/// True while the child runs (does not reap it).
inline bool running(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

/// Runs a program to completion; returns its exit code, output in `log`.
inline int run(const std::vector<std::string>& argv, const std::string& log) { return wait_exit(spawn(argv, log)); }

/// Polls until `path` exists or the child ends; true if the file appeared while it ran.
inline bool wait_for_file(const std::string& path, pid_t pid, double timeout_s = 300.0) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < timeout_s) {
    if (fs::exists(path)) return true;
    if (!running(pid)) return fs::exists(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

/// /usr/bin/python3 (Debian's numpy, h5py), the interpreter the tools are written for.
inline std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

/// Runs tests/<script> with arguments; returns its exit code, output in `log`.
inline int run_python(const std::string& script, std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), {python(), (source_dir() / "tests" / script).string()});
  return run(args, log);
}

/// Bitwise comparison of two output files (tests/io_compare_outputs.py); 0 when identical.
inline int compare_outputs(const std::string& a, const std::string& b, const std::string& log) {
  const int rc = run_python("io_compare_outputs.py", {a, b}, log);
  INFO(read_file(log));
  return rc;
}

/// Quiet session options writing to `dir`; `stop_after` passes simulate SIGTERM (0: never).
inline stz::io::SessionOptions session_options(const fs::path& dir, std::uint64_t stop_after = 0) {
  stz::io::SessionOptions o;
  o.out_dir = dir.string();
  o.quiet = true;
  o.stop_after_passes = stop_after;
  return o;
}

/// The stzkmc executable under test ($STZKMC, which ctest sets), or "" when unset.
inline std::string stzkmc() {
  const char* exe = std::getenv("STZKMC");
  return exe ? exe : "";
}

}  // namespace stz::test::io

/// Skips a [cli] test (with a warning) when $STZKMC is not set.
#define STZ_REQUIRE_STZKMC()                                                     \
  if (stz::test::io::stzkmc().empty()) {                                         \
    WARN("STZKMC is not set (ctest sets it to the built stzkmc): test skipped"); \
    return;                                                                      \
  }

namespace stz::test::io {}  // namespace stz::test::io
