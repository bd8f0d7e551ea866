#include "io/build_info.hpp"

#include <unistd.h>

#include <ctime>

namespace stz::io {

const BuildInfo& build_info() {
  static const BuildInfo info = [] {
    BuildInfo b;
#ifdef STZ_VERSION
    b.version = STZ_VERSION;
#else
    b.version = "unknown";
#endif
#ifdef STZ_GIT_COMMIT
    b.commit = STZ_GIT_COMMIT;
#else
    b.commit = "unknown";
#endif
#ifdef STZ_BUILD_TYPE
    b.build_type = STZ_BUILD_TYPE;
#endif
#ifdef STZ_HAVE_CUDA
    b.cuda = true;
#endif
#ifdef STZ_CUDA_ARCHS
    b.cuda_archs = STZ_CUDA_ARCHS;
#endif
#if defined(__clang__)
    b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    b.compiler = "gcc " __VERSION__;
#else
    b.compiler = "unknown";
#endif
    return b;
  }();
  return info;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string iso_time_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
}

}  // namespace stz::io
