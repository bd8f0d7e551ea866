// `stzkmc sweep` and `stzkmc collect` (issue 6) register here.
#include "commands.hpp"

namespace stz::cli {

void register_sweep_commands(CLI::App&) {}

}  // namespace stz::cli
