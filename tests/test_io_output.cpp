// [io] The output file: HDF5 helpers, atomic replacement, a whole run read back by h5py
// (/usr/bin/python3) with its XDMF parsed, the curve equal to the driver's, analysis.
#include <catch2/catch.hpp>

#include <cstring>

#include "app/analyze.hpp"
#include "app/session.hpp"
#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "io/config.hpp"
#include "io/h5.hpp"
#include "io/output.hpp"
#include "io/records.hpp"
#include "test_io_support.hpp"

using namespace stz;
using namespace stz::io;
using stz::test::io::ScratchDir;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_curve(const std::vector<CurvePoint>& a, const std::vector<CurvePoint>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const CurvePoint &x = a[i], &y = b[i];
    const bool doubles = same_bits(x.applied_strain, y.applied_strain) && same_bits(x.strain.xx, y.strain.xx) &&
                         same_bits(x.strain.yy, y.strain.yy) && same_bits(x.strain.xy, y.strain.xy) &&
                         same_bits(x.stress.xx, y.stress.xx) && same_bits(x.stress.yy, y.stress.yy) &&
                         same_bits(x.stress.xy, y.stress.xy) && same_bits(x.p1_mean, y.p1_mean) &&
                         same_bits(x.p3_mean, y.p3_mean) && same_bits(x.time, y.time);
    if (!doubles || std::memcmp(&x.counters, &y.counters, sizeof(Counters)) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("HDF5 helpers round trip attributes, arrays, strings and tables", "[io]") {
  ScratchDir dir;
  const std::string path = dir / "t.h5";
  {
    h5::Handle f = h5::create_file(path);
    h5::set_attr(f, "d", 0.1);
    h5::set_attr(f, "i", std::int64_t{-3});
    h5::set_attr(f, "u", std::uint64_t{1} << 63);
    h5::set_attr(f, "b", true);
    h5::set_attr(f, "s", std::string("héllo"));
    h5::set_attr(f, "v", std::vector<double>{1.5, 2.5});
    h5::write_array(f, "m", std::vector<float>{1, 2, 3, 4, 5, 6}.data(), {2, 3});
    h5::write_string(f, "text", "a\nb");
    h5::write_vector(f, "empty", std::vector<std::uint64_t>{});
    CurvePoint c;
    c.applied_strain = 0.25;
    c.counters.full_solves = 9;
    write_curve(f, "curve", {c, c});
  }
  h5::Handle f = h5::open_file(path);
  CHECK(h5::attr_double(f, "d") == 0.1);
  CHECK(h5::attr_int(f, "i") == -3);
  CHECK(h5::attr_uint(f, "u") == std::uint64_t{1} << 63);
  CHECK(h5::attr_bool(f, "b"));
  CHECK(h5::attr_string(f, "s") == "héllo");
  CHECK(h5::attr_doubles(f, "v") == std::vector<double>{1.5, 2.5});
  CHECK(h5::shape_of(f, "m") == std::vector<hsize_t>{2, 3});
  CHECK(h5::read_vector<double>(f, "m") == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(h5::read_string(f, "text") == "a\nb");
  CHECK(h5::read_vector<std::uint64_t>(f, "empty").empty());
  const auto curve = read_curve(f, "curve");
  REQUIRE(curve.size() == 2);
  CHECK(curve[1].applied_strain == 0.25);
  CHECK(curve[1].counters.full_solves == 9u);
  CHECK_THROWS_WITH(h5::attr_double(f, "missing"), Catch::Contains("cannot open attribute 'missing'"));
}

TEST_CASE("files are replaced atomically and the previous one is kept", "[io]") {
  ScratchDir dir;
  const std::string target = dir / "a.txt", previous = dir / "a.prev.txt";
  write_text_atomically(target, "one");
  std::string temp;
  {
    AtomicFile f(target);
    temp = f.temp_path();
    stz::test::io::write_file(f.temp_path(), "half-written");
    // no commit: as if the writer died
  }
  CHECK(stz::test::io::read_file(target) == "one");
  CHECK_FALSE(std::filesystem::exists(temp));
  {
    // A verifier that refuses the new content: the target is untouched, the temporary gone.
    AtomicFile f(target);
    stz::test::io::write_file(f.temp_path(), "bad");
    CHECK_THROWS_WITH(f.commit([](const std::string&) { throw FileError("refused", 0); }), "refused");
  }
  CHECK(stz::test::io::read_file(target) == "one");
  CHECK_FALSE(std::filesystem::exists(temp));
  {
    AtomicFile f(target);
    f.keep_previous_as(previous);
    stz::test::io::write_file(f.temp_path(), "two");
    f.commit();
  }
  CHECK(stz::test::io::read_file(target) == "two");
  CHECK(stz::test::io::read_file(previous) == "one");
}

TEST_CASE("a run's output reads back with h5py, its XDMF parses, its curve is the driver's", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const std::string deck_text =
      "[grid]\nn = 32\n[run]\nrecord_events = true\nbackend = \"cpu\"\nthreads = 1\n"
      "[output]\nfield_strains = [0.01, 0.03]\ncheckpoint_strain_interval = 0\n";
  const Deck deck = parse_deck(deck_text, "t.toml");
  SessionOptions o;
  o.out_dir = dir.path().string();
  o.quiet = true;
  REQUIRE(run_deck(deck, "t.toml", o) == exit_finished);
  const std::string out = dir / "t.h5";
  CHECK_FALSE(std::filesystem::exists(dir / "t.ckpt.h5"));  // checkpoints were off

  const std::string log = dir / "python.log";
  const int rc = stz::test::io::run_python("io_check_output.py", {out, "--status", "finished", "--events"}, log);
  INFO(stz::test::io::read_file(log));
  CHECK(rc == 0);

  // The same deck run directly through the driver gives bitwise the same curve.
  auto backend = make_backend("cpu", deck.params, BackendOptions{1, 0});  // one thread: fast on a busy CI machine
  Driver driver(deck.params, *backend);
  driver.start();
  driver.run();
  h5::Handle f = h5::open_file(out);
  CHECK(same_curve(read_curve(f, "curve"), driver.results().curve));
  CHECK(h5::read_vector<std::uint64_t>(f, "avalanches") == driver.results().avalanche_sizes);
  CHECK(read_events(f, "events").size() == driver.results().events.size());

  // Snapshots: the two field strains, the localization point and the end, in order.
  const std::vector<std::string> snaps = h5::list_group(f, "fields");
  REQUIRE(snaps.size() == 4);
  std::vector<std::string> reasons;
  for (const std::string& s : snaps) reasons.push_back(h5::attr_string(h5::open_group(f, "fields/" + s), "reason"));
  CHECK(reasons == std::vector<std::string>{"strain 0.01", "strain 0.03", "localization", "end"});

  // The deck in the file is the deck that ran.
  CHECK(to_toml(parse_deck(h5::read_string(f, "deck"), "x")) == to_toml(deck));
}

TEST_CASE("analyze recomputes the stored analysis from the data", "[io]") {
  setup_logging(true);
  ScratchDir dir;
  const Deck deck =
      parse_deck("[grid]\nn = 32\n[run]\nthreads = 1\n[output]\ncheckpoint_strain_interval = 0\n", "a.toml");
  SessionOptions o;
  o.out_dir = dir.path().string();
  o.quiet = true;
  REQUIRE(run_deck(deck, "a.toml", o) == exit_finished);
  const std::string out = dir / "a.h5";
  const RunAnalysis stored = stored_analysis(out), again = recomputed_analysis(out);
  REQUIRE(stored.localization_reached);
  CHECK(again.localization_reached);
  CHECK(again.localization.sli == stored.localization.sli);
  CHECK(again.localization.extreme_sites == stored.localization.extreme_sites);
  CHECK(again.avalanches.count == stored.avalanches.count);
  CHECK(again.avalanches.alpha == stored.avalanches.alpha);
  // Per-pass tracking vs recorded points: the peak from the curve cannot be higher.
  CHECK(again.yield.peak_stress <= stored.yield.peak_stress);
  CHECK(again.yield.peak_stress == Approx(stored.yield.peak_stress).epsilon(0.02));
  const std::string report = analysis_report(out, true);
  CHECK_THAT(report, Catch::Contains("extreme sites"));
  CHECK_THAT(report, Catch::Contains("recomputed"));
  CHECK_THROWS_WITH(stored_analysis(dir / "missing.h5"), Catch::Contains("missing.h5"));
}
