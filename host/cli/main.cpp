// stzkmc: the one command-line entry point. Subcommands live in the register_* files.
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"stzkmc: HR-STZ kinetic Monte Carlo for the plastic deformation of metallic glasses"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("stzkmc ") +
#ifdef STZ_VERSION
                                        STZ_VERSION
#else
                                        "unknown"
#endif
  );
  stz::cli::register_run_commands(app);
  stz::cli::register_bench_command(app);
  stz::cli::register_sweep_commands(app);
  stz::cli::register_seem_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return app.exit(e);  // a command's own exit code (exit_with)
  } catch (const CLI::ParseError& e) {
    // --help and --version succeed; a bad command line is bad input: exit 2, as a bad deck.
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stzkmc: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
