// stzkmc run | resume | analyze | info | plot | keys: the user-facing commands of a simulation.
// The work lives in host/io; this file maps command lines onto it and exit codes back.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "app/analyze.hpp"
#include "app/session.hpp"
#include "app/tools.hpp"
#include "backends/factory.hpp"
#include "cli/commands.hpp"
#include "cuda/entry.hpp"
#include "io/build_info.hpp"
#include "io/config.hpp"
#include "stz/backend.hpp"

extern char** environ;

namespace stz::cli {

namespace {

namespace fs = std::filesystem;

/// Ends the command with an exit code (CLI::RuntimeError passes it through main quietly).
[[noreturn]] void exit_with(int code) { throw CLI::RuntimeError(code); }

std::string join_command(const std::vector<std::string>& parts) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : " ") + p;
  return s;
}

void add_backend_options(CLI::App* cmd, io::SessionOptions& o) {
  cmd->add_option("--backend", o.backend, "auto | cpu | cuda | reference (overrides run.backend)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda", "reference"}));
  cmd->add_option("--threads", o.threads, "CPU threads, 0: all (overrides run.threads)")->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", o.quiet, "no progress line; warnings and errors only");
}

/// tools/plot_run.py: $STZ_PLOT_SCRIPT, else find_tool_script (app/tools.hpp).
std::string find_plot_script() {
  if (const char* env = std::getenv("STZ_PLOT_SCRIPT"); env && *env) return env;
  return find_tool_script("plot_run.py").string();
}

/// Runs a program with arguments (no shell) and returns its exit status.
int spawn_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
    throw std::runtime_error("cannot start " + argv[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waiting for " + argv[0] + " failed");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string info_text() {
  const io::BuildInfo& b = io::build_info();
  std::string s;
  s += "stzkmc " + b.version + " (commit " + b.commit + ")\n";
  s += "build:    " + (b.build_type.empty() ? std::string("(no build type)") : b.build_type) + ", " + b.compiler + "\n";
  s +=
      "CUDA:     " + std::string(b.cuda ? "compiled in, architectures " + b.cuda_archs : "not compiled in (CPU only)") +
      "\n";
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  s += "HDF5:     " + std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel) + "\n";
  s += "spdlog:   " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
       std::to_string(SPDLOG_VER_PATCH) + "\n";
#ifdef _OPENMP
  s += "CPU:      " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads, OpenMP default " +
       std::to_string(omp_get_max_threads()) + " threads\n";
#else
  s += "CPU:      " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads, no OpenMP\n";
#endif
  s += "CPU code: " + describe_cpu_code() + "\n";
  const int devices = cuda_device_count();
  s += "GPUs:     " + std::to_string(devices) + " usable CUDA device" + (devices == 1 ? "" : "s") + "\n";
  for (int i = 0; i < devices; ++i) s += "          [" + std::to_string(i) + "] " + cuda_device_name(i) + "\n";
  s += "--backend auto runs on: " + resolve_backend_name("auto") + "\n";
  return s;
}

}  // namespace

void register_run_commands(CLI::App& app) {
  // ---- run ----
  {
    struct Args {
      std::string deck;
      std::vector<std::string> sets;
      std::string out;
      io::SessionOptions session;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("run", "run an input deck (TOML); outputs go to --out (default out/NAME)");
    // No CLI11 file check: a missing deck is a bad deck (exit 2, message from load_deck).
    cmd->add_option("deck", a->deck, "input deck, e.g. runs/quickstart.toml")->required();
    cmd->add_option("--set", a->sets, "override a deck key, e.g. --set grid.n=512 (repeatable)")
        ->allow_extra_args(false)
        ->type_name("KEY=VALUE");
    cmd->add_option("--out", a->out, "output directory (default out/NAME, NAME = output.name or the deck's stem)");
    cmd->add_flag("--force", a->session.force,
                  "start afresh even if --out holds an unfinished run of the same name (its checkpoints are removed "
                  "once this run has written its first)");
    add_backend_options(cmd, a->session);
    cmd->callback([a] {
      io::setup_logging(a->session.quiet);
      io::Deck deck;
      try {
        deck = io::load_deck(a->deck, a->sets);
      } catch (const io::DeckError& e) {
        std::fprintf(stderr, "stzkmc: %s\n", e.what());
        exit_with(io::exit_bad_input);
      }
      std::vector<std::string> cmdline{"stzkmc", "run", a->deck};
      for (const std::string& s : a->sets) cmdline.insert(cmdline.end(), {"--set", s});
      io::SessionOptions o = a->session;
      o.out_dir = a->out.empty() ? (fs::path("out") / deck.output.name).string() : a->out;
      cmdline.insert(cmdline.end(), {"--out", o.out_dir});
      if (!o.backend.empty()) cmdline.insert(cmdline.end(), {"--backend", o.backend});
      if (o.threads >= 0) cmdline.insert(cmdline.end(), {"--threads", std::to_string(o.threads)});
      if (o.force) cmdline.push_back("--force");
      o.command = join_command(cmdline);
      const int rc = io::run_deck(deck, a->deck, o);
      if (rc != 0) exit_with(rc);
    });
  }
  // ---- resume ----
  {
    struct Args {
      std::string checkpoint;
      io::SessionOptions session;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("resume", "continue a run from its checkpoint (OUT/NAME.ckpt.h5)");
    cmd->add_option("checkpoint", a->checkpoint, "checkpoint file")->required();  // resume_run checks it
    cmd->add_flag("--from-prev", a->session.from_prev,
                  "if the checkpoint is refused (damaged), continue from NAME.ckpt.prev.h5 beside it");
    cmd->add_option("--append-stage", a->session.append_stages,
                    "a TOML file of [[stage]] tables to run after the run's own stages (a finished run needs "
                    "the checkpoint output.keep_final_checkpoint keeps)");
    add_backend_options(cmd, a->session);
    cmd->callback([a] {
      io::setup_logging(a->session.quiet);
      io::SessionOptions o = a->session;
      o.command = "stzkmc resume " + a->checkpoint + (o.from_prev ? " --from-prev" : "") +
                  (o.append_stages.empty() ? "" : " --append-stage " + o.append_stages);
      const int rc = io::resume_run(a->checkpoint, o);
      if (rc != 0) exit_with(rc);
    });
  }
  // ---- analyze ----
  {
    struct Args {
      std::string file;
      bool recompute = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd =
        app.add_subcommand("analyze", "print the analysis of an output file (yield, localization, avalanches)");
    cmd->add_option("output", a->file, "output file OUT/NAME.h5")->required()->check(CLI::ExistingFile);
    cmd->add_flag("--recompute", a->recompute, "also derive it again from /curve, the fields and /avalanches");
    cmd->callback([a] { std::fputs(io::analysis_report(a->file, a->recompute).c_str(), stdout); });
  }
  // ---- info ----
  {
    CLI::App* cmd = app.add_subcommand("info", "version, commit, build options and the devices this machine offers");
    cmd->callback([] { std::fputs(info_text().c_str(), stdout); });
  }
  // ---- plot ----
  {
    struct Args {
      std::string file, out, format;
      int dpi = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("plot", "figures beside the output (runs tools/plot_run.py)");
    cmd->add_option("output", a->file, "output file OUT/NAME.h5")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", a->out, "directory of the figures (default: beside the output)");
    cmd->add_option("--format", a->format, "png (default), pdf or svg")->check(CLI::IsMember({"png", "pdf", "svg"}));
    cmd->add_option("--dpi", a->dpi, "raster resolution (default 150; 300 for print)")->check(CLI::Range(50, 1200));
    cmd->callback([a] {
      std::vector<std::string> argv{python_interpreter(), find_plot_script(), a->file};
      spdlog::info("plot: {}", join_command(argv));
      if (!a->out.empty()) argv.insert(argv.end(), {"--out", a->out});
      if (!a->format.empty()) argv.insert(argv.end(), {"--format", a->format});
      if (a->dpi > 0) argv.insert(argv.end(), {"--dpi", std::to_string(a->dpi)});
      const int rc = spawn_and_wait(argv);
      if (rc != 0) {
        std::fprintf(stderr, "stzkmc: plot: %s exited with status %d\n", argv[1].c_str(), rc);
        exit_with(rc);
      }
    });
  }
  // ---- keys ----
  {
    auto format = std::make_shared<std::string>("markdown");
    CLI::App* cmd = app.add_subcommand("keys", "every deck key with type, unit, default and allowed values");
    cmd->add_option("--format", *format, "markdown (the README table) or toml (a complete default deck)")
        ->check(CLI::IsMember({"markdown", "toml"}));
    cmd->callback([format] {
      if (*format == "toml") {
        io::Deck defaults;
        std::fputs(io::to_toml(defaults).c_str(), stdout);
      } else {
        std::fputs(io::schema_markdown().c_str(), stdout);
      }
    });
  }
}

}  // namespace stz::cli
