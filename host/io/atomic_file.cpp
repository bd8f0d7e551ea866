#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace stz::io {

namespace fs = std::filesystem;

std::string os_error_text(int err) {
  std::string s = std::strerror(err);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(err)) s += std::string(" (") + name + ")";
#endif
  return s;
}

void throw_os_error(const std::string& action, const std::string& path, int err) {
  throw FileError("cannot " + action + " " + path + ": " + os_error_text(err), err);
}

namespace {

void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) throw_os_error(directory ? "open the directory" : "open", path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync directories (EINVAL); the rename is still atomic there.
  if (rc != 0 && !(directory && (err == EINVAL || err == ENOTSUP))) throw_os_error("sync", path, err);
}

std::string parent_of(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

}  // namespace

void sync_file(const std::string& path) { sync_path(path, false); }
void sync_directory(const std::string& path) { sync_path(path, true); }

AtomicFile::AtomicFile(std::string target)
    : target_(std::move(target)), temp_(target_ + ".tmp-" + std::to_string(::getpid())) {
  std::error_code ec;
  fs::remove(temp_, ec);  // a leftover of an earlier process with the same pid
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicFile::commit(const Verifier& verify) {
  sync_file(temp_);
  if (verify) verify(temp_);
  struct stat st {};
  if (!previous_.empty() && ::stat(target_.c_str(), &st) == 0) {
    // link + rename: the target exists at every instant, and the previous copy is complete.
    const std::string link_tmp = previous_ + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove(link_tmp, ec);
    if (::link(target_.c_str(), link_tmp.c_str()) != 0) throw_os_error("keep " + target_ + " as", previous_, errno);
    if (std::rename(link_tmp.c_str(), previous_.c_str()) != 0) {
      const int err = errno;
      fs::remove(link_tmp, ec);
      throw_os_error("rename " + link_tmp + " to", previous_, err);
    }
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) throw_os_error("rename " + temp_ + " to", target_, errno);
  committed_ = true;
  sync_directory(parent_of(target_));
}

void write_text_atomically(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  {
    const int fd = ::open(f.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_os_error("create", f.temp_path(), errno);
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : EIO;
        ::close(fd);
        throw_os_error("write", f.temp_path(), err);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) throw_os_error("close", f.temp_path(), errno);
  }
  f.commit([&text](const std::string& temp) {
    std::FILE* in = std::fopen(temp.c_str(), "rb");
    if (!in) throw_os_error("reopen", temp, errno);
    std::string back(text.size() + 1, '\0');
    const std::size_t n = std::fread(back.data(), 1, back.size(), in);
    std::fclose(in);
    if (n != text.size() || std::string_view(back.data(), n) != text)
      throw FileError("cannot write " + temp + ": the file read back differs from what was written", 0);
  });
}

void remove_stale_temporaries(const std::string& target) {
  const fs::path t(target);
  const fs::path dir = t.parent_path().empty() ? fs::path(".") : t.parent_path();
  const std::string prefix = t.filename().string() + ".tmp";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) fs::remove(it->path(), ec);
  }
}

}  // namespace stz::io
