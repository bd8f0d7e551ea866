// [io] Input decks: the schema, parsing, every rejection path, --set, the resolved deck,
// and the README's key table against the schema.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>

#include "io/config.hpp"
#include "test_io_support.hpp"

using namespace stz;
using namespace stz::io;

namespace {

/// The message of the DeckError that parsing `text` throws ("" if it parses).
std::string rejection(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_deck(text, "deck.toml", sets);
  } catch (const DeckError& e) {
    return e.what();
  }
  return "";
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_CASE("an empty deck is the reference profile", "[io]") {
  const Deck d = parse_deck("", "runs/quickstart.toml");
  const Params p;
  CHECK(to_toml(d) == [&] {
    Deck expected;
    expected.output.name = "quickstart";  // empty name: the deck's stem
    return to_toml(expected);
  }());
  CHECK(d.params.grid.n == p.grid.n);
  CHECK(same_bits(d.params.softening.eta_max, p.softening.eta_max));
  CHECK(d.output.name == "quickstart");
}

TEST_CASE("every key of a full deck is read with its type", "[io]") {
  const std::string text = R"(
[grid]
n = 128
modes = 10
voxel_size = 0.5
thickness = 2
[elastic]
youngs_modulus = 80.0
poisson_ratio = 0.3
medium = "plane-strain"
nyquist = "published"
[catalog]
barrier_mean = 1.8
barrier_std = 0.2
gamma_star = 0.1
[kinetics]
temperature = 250.0
attempt_frequency = 2e13
activation_energy = 0.4
rule = "residence-time"
softening_clock = "event"
bound_slack = 2.5
[softening]
kappa_p = 10.0
kappa_t = 30.0
eta_max = 0.3566749439387324
direction = "none"
[athermal]
threshold = 0.0
variant = "single"
[loading]
mode = "shear"
condition = "exact"
strain_rate = 1e-2
strain_step = 2e-4
end_strain = 0.1
record_interval = 1e-3
stop_stress = -1.0
protocol = "creep"
creep_stress = 1.5
relaxation_strain = 0.02
cyclic_amplitude = 0.01
cyclic_mean = 0.005
cycles = 7
cyclic_control = "stress"
stress_rate = 0.01
end_time = 5e3
time_step = 2.0
end_stress = 3.0
end_relaxed_fraction = 0.5
end_creep_rate_factor = 8.0
end_plastic_strain = 0.05
end_events = 99
[solver]
full_solve_interval = 500
cache_softened_barriers = false
gpu_loop = "device"
gpu_loop_chunk = 16
gpu_l2_window = false
precision = "mixed"
[run]
seed = 42
record_events = true
max_stall_events = 123456
backend = "cpu"
threads = 2
[output]
field_strains = [0.05, 0.01]
final_fields = false
checkpoint_strain_interval = 0.02
checkpoint_minutes = 5
name = "full-deck_1"
keep_final_checkpoint = true
)";
  const Deck d = parse_deck(text, "x.toml");
  CHECK(d.params.grid.n == 128);
  CHECK(d.params.grid.thickness == 2.0);  // an integer is a valid float
  CHECK(d.params.elastic.medium == Medium::plane_strain);
  CHECK(d.params.kinetics.rule == ThermalRule::residence_time);
  CHECK(d.params.kinetics.softening_clock == SofteningClock::event);
  CHECK(d.params.kinetics.bound_slack == 2.5);
  CHECK(d.params.softening.direction == DirectionFactor::none);
  CHECK(d.params.athermal.variant == AthermalVariant::single);
  CHECK(d.params.loading.mode == LoadingMode::shear);
  CHECK(d.params.loading.condition == LoadingCondition::exact);
  CHECK(d.params.loading.strain_rate == 1e-2);
  CHECK(d.params.loading.protocol == LoadingProtocolKind::creep);
  CHECK(d.params.loading.creep_stress == 1.5);
  CHECK(d.params.loading.relaxation_strain == 0.02);
  CHECK(d.params.loading.cyclic_amplitude == 0.01);
  CHECK(d.params.loading.cyclic_mean == 0.005);
  CHECK(d.params.loading.cycles == 7);
  CHECK(d.params.loading.end_time == 5e3);
  CHECK(d.params.loading.time_step == 2.0);
  CHECK(d.params.solver.full_solve_interval == 500);
  CHECK_FALSE(d.params.solver.cache_softened_barriers);
  CHECK(d.params.elastic.nyquist == NyquistConvention::published);
  CHECK(d.params.solver.gpu_loop == GpuLoop::device);
  CHECK(d.params.solver.gpu_loop_chunk == 16);
  CHECK_FALSE(d.params.solver.gpu_l2_window);
  CHECK(d.params.solver.precision == Precision::mixed);
  CHECK(d.params.seed == 42u);
  CHECK(d.params.max_stall_events == 123456u);
  CHECK(d.params.record_events);
  CHECK(d.run.backend == "cpu");
  CHECK(d.run.threads == 2);
  CHECK(d.output.field_strains == std::vector<double>{0.01, 0.05});  // sorted
  CHECK_FALSE(d.output.final_fields);
  CHECK(d.output.checkpoint_minutes == 5.0);
  CHECK(d.output.name == "full-deck_1");

  // Every key was set: the resolved deck differs from the defaults in every line.
  const Deck defaults;
  for (const KeyInfo& k : deck_schema()) CHECK_FALSE(value_text(k.get(d)) == value_text(k.get(defaults)));
}

TEST_CASE("the resolved deck reads back bit for bit", "[io]") {
  Deck d;
  d.params.catalog.barrier_mean = 0.7 + 0.6;  // 1.2999999999999998
  d.params.kinetics.temperature = 1000.0 / 3.0;
  d.params.loading.strain_rate = 1e-300;
  d.params.elastic.youngs_modulus = 69.46;
  d.output.field_strains = {1e-5, 2.0 / 3.0};
  d.output.name = "round";
  const Deck back = parse_deck(to_toml(d), "round.toml");
  CHECK(to_toml(back) == to_toml(d));
  CHECK(same_bits(back.params.catalog.barrier_mean, d.params.catalog.barrier_mean));
  CHECK(same_bits(back.params.kinetics.temperature, 1000.0 / 3.0));
  CHECK(same_bits(back.params.loading.strain_rate, d.params.loading.strain_rate));
  CHECK(same_bits(back.params.softening.eta_max, d.params.softening.eta_max));
  CHECK(same_bits(back.output.field_strains[1], 2.0 / 3.0));
}

TEST_CASE("deck errors name the place, the key, the value and what is allowed", "[io]") {
  SECTION("unknown key, with a suggestion") {
    const std::string m = rejection("[grid]\nn = 64\nmodez = 20\n");
    CHECK_THAT(m, Catch::Contains("deck.toml:3:1"));
    CHECK_THAT(m, Catch::Contains("grid.modez = 20"));
    CHECK_THAT(m, Catch::Contains("unknown key"));
    CHECK_THAT(m, Catch::Contains("allowed keys in [grid]: n, modes, voxel_size, thickness"));
    CHECK_THAT(m, Catch::Contains("did you mean grid.modes?"));
  }
  SECTION("unknown section") {
    const std::string m = rejection("\n[loadng]\nmode = \"tension\"\n");
    CHECK_THAT(m, Catch::Contains("deck.toml:2:2"));
    CHECK_THAT(m, Catch::Contains("[loadng]: unknown section"));
    CHECK_THAT(m, Catch::Contains("did you mean loading?"));
  }
  SECTION("wrong type") {
    const std::string m = rejection("[grid]\nn = \"64\"\n");
    CHECK_THAT(m, Catch::Contains("deck.toml:2:1"));
    CHECK_THAT(m, Catch::Contains("grid.n = \"64\""));
    CHECK_THAT(m, Catch::Contains("wrong type (string)"));
    CHECK_THAT(m, Catch::Contains("allowed: an even integer in [4, 65536]"));
  }
  SECTION("a float where an integer is needed") {
    const std::string m = rejection("[solver]\nfull_solve_interval = 2.5\n");
    CHECK_THAT(m, Catch::Contains("solver.full_solve_interval = 2.5: wrong type (floating-point)"));
  }
  SECTION("out of range, with the unit") {
    const std::string m = rejection("[loading]\nstrain_rate = 1e-4\nstrain_step = -1e-4\n");
    CHECK_THAT(m, Catch::Contains("deck.toml:3:1"));
    CHECK_THAT(m, Catch::Contains("loading.strain_step = -0.0001: out of range"));
    CHECK_THAT(m, Catch::Contains("allowed: a number in (0, inf)"));
    // A negative rate unloads: allowed only in a [[stage]] after the first (stz::validate).
    const std::string rate = rejection("[loading]\nstrain_rate = -1e-4\n");
    CHECK_THAT(rate, Catch::Contains("deck.toml:2:1"));
    CHECK_THAT(rate, Catch::Contains("loading.strain_rate = -0.0001 is out of range: allowed a finite value > 0"));
  }
  SECTION("odd grid size") {
    CHECK_THAT(rejection("[grid]\nn = 63\n"), Catch::Contains("grid.n = 63: out of range; allowed: an even integer"));
  }
  SECTION("bad choice") {
    const std::string m = rejection("[loading]\nmode = \"tensile\"\n");
    CHECK_THAT(m, Catch::Contains("loading.mode = \"tensile\": not one of the choices"));
    CHECK_THAT(m, Catch::Contains("allowed: one of \"tension\", \"compression\", \"shear\""));
  }
  SECTION("bad list element") {
    const std::string m = rejection("[output]\nfield_strains = [0.01, \"x\"]\n");
    CHECK_THAT(m, Catch::Contains("output.field_strains = [0.01, \"x\"]: element 2 has the wrong type (string)"));
    CHECK_THAT(rejection("[output]\nfield_strains = [-0.01]\n"), Catch::Contains("element 1 is out of range"));
  }
  SECTION("unsafe output name") {
    const std::string m = rejection("[output]\nname = \"../x\"\n");
    CHECK_THAT(m, Catch::Contains("output.name = \"../x\": not allowed"));
    CHECK_THAT(m, Catch::Contains("letters, digits"));
  }
  SECTION("non-finite number") {
    CHECK_THAT(rejection("[catalog]\nbarrier_mean = nan\n"),
               Catch::Contains("catalog.barrier_mean = nan: out of range; allowed: any finite number"));
  }
  SECTION("a section that is not a table") {
    CHECK_THAT(rejection("grid = 5\n"), Catch::Contains("grid = 5: wrong type (integer); allowed: a table [grid]"));
  }
  SECTION("TOML syntax error") {
    const std::string m = rejection("[grid]\nn = = 64\n");
    CHECK_THAT(m, Catch::Contains("deck.toml:2:"));
    CHECK_THAT(m, Catch::Contains("TOML syntax error"));
  }
  SECTION("cross-key rule of stz::validate, located in the deck") {
    // nu in (-1, 0.5) passes the schema; medium "reference" needs nu2 = 2 nu in (-1, 1).
    const std::string m = rejection("[elastic]\nmedium = \"reference\"\npoisson_ratio = -0.7\n");
    CHECK_THAT(m, Catch::Contains("deck.toml:3:1"));
    CHECK_THAT(m, Catch::Contains("elastic.poisson_ratio = -0.7"));
    CHECK_THAT(m, Catch::Contains("allowed"));
    CHECK(rejection("[elastic]\nmedium = \"plane-strain\"\npoisson_ratio = -0.7\n").empty());
  }
  SECTION("every problem at once") {
    const std::string m = rejection("[grid]\nn = 3\n[loading]\nmode = 1\n");
    CHECK_THAT(m, Catch::Contains("2 problems"));
    CHECK_THAT(m, Catch::Contains("grid.n = 3"));
    CHECK_THAT(m, Catch::Contains("loading.mode = 1"));
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(load_deck("/nonexistent/deck.toml"), Catch::Contains("/nonexistent/deck.toml: cannot read"));
  }
}

TEST_CASE("--set overrides use the same schema", "[io]") {
  const std::string deck = "[grid]\nn = 32\n[loading]\nmode = \"tension\"\n";
  const Deck d = parse_deck(deck, "d.toml",
                            {"grid.n=128", "loading.mode=shear", "output.field_strains=[0.03, 0.01]",
                             "run.record_events = true", "output.name=big"});
  CHECK(d.params.grid.n == 128);
  CHECK(d.params.loading.mode == LoadingMode::shear);
  CHECK(d.output.field_strains == std::vector<double>{0.01, 0.03});
  CHECK(d.params.record_events);
  CHECK(d.output.name == "big");

  CHECK_THAT(rejection(deck, {"grid.n=abc"}),
             Catch::Contains("--set grid.n=abc: grid.n = abc: not a TOML value; allowed: an even integer"));
  CHECK_THAT(rejection(deck, {"grid.nn=4"}), Catch::Contains("--set grid.nn=4: grid.nn = 4: unknown key"));
  CHECK_THAT(rejection(deck, {"grid.n"}), Catch::Contains("--set grid.n: expected key=value"));
  CHECK_THAT(rejection(deck, {"loading.mode=pull"}),
             Catch::Contains("loading.mode = \"pull\": not one of the choices"));
  CHECK_THAT(rejection(deck, {"elastic.poisson_ratio=-0.6"}),
             Catch::Contains("--set elastic.poisson_ratio=-0.6: elastic.poisson_ratio = -0.6"));
}

TEST_CASE("the schema documents every key once, with a default that parses", "[io]") {
  std::vector<std::string> keys;
  const Deck defaults;
  for (const KeyInfo& k : deck_schema()) {
    CHECK(std::find(keys.begin(), keys.end(), k.key) == keys.end());
    keys.push_back(k.key);
    CHECK_FALSE(k.description.empty());
    CHECK_FALSE(k.allowed().empty());
    // Each default, written as a one-key deck, is accepted.
    const std::string one = "[" + k.section() + "]\n" + k.name() + " = " + value_text(k.get(defaults)) + "\n";
    CHECK(rejection(one).empty());
  }
  CHECK(keys.size() == 62);
}

TEST_CASE("the README's deck key table is the schema", "[io]") {
  const std::string readme = stz::test::io::read_file((stz::test::io::source_dir() / "README.md").string());
  const std::string begin = "<!-- deck-keys:begin (generated by `stzkmc keys`; a test compares it with the code) -->\n";
  const std::string end = "<!-- deck-keys:end -->";
  const std::size_t b = readme.find(begin), e = readme.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string table = readme.substr(b + begin.size(), e - b - begin.size());
  INFO("regenerate the table with: stzkmc keys");
  CHECK(table == schema_markdown());
}

TEST_CASE("the quickstart deck is valid", "[io]") {
  const Deck d = load_deck((stz::test::io::source_dir() / "runs" / "quickstart.toml").string());
  CHECK(d.output.name == "quickstart");
  const Deck big = load_deck((stz::test::io::source_dir() / "runs" / "quickstart.toml").string(), {"grid.n=512"});
  CHECK(big.params.grid.n == 512);
}

TEST_CASE("a shear deck that does not set loading.end_strain runs twice as far as tension", "[io]") {
  CHECK(io::parse_deck("[loading]\nmode = \"tension\"\n", "t.toml").params.loading.end_strain == 0.06);
  CHECK(io::parse_deck("[loading]\nmode = \"shear\"\n", "s.toml").params.loading.end_strain ==
        shear_default_end_strain);
  CHECK(io::parse_deck("", "s.toml", {"loading.mode=shear"}).params.loading.end_strain == shear_default_end_strain);
  // A value the deck gives is kept, also when it equals the tension default.
  CHECK(io::parse_deck("[loading]\nmode = \"shear\"\nend_strain = 0.06\n", "s.toml").params.loading.end_strain == 0.06);
  CHECK(
      io::parse_deck("[loading]\nmode = \"shear\"\n", "s.toml", {"loading.end_strain=0.3"}).params.loading.end_strain ==
      0.3);
}
