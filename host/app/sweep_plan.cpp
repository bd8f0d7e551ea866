#include "app/sweep_plan.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/digest.hpp"
#include "io/h5.hpp"

namespace fs = std::filesystem;

namespace stz {

namespace {

/// Text for a message: control characters escaped, at most 80 characters.
std::string printable(const std::string& s) {
  std::string t;
  for (char c : s) {
    if (t.size() >= 80) return t + "...";
    if (c == '\n')
      t += "\\n";
    else if (c == '\t')
      t += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      t += '?';
    else
      t += c;
  }
  return t;
}

[[noreturn]] void bad(const fs::path& file, const std::string& key, const std::string& value,
                      const std::string& allowed, const toml::source_region* where = nullptr) {
  std::ostringstream os;
  os << file.string();
  if (where && where->begin.line) os << ":" << where->begin.line;
  os << ": " << printable(key) << " = " << printable(value) << " is not valid: allowed " << allowed;
  throw std::invalid_argument(os.str());
}

/// A scalar TOML value in the text form `stzkmc run --set` takes (shortest round-trip doubles).
std::string scalar_text(const toml::node& n, const fs::path& file, const std::string& key) {
  if (auto v = n.as_integer()) return std::to_string(v->get());
  if (auto v = n.as_floating_point()) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v->get());
    return std::string(buf, r.ptr);
  }
  if (auto v = n.as_boolean()) return v->get() ? "true" : "false";
  if (auto v = n.as_string()) return v->get();
  bad(file, key, "(a table or array)", "a number, a boolean or a string", &n.source());
}

bool label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '=' || c == '-' || c == '_' || c == '+';
}

/// Directory-safe form of a case's values: "strain_rate=0.001" or "barrier_mean=1.8_eta_max=0.51"
/// (other characters become '-'; a long one is cut and made unique by a hash of the whole). A
/// key names itself by its last part, a stage's key by its stage too ("stage2.temperature=340"),
/// so that it does not read as the [kinetics] or [loading] key of the same name.
std::string slug(const Overrides& o) {
  std::string s;
  for (const auto& [key, value] : o) {
    const bool stage_key = key.rfind("stage.", 0) == 0;
    const std::string leaf = stage_key ? "stage" + key.substr(6) : key.substr(key.rfind('.') + 1);
    s += (s.empty() ? "" : "_") + leaf + "=" + value;
  }
  const std::string whole = s;
  for (char& c : s)
    if (!label_char(c)) c = '-';
  if (!s.empty() && s[0] == '.') s[0] = '-';
  if (s.size() > max_label_length) {
    io::Digest d;
    d.add(whole);
    char hash[24];
    std::snprintf(hash, sizeof hash, "-%08" PRIx64, static_cast<std::uint64_t>(d.value() & 0xffffffffu));
    s = s.substr(0, max_label_length - 9) + hash;
  }
  return s.empty() ? std::string("base") : s;
}

/// A [[case]] label: it names a directory, so only a safe set of characters (no '/', no '..').
void check_label(const fs::path& file, const std::string& label, const toml::source_region* where) {
  const bool ok = !label.empty() && label.size() <= max_label_length && label[0] != '.' &&
                  std::all_of(label.begin(), label.end(), label_char);
  if (!ok)
    bad(file, "case.label", "\"" + label.substr(0, 60) + (label.size() > 60 ? "...\"" : "\""),
        "1 to 100 letters, digits, '.', '_', '-', '+', '=' (not first '.'): it names the case's directory", where);
}

/// No control characters (tabs, line breaks) in a value that goes into tasks.tsv or a script.
void check_plain_text(const fs::path& file, const std::string& key, const std::string& value,
                      const toml::source_region* where = nullptr) {
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      bad(file, key, "\"" + value.substr(0, 40) + "...\"", "text without tabs, line breaks or other control characters",
          where);
}

/// A value written after "#SBATCH --option=": only characters Slurm values need (no spaces,
/// quotes or shell syntax).
void check_slurm_value(const fs::path& file, const std::string& key, const std::string& value) {
  const bool ok = std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string("_.,:+=@/%-").find(c) != std::string::npos;
  });
  if (!ok || value.size() > 200)
    bad(file, "slurm." + key, "\"" + value.substr(0, 40) + "\"",
        "letters, digits and _ . , : + = @ / % - (no spaces or quotes)");
}

}  // namespace

SweepPlan load_sweep_plan(const fs::path& file, const std::string& out_override,
                          const std::vector<std::string>& extra_sets) {
  toml::table t;
  try {
    const std::string text = io::read_text_file(file.string(), "sweep file");
    io::check_toml_shape(text, file.string());
    t = toml::parse(text, file.string());
  } catch (const io::DeckError& e) {
    throw std::invalid_argument(e.what());
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << file.string() << ":" << e.source().begin.line << ": " << e.description();
    throw std::invalid_argument(os.str());
  }
  static const std::set<std::string> known{"name",      "base", "out",  "seeds", "replicas",
                                           "base_seed", "set",  "grid", "case",  "slurm"};
  for (const auto& [k, v] : t)
    if (!known.count(std::string(k.str())))
      bad(file, std::string(k.str()), "...",
          "one of name, base, out, seeds, replicas, base_seed, set, grid, case, slurm", &v.source());

  SweepPlan plan;
  plan.file = fs::absolute(file);
  const fs::path here = plan.file.parent_path();
  plan.name = t["name"].value_or(file.stem().string());
  const auto base = t["base"].value<std::string>();
  if (!base) bad(file, "base", "(missing)", "the path of the base deck, relative to the sweep file");
  plan.base_deck = fs::weakly_canonical(here / *base);
  if (!fs::exists(plan.base_deck))
    bad(file, "base", *base, "an existing deck (looked for " + plan.base_deck.string() + ")");
  const std::string out = !out_override.empty() ? out_override : t["out"].value_or(std::string("results/") + plan.name);
  plan.out_dir = fs::absolute(out_override.empty() ? here / out : fs::path(out)).lexically_normal();

  // Seeds: an explicit list, or `replicas` consecutive seeds from `base_seed`. The same seeds serve
  // every case (common random numbers make the differences between cases less noisy).
  if (t.contains("seeds") && (t.contains("replicas") || t.contains("base_seed")))
    bad(file, "seeds", "[...]", "either seeds = [...] or replicas (and base_seed), not both");
  if (t.contains("seeds") && !t["seeds"].is_array())
    bad(file, "seeds", "(not a list)", "a list of non-negative integers", &t["seeds"].node()->source());
  if (auto arr = t["seeds"].as_array()) {
    if (arr->size() > static_cast<std::size_t>(max_sweep_seeds))
      bad(file, "seeds", "[" + std::to_string(arr->size()) + " seeds]",
          "at most " + std::to_string(max_sweep_seeds) + " seeds");
    for (const auto& s : *arr) {
      const auto v = s.value<std::int64_t>();
      if (!v || *v < 0) bad(file, "seeds", "[...]", "a list of non-negative integers", &s.source());
      plan.seeds.push_back(static_cast<std::uint64_t>(*v));
    }
  } else {
    for (const char* key : {"replicas", "base_seed"})
      if (t.contains(key) && !t[key].is_integer())
        bad(file, key, "(not an integer)", "an integer", &t[key].node()->source());
    const std::int64_t replicas = t["replicas"].value_or(std::int64_t{5});
    const std::int64_t base_seed = t["base_seed"].value_or(std::int64_t{1});
    if (replicas < 1 || replicas > max_sweep_seeds)
      bad(file, "replicas", std::to_string(replicas), "an integer in [1, " + std::to_string(max_sweep_seeds) + "]");
    if (base_seed < 0 || base_seed > (std::int64_t{1} << 62))
      bad(file, "base_seed", std::to_string(base_seed), "an integer in [0, 2^62]");
    for (std::int64_t i = 0; i < replicas; ++i) plan.seeds.push_back(static_cast<std::uint64_t>(base_seed + i));
  }
  if (plan.seeds.empty()) bad(file, "seeds", "[]", "at least one seed");

  Overrides fixed;
  if (auto set = t["set"].as_table())
    for (const auto& [k, v] : *set)
      fixed.emplace_back(std::string(k.str()), scalar_text(v, file, "set." + std::string(k.str())));
  for (const std::string& kv : extra_sets) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) bad(file, "--set", kv, "key=value, e.g. grid.n=128");
    fixed.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const auto& [key, value] : fixed) {
    check_plain_text(file, "set." + key, key);
    check_plain_text(file, "set." + key, value);
    if (std::find(plan.fixed_keys.begin(), plan.fixed_keys.end(), key) == plan.fixed_keys.end())
      plan.fixed_keys.push_back(key);
  }

  // Cases: explicit [[case]] tables (paired parameters), times the cartesian product of [grid].
  std::vector<SweepCase> explicit_cases;
  if (auto cases = t["case"].as_array()) {
    for (const auto& c : *cases) {
      const auto* ct = c.as_table();
      if (!ct) bad(file, "case", "...", "[[case]] tables of deck keys (and an optional label)", &c.source());
      SweepCase sc;
      for (const auto& [k, v] : *ct) {
        const std::string key(k.str());
        if (key == "label") {
          sc.label = scalar_text(v, file, "case.label");
          check_label(file, sc.label, &v.source());
          continue;
        }
        sc.overrides.emplace_back(key, scalar_text(v, file, "case." + key));
        check_plain_text(file, "case." + key, key, &v.source());
        check_plain_text(file, "case." + key, sc.overrides.back().second, &v.source());
      }
      explicit_cases.push_back(sc);
    }
  }
  if (explicit_cases.empty()) explicit_cases.push_back({});
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
  if (auto g = t["grid"].as_table()) {
    for (const auto& [k, v] : *g) {
      const std::string key(k.str());
      const auto* arr = v.as_array();
      if (!arr || arr->empty()) bad(file, "grid." + key, "...", "a non-empty list of values", &v.source());
      std::vector<std::string> values;
      for (const auto& x : *arr) {
        values.push_back(scalar_text(x, file, "grid." + key));
        check_plain_text(file, "grid." + key, values.back(), &x.source());
      }
      check_plain_text(file, "grid." + key, key, &v.source());
      grid.emplace_back(key, values);
    }
  }
  std::vector<SweepCase> cases = explicit_cases;
  for (const auto& [key, values] : grid) {
    std::vector<SweepCase> next;
    for (const SweepCase& c : cases)
      for (const std::string& v : values) {
        SweepCase n = c;
        n.overrides.emplace_back(key, v);
        next.push_back(n);
      }
    cases = next;
    if (cases.size() > max_sweep_runs) bad(file, "grid", "...", "at most " + std::to_string(max_sweep_runs) + " cases");
  }
  std::set<std::string> labels;
  for (SweepCase& c : cases) {
    if (c.label.empty())
      c.label = slug(c.overrides);
    else if (!grid.empty()) {
      Overrides g(c.overrides.end() - static_cast<long>(grid.size()), c.overrides.end());
      c.label += "_" + slug(g);
    }
    if (!labels.insert(c.label).second) bad(file, "case", c.label, "distinct cases (two cases have the same label)");
  }
  plan.cases = cases;
  std::set<std::string> swept;
  for (const SweepCase& c : cases)
    for (const auto& kv : c.overrides)
      if (!swept.count(kv.first)) {
        swept.insert(kv.first);
        plan.swept_keys.push_back(kv.first);
      }

  if (cases.size() * plan.seeds.size() > max_sweep_runs)
    bad(file, "seeds", std::to_string(cases.size()) + " cases x " + std::to_string(plan.seeds.size()) + " seeds",
        "at most " + std::to_string(max_sweep_runs) + " runs in one sweep");

  // Every case's deck is checked now, as `stzkmc run` would check it: a typo fails the plan
  // (and --dry-run), not each job hours later. The seeds only change run.seed.
  const std::string base_text = [&] {
    try {
      return io::read_text_file(plan.base_deck.string(), "base deck");
    } catch (const io::DeckError& e) {
      throw std::invalid_argument(file.string() + ": base: " + e.what());
    }
  }();
  std::vector<io::Deck> case_decks;
  std::vector<std::string> problems;
  for (const SweepCase& c : cases) {
    std::vector<std::string> sets;
    for (const auto& kv : fixed) sets.push_back(kv.first + "=" + kv.second);
    for (const auto& kv : c.overrides) sets.push_back(kv.first + "=" + kv.second);
    sets.push_back("run.seed=" + std::to_string(plan.seeds.front()));
    sets.push_back(std::string("output.name=") + SweepRun::output_name);
    try {
      case_decks.push_back(io::parse_deck(base_text, plan.base_deck.string(), sets));
    } catch (const io::DeckError& e) {
      for (const std::string& p : e.problems()) problems.push_back("case " + c.label + ": " + p);
      case_decks.emplace_back();
    }
  }
  if (!problems.empty()) {
    std::string msg = file.string() + ": " + std::to_string(problems.size()) + " problem(s) in the decks of the cases:";
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) msg += "\n  " + problems[i];
    if (problems.size() > 20) msg += "\n  ...";
    throw std::invalid_argument(msg);
  }

  for (std::size_t ci = 0; ci < cases.size(); ++ci)
    for (std::uint64_t seed : plan.seeds) {
      const SweepCase& c = cases[ci];
      SweepRun r;
      r.case_label = c.label;
      r.seed = seed;
      r.base_deck = plan.base_deck;
      r.dir = plan.out_dir / c.label / ("seed-" + std::to_string(seed));
      const fs::path rel = r.dir.lexically_normal().lexically_relative(plan.out_dir);
      if (rel.empty() || *rel.begin() == "..")
        bad(file, "case.label", c.label, "a directory inside the sweep's output directory");
      r.deck = case_decks[ci];
      r.deck.params.seed = seed;
      r.overrides = fixed;
      r.overrides.insert(r.overrides.end(), c.overrides.begin(), c.overrides.end());
      r.overrides.emplace_back("run.seed", std::to_string(seed));
      r.overrides.emplace_back("output.name", SweepRun::output_name);
      plan.runs.push_back(r);
    }

  if (auto s = t["slurm"].as_table()) {
    static const std::set<std::string> keys{"partition",     "account", "mem",          "time",
                                            "cpus_per_task", "gpus",    "max_parallel", "signal_seconds",
                                            "max_requeues",  "extra",   "setup"};
    for (const auto& [k, v] : *s)
      if (!keys.count(std::string(k.str())))
        bad(file, "slurm." + std::string(k.str()), "...",
            "one of partition, account, mem, time, cpus_per_task, gpus, max_parallel, signal_seconds, max_requeues, "
            "extra, setup",
            &v.source());
    SlurmOptions& o = plan.slurm;
    o.partition = (*s)["partition"].value_or(o.partition);
    o.account = (*s)["account"].value_or(o.account);
    o.mem = (*s)["mem"].value_or(o.mem);
    o.time = (*s)["time"].value_or(o.time);
    o.cpus_per_task = static_cast<int>((*s)["cpus_per_task"].value_or(std::int64_t{o.cpus_per_task}));
    o.gpus = static_cast<int>((*s)["gpus"].value_or(std::int64_t{o.gpus}));
    o.max_parallel = static_cast<int>((*s)["max_parallel"].value_or(std::int64_t{o.max_parallel}));
    auto integer = [&](const char* key, int fallback, std::int64_t lo, std::int64_t hi) {
      const std::int64_t v = (*s)[key].value_or(std::int64_t{fallback});
      if (v < lo || v > hi)
        bad(file, std::string("slurm.") + key, std::to_string(v),
            "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      return static_cast<int>(v);
    };
    o.cpus_per_task = integer("cpus_per_task", o.cpus_per_task, 1, 4096);
    o.gpus = integer("gpus", o.gpus, 0, 64);
    o.max_parallel = integer("max_parallel", o.max_parallel, 0, 1000000);
    o.signal_seconds = integer("signal_seconds", o.signal_seconds, 10, 86400);
    o.max_requeues = integer("max_requeues", o.max_requeues, 0, 1000);
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"partition", &o.partition},
                                     {"account", &o.account},
                                     {"mem", &o.mem},
                                     {"time", &o.time}})
      check_slurm_value(file, key, *value);
    if (auto e = (*s)["extra"].as_array())
      for (const auto& x : *e) {
        o.extra.push_back(scalar_text(x, file, "slurm.extra"));
        check_plain_text(file, "slurm.extra", o.extra.back(), &x.source());
        if (o.extra.back().rfind("--", 0) != 0 || o.extra.back().find_first_of(" '\"") != std::string::npos)
          bad(file, "slurm.extra", "\"" + o.extra.back() + "\"",
              "sbatch options \"--name=value\" without spaces or quotes", &x.source());
      }
    if (auto e = (*s)["setup"].as_array())
      for (const auto& x : *e) {
        if (!x.is_string()) bad(file, "slurm.setup", "...", "a list of strings (shell lines)", &x.source());
        o.setup.push_back(scalar_text(x, file, "slurm.setup"));
        check_plain_text(file, "slurm.setup", o.setup.back(), &x.source());
      }
  }
  return plan;
}

void write_plan_table(const SweepPlan& plan) {
  fs::create_directories(plan.out_dir);
  const fs::path path = plan.out_dir / SweepPlan::plan_table_name;
  std::vector<std::string> columns = plan.fixed_keys;
  for (const std::string& k : plan.swept_keys)
    if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
  std::ostringstream f;
  f << "# sweep\t" << plan.name << "\t" << plan.file.string() << "\n";
  f << "# swept";
  for (const std::string& k : plan.swept_keys) f << '\t' << k;
  f << "\nindex\tcase\tseed\tdir\toutput";
  for (const std::string& k : columns) f << '\t' << k;
  f << '\n';
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const SweepRun& r = plan.runs[i];
    f << i << '\t' << r.case_label << '\t' << r.seed << '\t' << r.dir.string() << '\t' << r.output_file().string();
    for (const std::string& k : columns) {
      std::string value;
      for (const auto& kv : r.overrides)
        if (kv.first == k) value = kv.second;
      f << '\t' << value;
    }
    f << '\n';
  }
  io::write_text_atomically(path.string(), f.str());
}

std::vector<std::string> stored_deck_differences(const SweepRun& run) {
  namespace h5 = io::h5;
  std::string where;
  try {
    io::Deck stored;
    if (fs::exists(run.output_file())) {
      where = run.output_file().string();
      h5::Handle f = h5::open_file(where);
      stored = io::parse_deck(h5::read_string(f, "deck"), where);
    } else if (fs::exists(run.checkpoint())) {
      where = run.checkpoint().string();
      h5::Handle f = h5::open_file(where);
      stored = io::parse_deck(h5::read_string(f, "deck"), where);
    } else {
      return {};
    }
    return io::result_differences(stored, run.deck);
  } catch (const std::exception& e) {
    return {"its deck cannot be read from " + where + " (" + e.what() + ")"};
  }
}

void refuse_stale_runs(const SweepPlan& plan, const std::string& what_to_do) {
  std::string msg;
  std::size_t stale = 0;
  for (const SweepRun& r : plan.runs) {
    if (!r.finished() && !fs::exists(r.checkpoint()) && !fs::exists(r.output_file())) continue;
    const std::vector<std::string> d = stored_deck_differences(r);
    if (d.empty()) continue;
    if (++stale <= 10) {
      msg += "\n  " + r.dir.string() + ": ";
      for (std::size_t i = 0; i < d.size() && i < 4; ++i) msg += (i ? "; " : "") + d[i];
      if (d.size() > 4) msg += "; ...";
    }
  }
  if (stale == 0) return;
  throw std::invalid_argument("sweep " + plan.name + ": " + std::to_string(stale) + " run director" +
                              (stale == 1 ? "y holds a run" : "ies hold runs") +
                              " of a different deck than this plan (stored vs planned):" + msg +
                              (stale > 10 ? "\n  ..." : "") + "\n" + what_to_do);
}

}  // namespace stz
