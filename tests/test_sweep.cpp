// Sweep files: expansion into runs, stable names, seeds, and error messages.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <set>

#include "app/sweep_plan.hpp"
#include "io/h5.hpp"

namespace fs = std::filesystem;
using namespace stz;

namespace {
fs::path scratch_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("stz_sweep_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  std::ofstream(d / "base.toml") << "[grid]\nn = 16\n";
  return d;
}
void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
std::string value_of(const SweepRun& r, const std::string& key) {
  std::string v;
  for (const auto& kv : r.overrides)
    if (kv.first == key) v = kv.second;
  return v;
}
}  // namespace

TEST_CASE("A grid sweep expands to cases x seeds with stable directories", "[unit][sweep]") {
  const fs::path d = scratch_dir("grid");
  write(d / "s.toml", R"(
name = "rates"
base = "base.toml"
seeds = [3, 4]
[set]
"grid.n" = 32
[grid]
"loading.strain_rate" = [1e-4, 0.01, 100.0]
"catalog.barrier_mean" = [1.8, 2.2]
)");
  const SweepPlan p = load_sweep_plan(d / "s.toml", "", {"grid.modes=10"});
  REQUIRE(p.runs.size() == 12);
  CHECK(p.cases.size() == 6);
  CHECK(p.seeds == std::vector<std::uint64_t>{3, 4});
  CHECK(p.out_dir == (d / "results/rates").lexically_normal());
  CHECK(p.swept_keys == std::vector<std::string>{"catalog.barrier_mean", "loading.strain_rate"});
  const SweepRun& r = p.runs[0];
  CHECK(value_of(r, "grid.n") == "32");
  CHECK(value_of(r, "grid.modes") == "10");
  CHECK(value_of(r, "run.seed") == "3");
  CHECK(value_of(r, "output.name") == "run");
  CHECK(p.runs[1].seed == 4);
  // Shortest round-trip text of each value, and the same directory every time the file is read.
  std::set<std::string> dirs;
  for (const SweepRun& x : p.runs) dirs.insert(x.dir.string());
  CHECK(dirs.size() == 12);
  CHECK(dirs.count((p.out_dir / "barrier_mean=1.8_strain_rate=1e-04" / "seed-3").string()) == 1);
  CHECK(dirs.count((p.out_dir / "barrier_mean=2.2_strain_rate=100" / "seed-4").string()) == 1);
  const SweepPlan again = load_sweep_plan(d / "s.toml", "", {"grid.modes=10"});
  for (std::size_t i = 0; i < p.runs.size(); ++i) CHECK(again.runs[i].dir == p.runs[i].dir);
  write_plan_table(p);
  CHECK(fs::exists(p.out_dir / "plan.tsv"));
  fs::remove_all(d);
}

TEST_CASE("Explicit cases pair parameters and keep their labels", "[unit][sweep]") {
  const fs::path d = scratch_dir("cases");
  write(d / "c.toml", R"(
base = "base.toml"
replicas = 3
base_seed = 10
[[case]]
label = "fast"
"catalog.barrier_mean" = 1.8
"softening.eta_max" = 0.4
[[case]]
label = "slow"
"catalog.barrier_mean" = 2.2
"softening.eta_max" = 0.6
)");
  const SweepPlan p = load_sweep_plan(d / "c.toml", (d / "out").string());
  REQUIRE(p.runs.size() == 6);
  CHECK(p.runs[0].case_label == "fast");
  CHECK(p.runs[3].case_label == "slow");
  CHECK(p.runs[2].seed == 12);
  CHECK(value_of(p.runs[4], "softening.eta_max") == "0.6");
  CHECK(p.runs[0].dir == d / "out" / "fast" / "seed-10");
  fs::remove_all(d);
}

TEST_CASE("Malformed sweep files are rejected naming the key, the value and what is allowed", "[unit][sweep]") {
  const fs::path d = scratch_dir("bad");
  write(d / "a.toml", "base = \"base.toml\"\nsedes = [1]\n");
  CHECK_THROWS_WITH(load_sweep_plan(d / "a.toml", ""), Catch::Contains("sedes") && Catch::Contains("allowed"));
  write(d / "b.toml", "base = \"nothere.toml\"\n");
  CHECK_THROWS_WITH(load_sweep_plan(d / "b.toml", ""), Catch::Contains("base") && Catch::Contains("nothere.toml"));
  write(d / "c.toml", "base = \"base.toml\"\n[grid]\n\"grid.n\" = 16\n");
  CHECK_THROWS_WITH(load_sweep_plan(d / "c.toml", ""), Catch::Contains("grid.grid.n") && Catch::Contains("list"));
  write(d / "e.toml", "base = \"base.toml\"\nreplicas = 0\n");
  CHECK_THROWS_WITH(load_sweep_plan(d / "e.toml", ""), Catch::Contains("replicas") && Catch::Contains("[1, 10000]"));
  write(d / "f.toml", "base = \"base.toml\"\n[slurm]\ngpu = 1\n");
  CHECK_THROWS_WITH(load_sweep_plan(d / "f.toml", ""), Catch::Contains("slurm.gpu") && Catch::Contains("gpus"));
  fs::remove_all(d);
}

TEST_CASE("Sweep labels, values and Slurm settings cannot escape their directory or their script line",
          "[unit][sweep]") {
  const fs::path d = scratch_dir("escape");
  auto problem = [&](const std::string& text) -> std::string {
    write(d / "x.toml", "base = \"base.toml\"\n" + text);
    try {
      load_sweep_plan(d / "x.toml", "");
    } catch (const std::exception& e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK_THAT(problem("[[case]]\nlabel = \"../../../x\"\n\"grid.n\" = 16\n"), Catch::Contains("case.label"));
  CHECK_THAT(problem("[[case]]\nlabel = \"a/b\"\n\"grid.n\" = 16\n"), Catch::Contains("case.label"));
  CHECK_THAT(problem("[[case]]\nlabel = \"tab\\there\"\n\"grid.n\" = 16\n"), Catch::Contains("case.label"));
  CHECK_THAT(problem("[[case]]\nlabel = \"ok\"\n\"output.name\" = \"a\\nb\"\n"), Catch::Contains("control characters"));
  CHECK_THAT(problem("[slurm]\npartition = \"gpu\\nrm -rf ~\"\n"), Catch::Contains("slurm.partition"));
  CHECK_THAT(problem("[slurm]\naccount = \"a b\"\n"), Catch::Contains("slurm.account"));
  CHECK_THAT(problem("[slurm]\nextra = [\"--qos=x; rm\"]\n"), Catch::Contains("slurm.extra"));
  CHECK_THAT(problem("[slurm]\nsetup = [\"module load cuda\\nrm -rf ~\"]\n"), Catch::Contains("slurm.setup"));
  CHECK_THAT(problem("[slurm]\nmax_requeues = -1\n"), Catch::Contains("slurm.max_requeues"));
  CHECK(problem("[slurm]\nsetup = [\"module load cuda/12\", \"source ~/env.sh\"]\n") == "accepted");
  // Sizes that would hang a dry run.
  CHECK_THAT(problem("replicas = 1e8\n"), Catch::Contains("replicas") && Catch::Contains("integer"));
  CHECK_THAT(problem("replicas = 100000\n"), Catch::Contains("[1, 10000]"));
  // Deck keys and values of every case are checked when the plan is made.
  CHECK_THAT(problem("[grid]\n\"grid.nn\" = [32]\n"), Catch::Contains("case nn=32") && Catch::Contains("unknown key"));
  CHECK_THAT(problem("[grid]\n\"grid.n\" = [32, 33]\n"),
             Catch::Contains("case n=33") && Catch::Contains("out of range"));
  fs::remove_all(d);
}

TEST_CASE("A finished run is reused only if it ran the planned deck", "[unit][sweep]") {
  const fs::path d = scratch_dir("stale");
  write(d / "s.toml", "base = \"base.toml\"\nseeds = [1]\n[grid]\n\"loading.strain_rate\" = [1e-4]\n");
  const SweepPlan p64 = load_sweep_plan(d / "s.toml", "", {"grid.n=64"});
  const SweepPlan p128 = load_sweep_plan(d / "s.toml", "", {"grid.n=128"});
  CHECK(p64.fixed_keys == std::vector<std::string>{"grid.n"});
  const SweepRun& r = p64.runs[0];
  fs::create_directories(r.dir);
  {
    // A finished run of the 64^2 plan: its output holds the deck it ran (threads differ: not a result key).
    io::Deck ran = r.deck;
    ran.run.threads = 3;
    io::h5::Handle f = io::h5::create_file(r.output_file().string());
    io::h5::write_string(f, "deck", io::to_toml(ran));
    std::ofstream(r.done_marker()) << "finished\n";
  }
  CHECK(stored_deck_differences(r).empty());
  CHECK_NOTHROW(refuse_stale_runs(p64, "what to do"));
  CHECK(stored_deck_differences(p128.runs[0]) == std::vector<std::string>{"grid.n: 64 vs 128"});
  CHECK_THROWS_WITH(refuse_stale_runs(p128, "what to do"),
                    Catch::Contains("grid.n: 64 vs 128") && Catch::Contains("what to do"));
  // The plan table carries the fixed keys as columns and names the swept ones.
  write_plan_table(p128);
  std::ifstream in(p128.out_dir / "plan.tsv");
  std::string l1, l2, l3, l4;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  std::getline(in, l4);
  CHECK(l2 == "# swept\tloading.strain_rate");
  CHECK(l3 == "index\tcase\tseed\tdir\toutput\tgrid.n\tloading.strain_rate");
  CHECK_THAT(l4, Catch::EndsWith("\t128\t1e-04"));
  fs::remove_all(d);
}
