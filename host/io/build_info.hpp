#pragma once
/** @file
 * @brief What this binary is (version, commit, build options) and small facts about the
 * machine and the clock, for /meta, checkpoints and `stzkmc info`.
 */
#include <string>

namespace stz::io {

struct BuildInfo {
  std::string version;
  std::string commit;      ///< git commit at configure time ("unknown" outside git)
  std::string build_type;  ///< CMAKE_BUILD_TYPE
  bool cuda = false;       ///< the CUDA backend is compiled in
  std::string cuda_archs;  ///< CMAKE_CUDA_ARCHITECTURES
  std::string compiler;
};
const BuildInfo& build_info();

std::string host_name();
/// Local time as ISO 8601 with UTC offset, e.g. 2025-01-31T14:02:11+0100.
std::string iso_time_now();

}  // namespace stz::io
