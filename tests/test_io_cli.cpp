// [cli] The stzkmc command line as a user runs it: bad decks fail fast with exit code 2,
// SIGKILL mid-run leaves a checkpoint that resumes to the uninterrupted result, SIGUSR1
// checkpoints and continues, SIGTERM checkpoints and exits 143; analyze, plot, info, keys.
// Needs $STZKMC (ctest sets it to the built executable).
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "io/config.hpp"
#include "io/h5.hpp"
#include "test_io_support.hpp"

using namespace stz::test::io;
namespace fs = std::filesystem;

namespace {

// 32^2 to strain 0.06 with a checkpoint every 0.005: long enough (~1000 passes) to be
// interrupted mid-way, short enough for CI.
const char* cli_deck =
    "[grid]\nn = 32\n[run]\nbackend = \"cpu\"\nthreads = 1\n"
    "[output]\nname = \"cli\"\nfield_strains = [0.02, 0.04]\ncheckpoint_strain_interval = 0.005\n";

/// The uninterrupted run of cli_deck, shared by the tests of this file (run once).
const std::string& reference_output() {
  static ScratchDir dir;
  static std::string out;
  if (out.empty()) {
    write_file(dir / "cli.toml", cli_deck);
    const int rc = run({stzkmc(), "run", dir / "cli.toml", "--out", dir / "ref", "--quiet"}, dir / "ref.log");
    INFO(read_file(dir / "ref.log"));
    REQUIRE(rc == 0);
    out = (dir.path() / "ref" / "cli.h5").string();
  }
  return out;
}

}  // namespace

TEST_CASE("a bad deck fails fast with exit code 2 and an actionable message", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  write_file(dir / "bad.toml", "[grid]\nn = 64\n\n[loading]\nstrain_step = -1\nmode = \"pull\"\n");
  CHECK(run({stzkmc(), "run", dir / "bad.toml", "--out", dir / "out"}, dir / "log") == 2);
  const std::string log = read_file(dir / "log");
  CHECK_THAT(log,
             Catch::Contains("bad.toml:5:1: loading.strain_step = -1: out of range; allowed: a number in (0, inf)"));
  CHECK_THAT(log, Catch::Contains("bad.toml:6:1: loading.mode = \"pull\": not one of the choices"));
  CHECK_FALSE(fs::exists(dir / "out"));  // nothing started

  write_file(dir / "good.toml", "[grid]\nn = 32\n");
  CHECK(run({stzkmc(), "run", dir / "good.toml", "--set", "grid.n=33", "--out", dir / "out"}, dir / "log2") == 2);
  CHECK_THAT(read_file(dir / "log2"), Catch::Contains("--set grid.n=33: grid.n = 33: out of range"));
  CHECK_FALSE(fs::exists(dir / "out"));

  CHECK(run({stzkmc(), "run", dir / "missing.toml"}, dir / "log3") == 2);
  CHECK_THAT(read_file(dir / "log3"), Catch::Contains("missing.toml: cannot read the deck file"));
  CHECK(run({stzkmc(), "resume", dir / "missing.ckpt.h5"}, dir / "log4") == 2);
}

TEST_CASE("a run killed with SIGKILL resumes from its checkpoint to the uninterrupted result", "[cli]") {
  STZ_REQUIRE_STZKMC();
  const std::string& reference = reference_output();
  ScratchDir dir;
  write_file(dir / "cli.toml", cli_deck);
  const pid_t pid = spawn({stzkmc(), "run", dir / "cli.toml", "--out", dir / "out", "--quiet"}, dir / "run.log");
  const std::string ckpt = dir / "out/cli.ckpt.h5";
  REQUIRE(wait_for_file(ckpt, pid));
  const bool killed_mid_run = running(pid);
  kill(pid, SIGKILL);
  CHECK(wait_exit(pid) == 128 + SIGKILL);
  REQUIRE(killed_mid_run);
  {
    stz::io::h5::Handle f = stz::io::h5::open_file(dir / "out/cli.h5");  // the output survived, complete
    CHECK(stz::io::h5::attr_string(stz::io::h5::open_group(f, "meta"), "status") == "running");
  }
  CHECK(run({stzkmc(), "resume", ckpt, "--quiet"}, dir / "resume.log") == 0);
  CHECK(compare_outputs(reference, dir / "out/cli.h5", dir / "cmp.log") == 0);
  // The finished run removed its checkpoints; resuming it again says so and succeeds.
  REQUIRE_FALSE(fs::exists(ckpt));
  CHECK(run({stzkmc(), "resume", ckpt}, dir / "again.log") == 0);
  CHECK_THAT(read_file(dir / "again.log"), Catch::Contains("has finished") && Catch::Contains("nothing to resume"));
}

TEST_CASE("SIGUSR1 checkpoints and continues, SIGTERM checkpoints and exits 143", "[cli]") {
  STZ_REQUIRE_STZKMC();
  const std::string& reference = reference_output();
  ScratchDir dir;
  // No scheduled checkpoints: every checkpoint here comes from a signal.
  write_file(dir / "cli.toml", std::string(cli_deck) + "checkpoint_minutes = 0\n");
  const std::string deck_args = "output.checkpoint_strain_interval=0";
  const pid_t pid =
      spawn({stzkmc(), "run", dir / "cli.toml", "--set", deck_args, "--out", dir / "out"}, dir / "run.log");
  const std::string ckpt = dir / "out/cli.ckpt.h5";
  // The output exists from the first pass on, once the handlers are installed.
  REQUIRE(wait_for_file(dir / "out/cli.h5", pid));
  kill(pid, SIGUSR1);
  REQUIRE(wait_for_file(ckpt, pid));
  kill(pid, SIGTERM);
  const int rc = wait_exit(pid);
  const std::string log = read_file(dir / "run.log");
  INFO(log);
  REQUIRE(rc == 143);
  CHECK_THAT(log, Catch::Contains("checkpoint (SIGUSR1)"));
  CHECK_THAT(log, Catch::Contains("stopped by SIGTERM"));
  CHECK_THAT(log, Catch::Contains("stzkmc resume " + ckpt));
  CHECK(fs::exists(dir / "out/cli.ckpt.prev.h5"));  // the SIGUSR1 one, kept
  {
    stz::io::h5::Handle f = stz::io::h5::open_file(dir / "out/cli.h5");
    stz::io::h5::Handle meta = stz::io::h5::open_group(f, "meta");
    CHECK(stz::io::h5::attr_string(meta, "status") == "interrupted");
    CHECK(stz::io::h5::attr_string(meta, "stop_reason") == "SIGTERM");
  }
  CHECK(run({stzkmc(), "resume", ckpt, "--quiet"}, dir / "resume.log") == 0);
  CHECK(compare_outputs(reference, dir / "out/cli.h5", dir / "cmp.log") == 0);
  CHECK_FALSE(fs::exists(ckpt));  // a finished run needs no checkpoint
  CHECK_FALSE(fs::exists(dir / "out/cli.ckpt.prev.h5"));
}

TEST_CASE("analyze, plot, info and keys", "[cli]") {
  STZ_REQUIRE_STZKMC();
  const std::string& reference = reference_output();
  ScratchDir dir;
  CHECK(run({stzkmc(), "analyze", reference, "--recompute"}, dir / "analyze.log") == 0);
  const std::string analysis = read_file(dir / "analyze.log");
  CHECK_THAT(analysis, Catch::Contains("peak stress"));
  CHECK_THAT(analysis, Catch::Contains("extreme sites"));
  CHECK_THAT(analysis, Catch::Contains("SLI"));
  CHECK_THAT(analysis, Catch::Contains("avalanches"));
  CHECK_THAT(analysis, Catch::Contains("recomputed"));

  const int rc = run({stzkmc(), "plot", reference, "--out", dir.path().string()}, dir / "plot.log");
  INFO(read_file(dir / "plot.log"));
  CHECK(rc == 0);
  for (const char* png : {"cli_curve.png", "cli_eq_strain.png", "cli_fields_0000.png", "cli_avalanches.png"})
    CHECK(fs::file_size(dir.path() / png) > 10000);

  CHECK(run({stzkmc(), "info"}, dir / "info.log") == 0);
  const std::string info = read_file(dir / "info.log");
  CHECK_THAT(info, Catch::Contains("commit"));
  CHECK_THAT(info, Catch::Contains("CUDA"));
  CHECK_THAT(info, Catch::Contains("--backend auto runs on"));
  CHECK_THAT(info, Catch::Contains("CPU code: ") && (Catch::Contains("clone") || Catch::Contains("native build")));

  CHECK(run({stzkmc(), "keys"}, dir / "keys.log") == 0);
  CHECK(read_file(dir / "keys.log") == stz::io::schema_markdown());
  CHECK(run({stzkmc(), "keys", "--format", "toml"}, dir / "keys.toml") == 0);
  CHECK_NOTHROW(stz::io::load_deck(dir / "keys.toml"));
}
