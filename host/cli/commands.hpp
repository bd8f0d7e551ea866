#pragma once
// Each group of `stzkmc` subcommands registers itself on the CLI11 app; main.cpp calls them all.
#include <CLI/CLI.hpp>

namespace stz::cli {

/// run, resume, analyze, info, plot (host/cli/run_commands.cpp)
void register_run_commands(CLI::App& app);
/// bench (host/cli/bench_command.cpp)
void register_bench_command(CLI::App& app);
/// sweep, collect (host/cli/sweep_commands.cpp)
void register_sweep_commands(CLI::App& app);
/// seem harvest | run | ... (host/cli/seem_commands.cpp)
void register_seem_commands(CLI::App& app);

}  // namespace stz::cli
