#pragma once
/** @file
 * @brief Where stzkmc finds its Python tools (tools/plot_run.py, tools/sweep_collect.py) and the
 * interpreter that runs them: one rule for `plot` and `collect`.
 *
 * Scripts: an installed tree's share/stzkmc/tools/ beside the executable's bin/ first (so an
 * installed binary runs its installed scripts), then the tools/ of the source tree it was built
 * from. Interpreter: $STZ_PYTHON when set, else /usr/bin/python3 (Debian's, with the packages
 * tools/install_deps.sh installs), else python3 on PATH.
 */
#include <filesystem>
#include <string>

namespace stz {

/// tools/<name> (see above); throws std::runtime_error naming where it looked.
std::filesystem::path find_tool_script(const std::string& name);

/// The Python interpreter for the tools (see above).
std::string python_interpreter();

}  // namespace stz
