// [io] Nothing lost, nothing silently wrong (issue 10), in process: checkpoints that refuse
// corruption (bit flips, NaN, impossible values), run directories that are locked and never
// discarded by accident, input edges of decks, and the stall watchdog.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "app/resources.hpp"
#include "app/run_lock.hpp"
#include "app/session.hpp"
#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "cuda/entry.hpp"
#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/h5.hpp"
#include "stz/backend.hpp"
#include "test_io_support.hpp"

using namespace stz;
using namespace stz::io;
using stz::test::io::ScratchDir;
namespace fs = std::filesystem;

namespace {

// 16^2 with a checkpoint every 0.005 of strain: a few hundred passes, small files.
const char* small_deck =
    "[grid]\nn = 16\n[run]\nbackend = \"cpu\"\nthreads = 1\n"
    "[output]\nfield_strains = [0.02]\ncheckpoint_strain_interval = 0.005\n";

/// A checkpoint of a small run interrupted after `passes` passes (as if SIGTERM came).
std::string interrupted_run(const fs::path& dir, std::uint64_t passes = 150) {
  const Deck deck = parse_deck(small_deck, "s.toml");
  REQUIRE(run_deck(deck, "s.toml", stz::test::io::session_options(dir, passes)) == exit_terminated);
  return (dir / "s.ckpt.h5").string();
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

int run_python_inline(const std::string& code, const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv{stz::test::io::python(), "-c", code};
  argv.insert(argv.end(), args.begin(), args.end());
  return stz::test::io::run(argv, log);
}

}  // namespace

TEST_CASE("random bit flips in a checkpoint are refused, never resumed into a different run", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const std::string ckpt = interrupted_run(dir.path() / "run");
  std::uint64_t good = 0;
  (void)read_checkpoint(ckpt, nullptr, &good);
  const std::vector<char> original = read_bytes(ckpt);
  REQUIRE(original.size() > 10000);

  std::mt19937_64 rng(12345);
  int refused = 0, identical = 0, different = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<char> bytes = original;
    const std::size_t bit = rng() % (bytes.size() * 8);
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    const std::string flipped = dir / ("flip" + std::to_string(trial) + ".ckpt.h5");
    write_bytes(flipped, bytes);
    try {
      std::uint64_t digest = 0;
      (void)read_checkpoint(flipped, nullptr, &digest);
      // Accepted: only allowed when the flip hit bytes no value is read from.
      if (digest == good)
        ++identical;
      else
        ++different;
    } catch (const std::exception&) {
      ++refused;
    }
    fs::remove(flipped);
  }
  INFO("refused " << refused << ", identical content " << identical << ", different content " << different);
  CHECK(different == 0);
  CHECK(refused > 150);  // the data and the structure are checksummed: most flips must be caught
}

TEST_CASE("a format-1 checkpoint is read; NaN and impossible values in one are refused", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const std::string ckpt = interrupted_run(dir.path() / "run", 300);  // past the 0.02 snapshot
  // A checkpoint without a digest (format 1), edited the way a damaged or hand-made one could be.
  const std::string edit = R"(
import sys, h5py, numpy as np
src, dst, what = sys.argv[1:4]
import shutil; shutil.copy(src, dst)
with h5py.File(dst, "r+") as f:
    m = f["meta"].attrs
    m["format_version"] = np.int64(1)
    del m["digest_fnv1a64"]
    if what == "nan_p1":
        f["state/p1"][3] = np.nan
    elif what == "nan_time":
        f["driver"].attrs["time"] = np.nan
    elif what == "eta_above_cap":
        f["state/eta_p"][0] = 5.0
    elif what == "snapshot_index":
        g = f["output/snapshots"]
        name = list(g.keys())[0]
        g[name].attrs["index"] = np.int64(10**12)
    elif what == "counters":
        f["driver"].attrs["counters.passes"] = np.uint64(3)
# Format 1 had no seal: blank the user block.
with open(dst, "r+b") as raw:
    raw.write(b"\0" * 512)
)";
  const std::string v1 = dir / "v1.ckpt.h5";
  REQUIRE(run_python_inline(edit, {ckpt, v1, "none"}, dir / "py.log") == 0);
  std::string warning;
  const Checkpoint c = read_checkpoint(v1, &warning);
  CHECK_THAT(warning, Catch::Contains("format-1"));
  CHECK(c.state.n == 16);

  for (const auto& [what, message] :
       std::vector<std::pair<std::string, std::string>>{{"nan_p1", "/state/p1[3] = nan is not finite"},
                                                        {"nan_time", "/driver time = nan is not finite"},
                                                        {"eta_above_cap", "/state/eta_p[0] = 5 is outside"},
                                                        {"snapshot_index", "index 1000000000000"},
                                                        {"counters", "counters disagree"}}) {
    INFO(what);
    const std::string bad = dir / (what + ".ckpt.h5");
    REQUIRE(run_python_inline(edit, {ckpt, bad, what}, dir / "py.log") == 0);
    CHECK_THROWS_WITH(read_checkpoint(bad), Catch::Contains(message));
    CHECK(resume_run(bad, stz::test::io::session_options(dir.path())) == exit_bad_input);
  }
}

TEST_CASE("a state that went wrong is never written as a checkpoint", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const std::string ckpt = interrupted_run(dir.path() / "run");
  Checkpoint c = read_checkpoint(ckpt);
  const std::vector<char> before = read_bytes(ckpt);
  c.state.s12[7] = std::nan("");
  CHECK_THROWS_WITH(write_checkpoint(checkpoint_paths((dir.path() / "run").string(), "s"), c),
                    Catch::Contains("/state/s12[7] = nan is not finite"));
  CHECK(read_bytes(ckpt) == before);  // the good one is untouched
  for (const auto& e : fs::directory_iterator(dir.path() / "run"))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);  // no temporary left
}

TEST_CASE("a refused checkpoint is resumed from the one before it only when asked", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const Deck deck = parse_deck(small_deck, "s.toml");
  REQUIRE(run_deck(deck, "s.toml", stz::test::io::session_options(dir.path() / "ref")) == exit_finished);
  const fs::path run = dir.path() / "run";
  const std::string ckpt = interrupted_run(run, 300);
  REQUIRE(fs::exists(run / "s.ckpt.prev.h5"));
  // Damage the current checkpoint in its state data.
  std::vector<char> bytes = read_bytes(ckpt);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  write_bytes(ckpt, bytes);

  CHECK(resume_run(ckpt, stz::test::io::session_options(run)) == exit_bad_input);
  CHECK(fs::exists(ckpt));  // nothing moved or deleted without being asked
  SessionOptions from_prev = stz::test::io::session_options(run);
  from_prev.from_prev = true;
  CHECK(resume_run(ckpt, from_prev) == exit_finished);
  CHECK(fs::exists(ckpt + ".damaged"));  // the refused one is kept aside
  const std::string log = dir / "cmp.log";
  const int rc = stz::test::io::run_python("io_compare_outputs.py",
                                           {(dir.path() / "ref" / "s.h5").string(), (run / "s.h5").string()}, log);
  INFO(stz::test::io::read_file(log));
  CHECK(rc == 0);  // the work since the older checkpoint is done again, to the same result
}

TEST_CASE("run refuses to discard an unfinished run; --force replaces it only at its first checkpoint", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const fs::path run = dir.path() / "run";
  const std::string ckpt = interrupted_run(run);
  const std::vector<char> before = read_bytes(ckpt);
  const Deck deck = parse_deck(small_deck, "s.toml");

  CHECK(run_deck(deck, "s.toml", stz::test::io::session_options(run)) == exit_bad_input);
  CHECK(read_bytes(ckpt) == before);

  // A run that fails to start (no GPU here, or a CUDA-less build) touches nothing, even with --force.
  if (cuda_device_count() == 0) {
    Deck on_gpu = deck;
    on_gpu.run.backend = "cuda";
    SessionOptions force = stz::test::io::session_options(run);
    force.force = true;
    CHECK(run_deck(on_gpu, "s.toml", force) == exit_bad_input);  // nothing was run: bad input
    CHECK(read_bytes(ckpt) == before);
    CHECK(fs::exists(run / "s.ckpt.prev.h5"));
  }

  // --force with another seed: the old checkpoints stay until the new run writes its first,
  // and the old one never becomes the new run's .prev.
  Deck other = parse_deck(std::string(small_deck) + "", "s.toml", {"run.seed=7"});
  SessionOptions force = stz::test::io::session_options(run, 40);
  force.force = true;
  CHECK(run_deck(other, "s.toml", force) == exit_terminated);
  const Checkpoint c = read_checkpoint(ckpt);
  CHECK(c.deck.params.seed == 7u);
  CHECK_FALSE(fs::exists(run / "s.ckpt.prev.h5"));
}

TEST_CASE("a run directory is locked while a run writes it", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const fs::path run = dir.path() / "run";
  const std::string ckpt = interrupted_run(run);
  {
    RunLock held(run.string(), "s", "the test");
    CHECK_THROWS_AS(RunLock(run.string(), "s", "a second"), LockHeld);
    CHECK_THROWS_WITH(RunLock(run.string(), "s", "a second"), Catch::Contains("PID " + std::to_string(::getpid())));
    CHECK(resume_run(ckpt, stz::test::io::session_options(run)) == exit_bad_input);
    SessionOptions force = stz::test::io::session_options(run);
    force.force = true;
    CHECK(run_deck(parse_deck(small_deck, "s.toml"), "s.toml", force) == exit_bad_input);
    CHECK(fs::exists(ckpt));
  }
  CHECK(resume_run(ckpt, stz::test::io::session_options(run)) == exit_finished);  // released with its holder
}

TEST_CASE("a deck's input edges are rejected with a message, never a crash", "[io]") {
  ScratchDir dir;
  auto problem = [](const std::string& text, const std::vector<std::string>& sets = {}) -> std::string {
    try {
      parse_deck(text, "e.toml", sets);
    } catch (const DeckError& e) {
      return e.what();
    }
    return "accepted";
  };
  std::string deep = "[grid]\n";
  for (int i = 0; i < 40000; ++i) deep += i ? ".a" : "a";
  CHECK_THAT(problem(deep + " = 1\n"), Catch::Contains("nested 40000 levels deep"));
  CHECK_THAT(problem("[grid]\n" + std::string(300, 'k') + " = 1\n"), Catch::Contains("a key of 300 characters"));
  CHECK_THAT(problem("", {"grid.n=64\ngrid.modes=3"}), Catch::Contains("may not contain a line break"));
  CHECK_THAT(problem("", {"solver.full_solve_interval=4294967297"}), Catch::Contains("[1, 2147483647]"));
  CHECK_THAT(problem("", {"solver.full_solve_interval=2147483648"}), Catch::Contains("out of range"));
  CHECK_THAT(problem("", {"loading.record_interval=1e-300"}), Catch::Contains("curve points"));
  CHECK_THAT(problem("", {"loading.strain_step=1e-14"}), Catch::Contains("elastic steps"));
  CHECK_THAT(problem("", {"output.name=" + std::string(240, 'a')}), Catch::Contains("at most 100"));
  CHECK_THAT(problem("", {"kinetics.temperature=1e-300"}),
             Catch::StartsWith("invalid deck:\n  --set kinetics.temperature"));
  CHECK_THAT(problem("", {"kinetics.temperature=1", "kinetics.activation_energy=0.37"}),
             Catch::Contains("at kinetics.temperature = 1 K"));
  CHECK_THAT(problem("", {"catalog.barrier_mean=0"}), Catch::Contains("athermal.threshold"));
  // A huge value is named, not echoed.
  const std::string huge = problem("[output]\nname = \"" + std::string(5000000, 'x') + "\"\n");
  CHECK_THAT(huge, Catch::Contains("(5000000 characters)"));
  CHECK(huge.size() < 2000);
  CHECK(problem("", {"output.field_strains=[]"}) == "accepted");

  // Deck files: regular, bounded files only.
  auto file_problem = [](const std::string& path) -> std::string {
    try {
      load_deck(path);
    } catch (const DeckError& e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK_THAT(file_problem(dir.path().string()), Catch::Contains("is a directory"));
  CHECK_THAT(file_problem("/dev/zero"), Catch::Contains("not a regular file"));
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK_THAT(file_problem(dir / "fifo"), Catch::Contains("not a regular file"));  // and no hang
  stz::test::io::write_file(dir / "big.toml", "# " + std::string(2 << 20, 'x') + "\n");
  CHECK_THAT(file_problem(dir / "big.toml"), Catch::Contains("at most 1048576"));
}

TEST_CASE("a run too big for this machine's memory stops before it creates anything", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  if (available_memory_bytes() == 0) {
    WARN("available memory unknown here: test skipped");
    return;
  }
  const Deck deck = parse_deck(small_deck, "s.toml", {"grid.n=65536"});
  CHECK(run_host_memory_bytes("cpu", deck.params) > available_memory_bytes());
  CHECK_THROWS_WITH(check_run_memory("cpu", deck.params),
                    Catch::Contains("needs about") && Catch::Contains("available"));
  CHECK(run_deck(deck, "s.toml", stz::test::io::session_options(dir.path() / "out")) == exit_bad_input);
  CHECK_FALSE(fs::exists(dir.path() / "out"));
}

TEST_CASE("the stall watchdog stops runs that cannot progress", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  SECTION("a glass too hot to load: every event is undone at once") {
    const Deck deck = parse_deck(small_deck, "s.toml", {"kinetics.temperature=600", "loading.stop_stress=-1000"});
    CHECK(run_deck(deck, "s.toml", stz::test::io::session_options(dir.path() / "hot")) == exit_stalled);
    h5::Handle f = h5::open_file((dir.path() / "hot" / "s.h5").string());
    h5::Handle meta = h5::open_group(f, "meta");
    CHECK(h5::attr_string(meta, "status") == "stalled");
    CHECK_THAT(h5::attr_string(meta, "stop_reason"), Catch::Contains("2560 transformations"));  // 10 N^2
    CHECK_FALSE(h5::attr_bool(h5::open_group(f, "analysis"), "finished"));
  }
  SECTION("an explicit limit, and the driver's own state") {
    const Deck deck = parse_deck(small_deck, "s.toml", {"run.max_stall_events=3"});
    auto backend = make_backend("cpu", deck.params, BackendOptions{1, 0});
    Driver d(deck.params, *backend);
    d.start();
    d.run();
    CHECK(d.state().stalled);
    CHECK(d.state().stall_events >= 3);
    CHECK_THAT(d.state().stop_reason, Catch::Contains("limit run.max_stall_events = 3"));
  }
  SECTION("a normal run never comes near the automatic limit") {
    const Deck deck = parse_deck(small_deck, "s.toml");
    CHECK(run_deck(deck, "s.toml", stz::test::io::session_options(dir.path() / "normal")) == exit_finished);
  }
}

TEST_CASE("AtomicFile names the OS error and leaves the target alone", "[io]") {
  ScratchDir dir;
  const std::string target = dir / "t.txt";
  write_text_atomically(target, "old");
  // A directory where the target should be renamed: the rename fails, the message says why.
  fs::create_directories(dir.path() / "d.txt" / "x");
  try {
    write_text_atomically(dir / "d.txt", "new");
    FAIL("no error");
  } catch (const FileError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("d.txt") && Catch::Contains("(EISDIR)"));
    CHECK(e.os_error() != 0);
  }
  CHECK(stz::test::io::read_file(target) == "old");
  // Stale temporaries of killed writers are cleared.
  stz::test::io::write_file(target + ".tmp-99999", "stale");
  remove_stale_temporaries(target);
  CHECK_FALSE(fs::exists(target + ".tmp-99999"));
  CHECK(fs::exists(target));
}
