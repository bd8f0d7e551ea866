#pragma once
/** @file
 * @brief Sweep files: a base deck x a parameter grid (or explicit cases) x seeds, expanded into
 * runs with stable output directories. Used by `stzkmc sweep` and `stzkmc collect`.
 */
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "io/config.hpp"

namespace stz {

struct SlurmOptions {
  std::string partition, account, mem;
  std::string time = "24:00:00";
  int cpus_per_task = 1;
  int gpus = 0;
  int max_parallel = 0;            ///< %N throttle of the array (0: none)
  int signal_seconds = 300;        ///< SIGTERM this long before the time limit: checkpoint, requeue
  int max_requeues = 20;           ///< a task requeues itself after SIGTERM (exit 143) at most this often
  std::vector<std::string> extra;  ///< further #SBATCH lines, e.g. "--qos=long"
  std::vector<std::string> setup;  ///< shell lines before the command ("module load cuda", "source env.sh")
};

/// Limits of a sweep file (a bigger plan is a typo, and would take minutes just to list).
constexpr std::int64_t max_sweep_seeds = 10000;
constexpr std::size_t max_sweep_runs = 100000;
constexpr std::size_t max_label_length = 100;

using Overrides = std::vector<std::pair<std::string, std::string>>;  ///< deck key, value (as for --set)

struct SweepCase {
  std::string label;  ///< directory name of the case
  Overrides overrides;
};

struct SweepRun {
  static constexpr const char* done_name = "DONE";
  static constexpr const char* output_name = "run";  ///< output.name of every run of a sweep
  std::filesystem::path dir;                         ///< <out>/<case label>/seed-<seed>
  std::filesystem::path base_deck;
  std::string case_label;
  std::uint64_t seed = 0;
  Overrides overrides;  ///< sweep-wide [set], then the case, then run.seed and output.name
  io::Deck deck;        ///< the resolved deck these overrides give (checked at plan time)
  std::filesystem::path output_file() const { return dir / (std::string(output_name) + ".h5"); }
  std::filesystem::path checkpoint() const { return dir / (std::string(output_name) + ".ckpt.h5"); }
  std::filesystem::path done_marker() const { return dir / done_name; }
  bool finished() const { return std::filesystem::exists(done_marker()); }
};

struct SweepPlan {
  static constexpr const char* plan_table_name = "plan.tsv";
  std::string name;
  std::filesystem::path file, base_deck, out_dir;
  std::vector<std::string> swept_keys;  ///< keys that vary between cases, in file order
  std::vector<std::string> fixed_keys;  ///< keys set for every run ([set] and --set), in order
  std::vector<SweepCase> cases;
  std::vector<std::uint64_t> seeds;
  std::vector<SweepRun> runs;  ///< cases x seeds, case-major
  SlurmOptions slurm;
};

/**
 * @brief Reads and expands a sweep file. Throws std::invalid_argument naming the key, the value and
 * what is allowed for anything malformed. `out_override` replaces the file's `out` if not empty;
 * `extra_sets` ("key=value") are applied to every run after the file's [set].
 */
SweepPlan load_sweep_plan(const std::filesystem::path& file, const std::string& out_override,
                          const std::vector<std::string>& extra_sets = {});

/// Writes <out>/plan.tsv: one row per run (index, case, seed, directory, output file, then the
/// values of the fixed and the swept keys); a "# swept" line names the swept ones.
void write_plan_table(const SweepPlan& plan);

/**
 * @brief Why a run's directory cannot be reused for this plan: the keys that change results in
 * which the deck stored there (run.h5, else the checkpoint) differs from the planned deck, e.g.
 * "grid.n: 64 vs 128" (stored vs planned). Empty when they agree or nothing is stored.
 */
std::vector<std::string> stored_deck_differences(const SweepRun& run);

/// Throws std::invalid_argument listing every run whose directory holds a different run
/// (stored_deck_differences), followed by `what_to_do`.
void refuse_stale_runs(const SweepPlan& plan, const std::string& what_to_do);

}  // namespace stz
