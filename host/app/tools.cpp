#include "app/tools.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace stz {

fs::path find_tool_script(const std::string& name) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "stzkmc" / "tools" / name);  // installed
#ifdef STZ_SOURCE_DIR
  candidates.push_back(fs::path(STZ_SOURCE_DIR) / "tools" / name);  // the source tree of this build
#endif
  if (!ec) candidates.push_back(exe.parent_path() / ".." / ".." / "tools" / name);  // build/host/stzkmc
  std::string looked;
  for (const fs::path& c : candidates) {
    if (fs::exists(c)) return fs::weakly_canonical(c);
    looked += (looked.empty() ? "" : ", ") + c.lexically_normal().string();
  }
  throw std::runtime_error("cannot find tools/" + name + " (looked in " + looked +
                           "): install stzkmc with `cmake --install BUILD_DIR --prefix PREFIX`, which puts the "
                           "tools in PREFIX/share/stzkmc/tools");
}

std::string python_interpreter() {
  if (const char* env = std::getenv("STZ_PYTHON"); env && *env) return env;
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

}  // namespace stz
