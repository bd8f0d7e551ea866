// [cli] Nothing lost, nothing silently wrong (issue 10), through the stzkmc executable: a write
// that fails (file size limit: EFBIG, the same checked path as a full disk) stops the run with a
// message and leaves a checkpoint that resumes bitwise; a locked run directory; unfinished runs
// never discarded; bad inputs answered with exit 2 before anything is created; SEEM arguments.
// (Disk full on a real file system: tests/storage_fault_scan.sh, ctest storage_faults.)
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "test_io_support.hpp"

using namespace stz::test::io;
namespace fs = std::filesystem;

namespace {

const char* deck_text =
    "[grid]\nn = 32\n[run]\nbackend = \"cpu\"\nthreads = 1\n"
    "[output]\nname = \"r\"\nfield_strains = [0.01, 0.02, 0.03, 0.04, 0.05]\ncheckpoint_strain_interval = 0.005\n";

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("a failed write stops the run with the OS error and leaves a checkpoint that resumes bitwise", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  write_file(dir / "r.toml", deck_text);
  REQUIRE(run({stzkmc(), "run", dir / "r.toml", "--out", dir / "ref", "--quiet"}, dir / "ref.log") == 0);
  // Files may not grow beyond 720 blocks of 512 bytes (dash's unit: 369 kB; SIGXFSZ ignored, so
  // writes fail with EFBIG): the first checkpoints (about 360 kB) fit, a later file does not.
  const std::string cmd = "trap '' XFSZ; ulimit -f 720; exec " + quoted(stzkmc()) + " run " + quoted(dir / "r.toml") +
                          " --out " + quoted(dir / "run") + " --quiet";
  const int rc = run({"/bin/sh", "-c", cmd}, dir / "run.log");
  const std::string log = read_file(dir / "run.log");
  INFO(log);
  REQUIRE(rc == 1);
  CHECK_THAT(log, Catch::Contains("File too large (EFBIG)") && Catch::Contains("r.ckpt.h5.tmp"));
  CHECK_THAT(log, Catch::Contains("stzkmc resume"));
  REQUIRE(fs::exists(dir / "run/r.ckpt.h5"));
  for (const auto& e : fs::directory_iterator(dir / "run"))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);  // no temporaries left
  // The output on disk is complete and says the run failed.
  CHECK(run_python("io_check_output.py", {dir / "run/r.h5", "--status", "failed"}, dir / "check.log") == 0);
  // Without the limit, both checkpoints resume to the uninterrupted run.
  fs::copy(dir / "run", dir / "prev", fs::copy_options::recursive);
  CHECK(run({stzkmc(), "resume", dir / "run/r.ckpt.h5", "--quiet"}, dir / "resume.log") == 0);
  CHECK(compare_outputs(dir / "ref/r.h5", dir / "run/r.h5", dir / "cmp.log") == 0);
  if (fs::exists(dir / "prev/r.ckpt.prev.h5")) {
    CHECK(run({stzkmc(), "resume", dir / "prev/r.ckpt.prev.h5", "--quiet"}, dir / "resume2.log") == 0);
    CHECK(compare_outputs(dir / "ref/r.h5", dir / "prev/r.h5", dir / "cmp2.log") == 0);
  }
}

TEST_CASE("a second stzkmc on a running run's directory fails at once, naming the holder", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  write_file(dir / "r.toml", deck_text);
  // Long enough to be caught running: 64^2 to a large strain.
  const pid_t first = spawn({stzkmc(), "run", dir / "r.toml", "--out", dir / "run", "--set", "grid.n=64", "--set",
                             "loading.end_strain=1.0", "--quiet"},
                            dir / "first.log");
  REQUIRE(wait_for_file(dir / "run/r.ckpt.h5", first));
  CHECK(run({stzkmc(), "resume", dir / "run/r.ckpt.h5"}, dir / "second.log") == 2);
  CHECK_THAT(read_file(dir / "second.log"), Catch::Contains("locked by PID " + std::to_string(first)));
  CHECK(run({stzkmc(), "run", dir / "r.toml", "--out", dir / "run", "--force"}, dir / "third.log") == 2);
  CHECK_THAT(read_file(dir / "third.log"), Catch::Contains("locked by PID " + std::to_string(first)));
  kill(first, SIGTERM);
  CHECK(wait_exit(first) == 143);
  // The holder is gone: `run` now refuses only because the run is unfinished, and says how to go on.
  CHECK(run({stzkmc(), "run", dir / "r.toml", "--out", dir / "run"}, dir / "fourth.log") == 2);
  CHECK_THAT(read_file(dir / "fourth.log"),
             Catch::Contains("unfinished run") && Catch::Contains("stzkmc resume") && Catch::Contains("--force"));
  CHECK(fs::exists(dir / "run/r.ckpt.h5"));
}

TEST_CASE("bad inputs get exit code 2 before anything is created", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  write_file(dir / "r.toml", deck_text);
  REQUIRE(::mkfifo((dir / "fifo.toml").c_str(), 0600) == 0);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", dir.path().string()}, "is a directory"},
      {{"run", "/dev/zero"}, "not a regular file"},
      {{"run", dir / "fifo.toml"}, "not a regular file"},
      {{"run", dir / "r.toml", "--set", "grid.n=64\ngrid.modes=2"}, "line break"},
      {{"run", dir / "r.toml", "--set", "grid.n=65536"}, "needs about"},
      {{"run", dir / "r.toml", "--set", "solver.full_solve_interval=4294967297"}, "[1, 2147483647]"},
      {{"run", dir / "r.toml", "--set", "kinetics.temperature=1e-300"}, "kinetics.temperature = 1e-300"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv{stzkmc()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--out", dir / "out"});
    const int rc = run(argv, dir / "log");
    INFO(args.back() << ": " << read_file(dir / "log"));
    CHECK(rc == 2);
    CHECK_THAT(read_file(dir / "log"), Catch::Contains(message));
    CHECK_FALSE(fs::exists(dir / "out"));
  }
}

TEST_CASE("a deck that cannot progress stops with exit code 3 and says why", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  write_file(dir / "r.toml", deck_text);
  const int rc = run({stzkmc(), "run", dir / "r.toml", "--out", dir / "hot", "--set", "kinetics.temperature=600",
                      "--set", "loading.stop_stress=-1000", "--quiet"},
                     dir / "log");
  const std::string log = read_file(dir / "log");
  INFO(log);
  CHECK(rc == 3);
  CHECK_THAT(log, Catch::Contains("warning: no progress") && Catch::Contains("stalled: 10240 transformations"));
  CHECK(run({stzkmc(), "analyze", dir / "hot/r.h5"}, dir / "analyze.log") == 0);
  CHECK_THAT(read_file(dir / "analyze.log"), Catch::Contains("status              stalled"));
}

TEST_CASE("SEEM refuses NaN, infinite and out-of-range arguments and the wrong files", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  const std::string db = (source_dir() / "data/seem/seem_db.h5").string();
  const std::string fit = (source_dir() / "data/seem/x1_fit.h5").string();
  if (!fs::exists(db)) {
    WARN("data/seem/seem_db.h5 missing: test skipped");
    return;
  }
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--x1", "nan"},
                                               {"--x1", "inf"},
                                               {"--x1", "0.02", "--tau", "nan"},
                                               {"--x1", "0.02", "--dgamma", "-1"},
                                               {"--x1", "0.02", "--dgamma", "nan"},
                                               {"--x1", "0.02", "--gamma-max", "inf"},
                                               {"--x1", "0.02", "--traj", "0"}}) {
    std::vector<std::string> argv{stzkmc(), "seem", "run", "--db", db, "--traj", "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    const int rc = run(argv, dir / "log");
    INFO(args[args.size() - 1] << ": " << read_file(dir / "log"));
    CHECK(rc != 0);
    CHECK(rc < 128);
  }
  // Far outside the data: a warning, or a refusal with --strict.
  CHECK(run({stzkmc(), "seem", "run", "--db", db, "--x1", "0.5", "--traj", "10", "--gamma-max", "0.01"},
            dir / "w.log") == 0);
  CHECK_THAT(read_file(dir / "w.log"), Catch::Contains("warning: X1 = 0.5") && Catch::Contains("outside"));
  CHECK(run({stzkmc(), "seem", "run", "--db", db, "--x1", "0.5", "--strict"}, dir / "s.log") == 1);
  CHECK_THAT(read_file(dir / "s.log"), Catch::Contains("--strict refuses"));
  // A database is not an X1 fit.
  CHECK(run({stzkmc(), "seem", "x1", "--pe", "-4.4", "--fit", db}, dir / "x.log") == 1);
  CHECK_THAT(read_file(dir / "x.log"), Catch::Contains("not an X1 fit"));
  CHECK(run({stzkmc(), "seem", "x1", "--pe", "-4.4", "--fit", fit}, dir / "x2.log") == 0);
}

TEST_CASE("one command-line vocabulary: --out DIR, --backend, fractions and .gz for seem harvest", "[cli]") {
  STZ_REQUIRE_STZKMC();
  ScratchDir dir;
  // A LAMMPS log of AQS steps (a sawtooth of stress drops), compressed as tools/seem/generate.sh does.
  {
    std::string log = "LAMMPS (test)\n";
    double tau = 0.0, pe = -4.40 * 256;
    for (int i = 1; i < 4000; ++i) {
      tau += 0.02;
      pe += 0.01;
      if (i % 25 == 0) tau -= 0.45, pe -= 0.3;
      log += "Step v_gamma v_tau v_pea\n " + std::to_string(i) + " " + std::to_string(i * 2e-4) + " " +
             std::to_string(tau) + " " + std::to_string(pe) + "\nLoop time of 0 on 1 procs\n";
    }
    write_file(dir / "aqs.log", log);
  }
  REQUIRE(std::system(("gzip -f " + quoted(dir / "aqs.log")).c_str()) == 0);
  const int rc = run({stzkmc(), "seem", "harvest", "--log", dir / "aqs.log.gz", "--energy-scale", "1/256", "--u0",
                      "-4.4", "--omega", "0.01", "--n-x1", "4", "--n-tau", "4", "--out", dir / "db/"},
                     dir / "harvest.log");
  INFO(read_file(dir / "harvest.log"));
  CHECK(rc == 0);
  CHECK(fs::exists(dir / "db/seem_db.h5"));  // --out DIR, as for run and sweep
  // --backend is the name everywhere (seem's former --device still works).
  CHECK(run({stzkmc(), "seem", "run", "--db", dir / "db/seem_db.h5", "--x1", "0.005", "--traj", "10", "--gamma-max",
             "0.01", "--backend", "cpu", "--out", dir / "db"},
            dir / "run.log") == 0);
  CHECK(fs::exists(dir / "db/seem_run.h5"));
  // A bad option value is bad input: exit 2 and a message naming the option and the value.
  CHECK(run({stzkmc(), "seem", "harvest", "--log", dir / "aqs.log.gz", "--energy-scale", "1/0", "--out", dir / "x"},
            dir / "bad.log") == 2);
  CHECK_THAT(read_file(dir / "bad.log"), Catch::Contains("--energy-scale") && Catch::Contains("1/0"));
  CHECK(run({stzkmc(), "bench", "--backend", "nope"}, dir / "bench.log") == 2);
}
