#include "sweep_plan.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace stz {

namespace {

[[noreturn]] void bad(const fs::path& file, const std::string& key, const std::string& value, const std::string& allowed,
                      const toml::source_region* where = nullptr) {
  std::ostringstream os;
  os << file.string();
  if (where && where->begin.line) os << ":" << where->begin.line;
  os << ": " << key << " = " << value << " is not valid: allowed " << allowed;
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

/// Directory-safe form of a case's values: "strain_rate=0.001" or "barrier_mean=1.8_eta_max=0.51".
std::string slug(const Overrides& o) {
  std::string s;
  for (const auto& [key, value] : o) {
    const std::string leaf = key.substr(key.rfind('.') + 1);
    s += (s.empty() ? "" : "_") + leaf + "=" + value;
  }
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '=' || c == '-' || c == '_' || c == '+')) c = '-';
  return s.empty() ? std::string("base") : s;
}

}  // namespace

SweepPlan load_sweep_plan(const fs::path& file, const std::string& out_override,
                          const std::vector<std::string>& extra_sets) {
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << file.string() << ":" << e.source().begin.line << ": " << e.description();
    throw std::invalid_argument(os.str());
  }
  static const std::set<std::string> known{"name", "base", "out", "seeds", "replicas", "base_seed", "set", "grid", "case", "slurm"};
  for (const auto& [k, v] : t)
    if (!known.count(std::string(k.str())))
      bad(file, std::string(k.str()), "...", "one of name, base, out, seeds, replicas, base_seed, set, grid, case, slurm", &v.source());

  SweepPlan plan;
  plan.file = fs::absolute(file);
  const fs::path here = plan.file.parent_path();
  plan.name = t["name"].value_or(file.stem().string());
  const auto base = t["base"].value<std::string>();
  if (!base) bad(file, "base", "(missing)", "the path of the base deck, relative to the sweep file");
  plan.base_deck = fs::weakly_canonical(here / *base);
  if (!fs::exists(plan.base_deck)) bad(file, "base", *base, "an existing deck (looked for " + plan.base_deck.string() + ")");
  const std::string out = !out_override.empty() ? out_override : t["out"].value_or(std::string("results/") + plan.name);
  plan.out_dir = fs::absolute(out_override.empty() ? here / out : fs::path(out)).lexically_normal();

  // Seeds: an explicit list, or `replicas` consecutive seeds from `base_seed`. The same seeds serve
  // every case (common random numbers make the differences between cases less noisy).
  if (auto arr = t["seeds"].as_array()) {
    for (const auto& s : *arr) {
      const auto v = s.value<std::int64_t>();
      if (!v || *v < 0) bad(file, "seeds", "[...]", "a list of non-negative integers", &s.source());
      plan.seeds.push_back(static_cast<std::uint64_t>(*v));
    }
  } else {
    const std::int64_t replicas = t["replicas"].value_or(std::int64_t{5});
    const std::int64_t base_seed = t["base_seed"].value_or(std::int64_t{1});
    if (replicas < 1) bad(file, "replicas", std::to_string(replicas), "an integer >= 1");
    if (base_seed < 0) bad(file, "base_seed", std::to_string(base_seed), "an integer >= 0");
    for (std::int64_t i = 0; i < replicas; ++i) plan.seeds.push_back(static_cast<std::uint64_t>(base_seed + i));
  }
  if (plan.seeds.empty()) bad(file, "seeds", "[]", "at least one seed");

  Overrides fixed;
  if (auto set = t["set"].as_table())
    for (const auto& [k, v] : *set) fixed.emplace_back(std::string(k.str()), scalar_text(v, file, "set." + std::string(k.str())));
  for (const std::string& kv : extra_sets) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) bad(file, "--set", kv, "key=value, e.g. grid.n=128");
    fixed.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
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
          continue;
        }
        sc.overrides.emplace_back(key, scalar_text(v, file, "case." + key));
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
      for (const auto& x : *arr) values.push_back(scalar_text(x, file, "grid." + key));
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
  }
  std::set<std::string> labels;
  for (SweepCase& c : cases) {
    if (c.label.empty()) c.label = slug(c.overrides);
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

  for (const SweepCase& c : cases)
    for (std::uint64_t seed : plan.seeds) {
      SweepRun r;
      r.case_label = c.label;
      r.seed = seed;
      r.base_deck = plan.base_deck;
      r.dir = plan.out_dir / c.label / ("seed-" + std::to_string(seed));
      r.overrides = fixed;
      r.overrides.insert(r.overrides.end(), c.overrides.begin(), c.overrides.end());
      r.overrides.emplace_back("run.seed", std::to_string(seed));
      r.overrides.emplace_back("output.name", SweepRun::output_name);
      plan.runs.push_back(r);
    }

  if (auto s = t["slurm"].as_table()) {
    static const std::set<std::string> keys{"partition", "account", "mem", "time", "cpus_per_task", "gpus", "max_parallel", "signal_seconds", "extra"};
    for (const auto& [k, v] : *s)
      if (!keys.count(std::string(k.str())))
        bad(file, "slurm." + std::string(k.str()), "...",
            "one of partition, account, mem, time, cpus_per_task, gpus, max_parallel, signal_seconds, extra", &v.source());
    SlurmOptions& o = plan.slurm;
    o.partition = (*s)["partition"].value_or(o.partition);
    o.account = (*s)["account"].value_or(o.account);
    o.mem = (*s)["mem"].value_or(o.mem);
    o.time = (*s)["time"].value_or(o.time);
    o.cpus_per_task = static_cast<int>((*s)["cpus_per_task"].value_or(std::int64_t{o.cpus_per_task}));
    o.gpus = static_cast<int>((*s)["gpus"].value_or(std::int64_t{o.gpus}));
    o.max_parallel = static_cast<int>((*s)["max_parallel"].value_or(std::int64_t{o.max_parallel}));
    o.signal_seconds = static_cast<int>((*s)["signal_seconds"].value_or(std::int64_t{o.signal_seconds}));
    if (o.cpus_per_task < 1) bad(file, "slurm.cpus_per_task", std::to_string(o.cpus_per_task), "an integer >= 1");
    if (o.gpus < 0) bad(file, "slurm.gpus", std::to_string(o.gpus), "an integer >= 0");
    if (o.signal_seconds < 10) bad(file, "slurm.signal_seconds", std::to_string(o.signal_seconds), "an integer >= 10 (time to write a checkpoint)");
    if (auto e = (*s)["extra"].as_array())
      for (const auto& x : *e) o.extra.push_back(scalar_text(x, file, "slurm.extra"));
  }
  return plan;
}

void write_plan_table(const SweepPlan& plan) {
  fs::create_directories(plan.out_dir);
  const fs::path path = plan.out_dir / SweepPlan::plan_table_name;
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp);
    f << "# sweep\t" << plan.name << "\t" << plan.file.string() << "\n";
    f << "index\tcase\tseed\tdir\toutput";
    for (const std::string& k : plan.swept_keys) f << '\t' << k;
    f << '\n';
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const SweepRun& r = plan.runs[i];
      f << i << '\t' << r.case_label << '\t' << r.seed << '\t' << r.dir.string() << '\t' << r.output_file().string();
      for (const std::string& k : plan.swept_keys) {
        std::string value;
        for (const auto& kv : r.overrides)
          if (kv.first == k) value = kv.second;
        f << '\t' << value;
      }
      f << '\n';
    }
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

fs::path find_tool_script(const std::string& name) {
  std::vector<fs::path> candidates;
#ifdef STZ_SOURCE_DIR
  candidates.push_back(fs::path(STZ_SOURCE_DIR) / "tools" / name);
#endif
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "../share/stzkmc/tools" / name);
    candidates.push_back(exe.parent_path() / "../../tools" / name);
  }
  for (const fs::path& c : candidates)
    if (fs::exists(c)) return fs::weakly_canonical(c);
  throw std::runtime_error("cannot find tools/" + name + " (looked next to the source tree and the executable)");
}

}  // namespace stz
