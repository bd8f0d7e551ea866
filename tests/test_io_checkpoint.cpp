// [io] Checkpoints: a faithful round trip, and interrupted runs that resume to bitwise the
// same output as an uninterrupted one (the CPU backend is deterministic).
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>

#include "app/session.hpp"
#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/h5.hpp"
#include "test_io_support.hpp"

using namespace stz;
using namespace stz::io;
using stz::test::io::ScratchDir;
namespace fs = std::filesystem;

namespace {

template <class T>
bool same_bytes(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

bool same_driver_state(const DriverState& a, const DriverState& b) {
  return same_bytes(a.time, b.time) && same_bytes(a.applied_strain, b.applied_strain) &&
         same_bytes(a.mean_strain, b.mean_strain) && same_bytes(a.p1_sum, b.p1_sum) && same_bytes(a.p3_sum, b.p3_sum) &&
         same_bytes(a.step_time_used, b.step_time_used) && a.events_since_full_solve == b.events_since_full_solve &&
         a.open_avalanche == b.open_avalanche && a.records == b.records && same_bytes(a.counters, b.counters) &&
         a.finished == b.finished && a.stalled == b.stalled && a.stop_reason == b.stop_reason &&
         a.stall_events == b.stall_events && same_bytes(a.next_progress_strain, b.next_progress_strain) &&
         same_bytes(a.wait_start, b.wait_start) && a.bounds_valid == b.bounds_valid &&
         a.bounds_unstable == b.bounds_unstable && same_bytes(a.bound_horizon, b.bound_horizon) &&
         a.candidates_rejected == b.candidates_rejected && a.bound_refreshes == b.bound_refreshes &&
         a.full_bound_refreshes == b.full_bound_refreshes &&
         same_bytes(a.milestones.yield.peak_stress, b.milestones.yield.peak_stress) &&
         same_bytes(a.milestones.yield.peak_strain, b.milestones.yield.peak_strain) &&
         a.milestones.yield.offset_reached == b.milestones.yield.offset_reached &&
         same_bytes(a.milestones.yield.offset_stress, b.milestones.yield.offset_stress) &&
         same_bytes(a.milestones.yield.offset_strain, b.milestones.yield.offset_strain) &&
         a.milestones.localization_reached == b.milestones.localization_reached &&
         same_bytes(a.milestones.localization_applied_strain, b.milestones.localization_applied_strain) &&
         same_bytes(a.milestones.localization.sli, b.milestones.localization.sli) &&
         a.milestones.localization.extreme_sites == b.milestones.localization.extreme_sites;
}

bool same_state(const State& a, const State& b) {
  return a.n == b.n && a.modes == b.modes && a.barrier == b.barrier && a.sfts_e1 == b.sfts_e1 &&
         a.sfts_e3 == b.sfts_e3 && a.p1 == b.p1 && a.p3 == b.p3 && a.d1 == b.d1 && a.d3 == b.d3 && a.eta_p == b.eta_p &&
         a.eta_t == b.eta_t && a.t_last == b.t_last && a.generation == b.generation && a.s11 == b.s11 &&
         a.s22 == b.s22 && a.s12 == b.s12 && a.bound_s1 == b.bound_s1 && a.bound_s3 == b.bound_s3 &&
         a.bound_margin == b.bound_margin && a.bound_rate == b.bound_rate && a.bound_low == b.bound_low;
}

const char* resume_deck =
    "[grid]\nn = 32\n[run]\nbackend = \"cpu\"\nthreads = 1\nrecord_events = true\n"
    "[output]\nfield_strains = [0.01, 0.02, 0.03, 0.04, 0.05]\ncheckpoint_strain_interval = 0.005\n";

}  // namespace

TEST_CASE("a checkpoint reads back exactly what was written", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  Checkpoint c;
  // The bounded rule: its state fields and driver state are the most a checkpoint carries.
  c.deck = parse_deck("[grid]\nn = 16\n[run]\nthreads = 1\nrecord_events = true\n[kinetics]\nrule = \"bounded\"\n",
                      "c.toml");
  auto backend = make_backend("cpu", c.deck.params, BackendOptions{1, 0});
  Driver driver(c.deck.params, *backend);
  driver.start();
  for (int i = 0; i < 400 && driver.step(); ++i) {
  }
  c.driver = driver.state();
  c.results = driver.results();
  backend->download(c.state, true);
  REQUIRE(c.state.bound_rate.size() == c.state.voxels());
  REQUIRE(c.driver.candidates_rejected > 0);
  c.output.snapshots.resize(2);
  c.output.snapshots[1].index = 1;
  c.output.snapshots[1].reason = "strain 0.02, localization";
  c.output.snapshots[1].mean_stress = {1.0 / 3.0, 0.5, -0.25};
  c.output.next_field_strain = 2;
  c.output.localization_snapshot = true;
  c.output.next_checkpoint_strain = 0.07;
  c.output.start_time = "2025-01-01T00:00:00+0000";
  c.output.wall_time_s = 12.5;
  c.output.segments = 3;
  c.output.backend = "cpu";

  const CheckpointPaths paths = checkpoint_paths(dir.path().string(), "c");
  write_checkpoint(paths, c);
  write_checkpoint(paths, c);  // the second keeps the first as .prev
  CHECK(fs::exists(paths.previous));
  const Checkpoint r = read_checkpoint(paths.current);
  CHECK(to_toml(r.deck) == to_toml(c.deck));
  CHECK(same_driver_state(r.driver, c.driver));
  CHECK(r.results.curve.size() == c.results.curve.size());
  CHECK(r.results.avalanche_sizes == c.results.avalanche_sizes);
  REQUIRE(r.results.events.size() == c.results.events.size());
  REQUIRE_FALSE(c.results.events.empty());
  CHECK(same_bytes(r.results.events.back().barrier, c.results.events.back().barrier));
  CHECK(same_state(r.state, c.state));
  REQUIRE(r.output.snapshots.size() == 2);
  CHECK(r.output.snapshots[1].reason == c.output.snapshots[1].reason);
  CHECK(same_bytes(r.output.snapshots[1].mean_stress, c.output.snapshots[1].mean_stress));
  CHECK(r.output.next_field_strain == 2u);
  CHECK(r.output.localization_snapshot);
  CHECK(r.output.next_checkpoint_strain == 0.07);
  CHECK(r.output.wall_time_s == 12.5);
  CHECK(r.output.segments == 3);
  CHECK(r.output.start_time == c.output.start_time);
}

TEST_CASE("interrupted runs resume to bitwise the same output", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  // Every kinetics rule family: an exhaustive one, and the bounded rule, whose rate bounds and
  // waiting-interval start travel in the checkpoint.
  const std::string rule = GENERATE(as<std::string>{}, "reference", "bounded");
  INFO("kinetics.rule = " << rule);
  const Deck deck = parse_deck(std::string(resume_deck) + "[kinetics]\nrule = \"" + rule + "\"\n", "r.toml");
  REQUIRE(run_deck(deck, "r.toml", stz::test::io::session_options(dir.path() / "ref")) == exit_finished);
  const std::string reference = (dir.path() / "ref" / "r.h5").string();
  std::uint64_t total_passes = 0;
  {
    h5::Handle f = h5::open_file(reference);
    total_passes = h5::attr_uint(h5::open_group(f, "fields/" + h5::list_group(f, "fields").back()), "pass");
  }
  REQUIRE(total_passes > 300);
  const std::uint64_t first_stop = total_passes / 3, second_stop = 2 * total_passes / 3;

  // Two interruptions (as if SIGTERM arrived), then the run to its end.
  const fs::path run = dir.path() / "run";
  CHECK(run_deck(deck, "r.toml", stz::test::io::session_options(run, first_stop)) == exit_terminated);
  const std::string ckpt = (run / "r.ckpt.h5").string();
  REQUIRE(fs::exists(ckpt));
  REQUIRE(fs::exists(run / "r.ckpt.prev.h5"));
  {
    const std::string log = dir / "check.log";
    const int rc =
        stz::test::io::run_python("io_check_output.py", {(run / "r.h5").string(), "--status", "interrupted"}, log);
    INFO(stz::test::io::read_file(log));
    CHECK(rc == 0);
  }
  fs::copy(run, dir.path() / "from_prev", fs::copy_options::recursive);

  CHECK(resume_run(ckpt, stz::test::io::session_options(run, second_stop)) == exit_terminated);
  CHECK(resume_run(ckpt, stz::test::io::session_options(run)) == exit_finished);
  CHECK(stz::test::io::compare_outputs(reference, (run / "r.h5").string(), dir / "cmp1.log") == 0);
  {
    h5::Handle f = h5::open_file((run / "r.h5").string());
    h5::Handle meta = h5::open_group(f, "meta");
    CHECK(h5::attr_int(meta, "segments") == 3);
    CHECK(h5::attr_string(meta, "status") == "finished");
  }

  // The kept previous checkpoint is complete too.
  const fs::path prev_dir = dir.path() / "from_prev";
  CHECK(resume_run((prev_dir / "r.ckpt.prev.h5").string(), stz::test::io::session_options(prev_dir)) == exit_finished);
  CHECK(stz::test::io::compare_outputs(reference, (prev_dir / "r.h5").string(), dir / "cmp2.log") == 0);
}

TEST_CASE("resume rejects what is not a checkpoint", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  stz::test::io::write_file(dir / "garbage.h5", "not HDF5");
  CHECK(resume_run(dir / "garbage.h5", stz::test::io::session_options(dir.path())) == exit_bad_input);
  CHECK(resume_run(dir / "missing.h5", stz::test::io::session_options(dir.path())) == exit_bad_input);
  {
    h5::Handle f = h5::create_file(dir / "output.h5");
    h5::Handle g = h5::create_group(f, "curve");
  }
  CHECK(resume_run(dir / "output.h5", stz::test::io::session_options(dir.path())) == exit_bad_input);
  CHECK_THROWS_WITH(read_checkpoint(dir / "output.h5"), Catch::Contains("is not an stzkmc checkpoint"));
}
