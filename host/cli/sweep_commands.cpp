// `stzkmc sweep SWEEP.toml` expands a base deck x a parameter grid (or explicit cases) x seeds
// into runs with stable output directories, and runs them here (a process pool of `stzkmc run`,
// resuming partial runs from their checkpoints) or as a Slurm job array (one run per task,
// checkpoint on the pre-timeout signal, requeue, resume). `stzkmc collect` turns a finished
// sweep into one summary table and the figures (tools/sweep_collect.py).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/sweep_plan.hpp"
#include "app/tools.hpp"
#include "cli/commands.hpp"
#include "io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace stz::cli {

namespace {

std::string self_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("stzkmc") : p.string();
}

/// The command line of one run: resume from its checkpoint if one exists, else start it.
std::vector<std::string> run_command(const SweepRun& r, const std::string& exe, int threads) {
  std::vector<std::string> cmd{exe};
  if (fs::exists(r.checkpoint())) {
    cmd.insert(cmd.end(), {"resume", r.checkpoint().string()});
  } else {
    cmd.insert(cmd.end(), {"run", r.base_deck.string(), "--out", r.dir.string()});
    for (const auto& [key, value] : r.overrides) cmd.insert(cmd.end(), {"--set", key + "=" + value});
  }
  cmd.push_back("--quiet");
  if (threads > 0) cmd.insert(cmd.end(), {"--threads", std::to_string(threads)});
  return cmd;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:+") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string join_command(const std::vector<std::string>& cmd) {
  std::string s;
  for (const std::string& a : cmd) s += (s.empty() ? "" : " ") + shell_quote(a);
  return s;
}

/// Starts `cmd` with stdout and stderr appended to `log`; returns the pid.
pid_t spawn(const std::vector<std::string>& cmd, const fs::path& log) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("sweep: fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> argv;
    for (const std::string& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "sweep: cannot execute %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

constexpr const char* run_elsewhere =
    "Run this plan elsewhere (--out DIR), or remove those directories to run them again.";

struct SweepCli {
  std::string file;
  bool dry_run = false;
  bool local = false;
  bool slurm = false;
  bool no_submit = false;
  int jobs = 1;
  int threads = 0;
  std::string out;
  std::vector<std::string> set;  ///< extra key=value overrides for every run
};

void run_local(const SweepPlan& plan, const SweepCli& o) {
  const std::string exe = self_executable();
  const int jobs = std::max(1, o.jobs);
  int threads = o.threads;
  if (threads == 0) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / jobs);
  std::vector<const SweepRun*> todo;
  int done = 0;
  for (const SweepRun& r : plan.runs) {
    if (r.finished()) {
      ++done;
      continue;
    }
    todo.push_back(&r);
  }
  std::printf("sweep %s: %zu runs, %d already finished, %zu to run with %d at a time (%d threads each)\n",
              plan.name.c_str(), plan.runs.size(), done, todo.size(), jobs, threads);
  std::map<pid_t, const SweepRun*> running;
  std::size_t next = 0;
  int failed = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && static_cast<int>(running.size()) < jobs) {
      const SweepRun& r = *todo[next++];
      fs::create_directories(r.dir);
      const auto cmd = run_command(r, exe, threads);
      std::printf("  start  %s\n", r.dir.string().c_str());
      std::fflush(stdout);
      running[spawn(cmd, r.dir / "stzkmc.log")] = &r;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("sweep: waitpid failed: ") + std::strerror(errno));
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const SweepRun& r = *it->second;
    running.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
      io::write_text_atomically(r.done_marker().string(), "finished\n");
      std::printf("  done   %s\n", r.dir.string().c_str());
    } else {
      ++failed;
      std::printf("  FAILED %s (exit %d; see %s)\n", r.dir.string().c_str(),
                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                  (r.dir / "stzkmc.log").string().c_str());
    }
    std::fflush(stdout);
  }
  if (failed)
    throw std::runtime_error("sweep: " + std::to_string(failed) +
                             " run(s) failed; rerun the same command to retry them");
  // The collect command with the same --out and --set, which collect needs to find the runs.
  std::string collect_command = "stzkmc collect " + shell_quote(o.file);
  if (!o.out.empty()) collect_command += " --out " + shell_quote(o.out);
  for (const std::string& s : o.set) collect_command += " --set " + shell_quote(s);
  std::printf("sweep %s: all %zu runs finished; next: %s\n", plan.name.c_str(), plan.runs.size(),
              collect_command.c_str());
}

void write_slurm(const SweepPlan& plan, const SweepCli& o) {
  const fs::path dir = plan.out_dir / "slurm";
  fs::create_directories(dir);
  const std::string exe = self_executable();
  const SlurmOptions& s = plan.slurm;
  // One line per array task: run directory, then the fresh-start arguments (tab separated).
  // Paths go into #SBATCH lines, which sbatch reads without shell quoting.
  for (const fs::path& p : {dir, fs::path(exe)})
    if (p.string().find_first_of(" \t\n\r'\"\\$`") != std::string::npos)
      throw std::invalid_argument("sweep --slurm: " + p.string() +
                                  " contains spaces, quotes or shell characters; use an output directory (--out) "
                                  "and an stzkmc path without them");
  const fs::path tasks = dir / "tasks.tsv";
  {
    // Values were checked at plan time: no tabs or line breaks can split a field or a line.
    std::ostringstream f;
    for (const SweepRun& r : plan.runs) {
      f << r.dir.string() << '\t' << r.checkpoint().string();
      std::vector<std::string> args{"run", r.base_deck.string(), "--out", r.dir.string()};
      for (const auto& [key, value] : r.overrides) args.insert(args.end(), {"--set", key + "=" + value});
      for (const std::string& a : args) f << '\t' << a;
      f << '\n';
    }
    io::write_text_atomically(tasks.string(), f.str());
  }
  const fs::path script = dir / "array.sbatch";
  {
    std::ostringstream f;
    f << "#!/bin/bash\n"
      << "#SBATCH --job-name=stz-" << plan.name << "\n"
      << "#SBATCH --array=0-" << plan.runs.size() - 1
      << (s.max_parallel > 0 ? "%" + std::to_string(s.max_parallel) : "") << "\n"
      << "#SBATCH --output=" << (dir / "%A_%a.log").string() << "\n"
      << "#SBATCH --open-mode=append\n"
      << "#SBATCH --time=" << s.time << "\n"
      << "#SBATCH --cpus-per-task=" << s.cpus_per_task << "\n"
      << "#SBATCH --ntasks=1\n"
      // The batch shell gets SIGTERM this long before the limit and forwards it: stzkmc writes a
      // checkpoint and exits, the task requeues itself and resumes from that checkpoint.
      << "#SBATCH --signal=B:TERM@" << s.signal_seconds << "\n"
      << "#SBATCH --requeue\n";
    if (!s.partition.empty()) f << "#SBATCH --partition=" << s.partition << "\n";
    if (!s.account.empty()) f << "#SBATCH --account=" << s.account << "\n";
    if (!s.mem.empty()) f << "#SBATCH --mem=" << s.mem << "\n";
    if (s.gpus > 0) f << "#SBATCH --gres=gpu:" << s.gpus << "\n";
    for (const std::string& e : s.extra) f << "#SBATCH " << e << "\n";
    if (!s.setup.empty()) {
      f << "# [slurm] setup of the sweep file\n";
      for (const std::string& line : s.setup) f << line << "\n";
    }
    f << "set -u\n"
      << "STZKMC=" << shell_quote(exe) << "\n"
      << "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" " << shell_quote(tasks.string()) << ")\n"
      << "IFS=$'\\t' read -r -a fields <<< \"$line\"\n"
      << "dir=${fields[0]}; ckpt=${fields[1]}\n"
      << "mkdir -p \"$dir\"\n"
      << "[ -f \"$dir/" << SweepRun::done_name << "\" ] && { echo \"already finished: $dir\"; exit 0; }\n"
      << "if [ -f \"$ckpt\" ]; then args=(resume \"$ckpt\"); else args=(\"${fields[@]:2}\"); fi\n"
      << "\"$STZKMC\" \"${args[@]}\" --quiet --threads \"${SLURM_CPUS_PER_TASK:-1}\" >> \"$dir/stzkmc.log\" 2>&1 &\n"
      << "pid=$!\n"
      << "trap 'kill -TERM $pid' TERM\n"
      << "trap 'kill -USR1 $pid' USR1\n"
      << "while true; do wait $pid; rc=$?; kill -0 $pid 2>/dev/null || break; done\n"
      << "if [ $rc -eq 0 ]; then echo finished > \"$dir/" << SweepRun::done_name << ".tmp\" && mv \"$dir/"
      << SweepRun::done_name << ".tmp\" \"$dir/" << SweepRun::done_name
      << "\"; exit 0; fi\n"
      // Only a run stopped by SIGTERM (exit 143: the time limit) requeues, and only so often:
      // an error would fail again on every restart.
      << "if [ $rc -eq 143 ] && [ -f \"$ckpt\" ] && [ -n \"${SLURM_ARRAY_JOB_ID:-}\" ]; then\n"
      << "  if [ \"${SLURM_RESTART_COUNT:-0}\" -lt " << s.max_requeues << " ]; then\n"
      << "    echo \"checkpointed (exit $rc): requeueing (restart ${SLURM_RESTART_COUNT:-0} of at most "
      << s.max_requeues << ")\"\n"
      << "    scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
      << "  else\n"
      << "    echo \"checkpointed (exit $rc) but requeued " << s.max_requeues
      << " times already ([slurm] max_requeues): not requeued; resume by hand\"\n"
      << "  fi\n"
      << "fi\n"
      << "exit $rc\n";
    io::write_text_atomically(script.string(), f.str());
  }
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  std::printf("sweep %s: wrote %s (%zu array tasks) and %s\n", plan.name.c_str(), script.string().c_str(),
              plan.runs.size(), tasks.string().c_str());
  if (o.no_submit) return;
  const std::string cmd = "sbatch --parsable " + shell_quote(script.string());
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("sweep: cannot run sbatch");
  char buf[256] = {0};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  const int rc = pclose(p);
  if (rc != 0 || !got)
    throw std::runtime_error("sweep: `" + cmd +
                             "` failed (is Slurm available here? use --no-submit to only write the script)");
  std::string job(buf);
  job.erase(job.find_last_not_of(" \n\r") + 1);
  io::write_text_atomically((dir / "job_id").string(), job + "\n");
  std::printf("sweep %s: submitted Slurm array job %s\n", plan.name.c_str(), job.c_str());
}

void print_plan(const SweepPlan& plan) {
  std::printf("sweep %s: base deck %s, %zu cases x %zu seeds = %zu runs, output under %s\n", plan.name.c_str(),
              plan.base_deck.string().c_str(), plan.cases.size(), plan.seeds.size(), plan.runs.size(),
              plan.out_dir.string().c_str());
  const std::string exe = self_executable();
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const SweepRun& r = plan.runs[i];
    const bool stored = r.finished() || fs::exists(r.checkpoint()) || fs::exists(r.output_file());
    const bool differs = stored && !stored_deck_differences(r).empty();
    const char* status = differs        ? "DIFFERS"
                         : r.finished() ? "finished"
                                        : (fs::exists(r.checkpoint()) ? "resume" : "new");
    std::printf("[%3zu] %-8s %s\n      %s\n", i, status, r.dir.string().c_str(),
                join_command(run_command(r, exe, 0)).c_str());
  }
}

void run_collect(const std::string& target, const std::string* out, const std::vector<std::string>& sets) {
  const SweepPlan plan = load_sweep_plan(target, *out, sets);
  // Never summarise runs of another deck under this plan's name.
  refuse_stale_runs(
      plan, "collect checks the runs against the plan: pass it the --out and --set options the sweep ran with.");
  write_plan_table(plan);
  const fs::path script = find_tool_script("sweep_collect.py");
  const std::string cmd = shell_quote(python_interpreter()) + " " + shell_quote(script.string()) + " " +
                          shell_quote((plan.out_dir / SweepPlan::plan_table_name).string());
  std::printf("collect: %s\n", cmd.c_str());
  std::fflush(stdout);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    const int code = rc == -1 ? -1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc));
    throw std::runtime_error("collect: " + script.string() + " failed (exit " + std::to_string(code) + ")");
  }
}

}  // namespace

void register_sweep_commands(CLI::App& app) {
  auto o = std::make_shared<SweepCli>();
  CLI::App* sweep = app.add_subcommand("sweep", "Run a base deck over a parameter grid and seeds, here or on Slurm");
  sweep->add_option("SWEEP", o->file, "Sweep file (TOML): base deck, [grid] or [[case]], seeds, [slurm]")
      ->required()
      ->check(CLI::ExistingFile);
  sweep->add_flag("--dry-run", o->dry_run, "Print the runs and their commands, run nothing");
  sweep->add_flag("--local", o->local, "Run here, -j at a time; finished runs are skipped, partial ones resumed");
  sweep->add_flag("--slurm", o->slurm, "Write a Slurm job array (one run per task) and submit it with sbatch");
  sweep->add_flag("--no-submit", o->no_submit, "With --slurm: write the array script but do not submit it");
  sweep->add_option("-j,--jobs", o->jobs, "Runs at a time with --local")->check(CLI::PositiveNumber);
  sweep->add_option("--threads", o->threads, "CPU threads per run (default: cores / jobs)")
      ->check(CLI::NonNegativeNumber);
  sweep->add_option("--out", o->out, "Output directory (default: the sweep's `out`, else next to the sweep file)");
  sweep->add_option("--set", o->set, "key=value applied to every run (after the sweep's own [set]), e.g. grid.n=128");
  sweep->callback([o]() {
    // An invalid sweep file (or a plan that collides with earlier runs): exit 2, nothing run.
    SweepPlan plan;
    try {
      plan = load_sweep_plan(o->file, o->out, o->set);
      if (!o->dry_run) refuse_stale_runs(plan, run_elsewhere);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "stzkmc: %s\n", e.what());
      throw CLI::RuntimeError(2);
    }
    const int modes = int(o->dry_run) + int(o->local) + int(o->slurm);
    if (modes != 1) throw std::invalid_argument("sweep: choose exactly one of --dry-run, --local, --slurm");
    if (o->dry_run) {
      print_plan(plan);
      try {
        refuse_stale_runs(plan, run_elsewhere);  // the same refusal --local and --slurm would give
      } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "stzkmc: %s\n", e.what());
        throw CLI::RuntimeError(2);
      }
      return;
    }
    write_plan_table(plan);
    if (o->local) return run_local(plan, *o);
    write_slurm(plan, *o);
  });

  auto target = std::make_shared<std::string>();
  auto collect_out = std::make_shared<std::string>();
  auto collect_sets = std::make_shared<std::vector<std::string>>();
  CLI::App* collect = app.add_subcommand(
      "collect", "Summarize a sweep: one table (CSV and HDF5) per run and per case, and the figures");
  collect->add_option("SWEEP", *target, "The sweep file")->required()->check(CLI::ExistingFile);
  collect->add_option("--out", *collect_out, "The sweep's output directory, if it was run with --out");
  collect->add_option("--set", *collect_sets, "The --set overrides the sweep was run with (its runs must match them)");
  collect->callback([target, collect_out, collect_sets]() {
    try {
      run_collect(*target, collect_out.get(), *collect_sets);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "stzkmc: %s\n", e.what());
      throw CLI::RuntimeError(2);
    }
  });
}

}  // namespace stz::cli
