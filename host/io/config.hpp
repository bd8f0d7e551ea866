#pragma once
/** @file
 * @brief Input decks: the one schema of every deck key (type, unit, default, allowed range,
 * description) and everything derived from it — TOML parsing and checking, `--set`
 * overrides, the resolved deck written to the output, and the key table of the README.
 *
 * Defaults are not written down here: they are read from default-constructed Params and
 * the option structs below, so the documentation cannot drift from the code.
 * toml++ stays in config.cpp (nvcc cannot compile it).
 */
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "stz/params.hpp"

namespace stz::io {

/// [run] keys that are not physics: which backend runs and with how many threads.
struct RunOptions {
  std::string backend = "auto";  ///< "auto" | "cpu" | "cuda"
  int threads = 0;               ///< CPU threads, 0: all (OpenMP default)
};

/// [output] keys. Every strain here is the mean strain in the loading direction (the x axis
/// of the stress-strain curve and the quantity loading.end_strain refers to).
struct OutputOptions {
  std::vector<double> field_strains{0.02, 0.04, 0.06};  ///< field snapshots at these strains
  bool final_fields = true;                             ///< also a snapshot when the run ends
  double checkpoint_strain_interval = 0.01;             ///< 0: never by strain
  double checkpoint_minutes = 30.0;                     ///< wall-clock minutes between checkpoints; 0: never
  std::string name;                                     ///< file stem of the outputs; empty: the deck's stem
  bool keep_final_checkpoint = false;                   ///< keep NAME.ckpt.h5 of the final state (to append stages)
};

/// Limits on what a deck or a --set may hold (config.cpp explains each where it is checked).
constexpr std::size_t max_deck_bytes = std::size_t{1} << 20;  ///< a deck or sweep file: 1 MiB
constexpr std::size_t max_key_depth = 8;                      ///< dotted parts of one key
constexpr std::size_t max_key_length = 200;                   ///< characters of one key
constexpr std::size_t max_set_length = 4096;                  ///< characters of one --set key=value
constexpr std::size_t max_value_text = 80;                    ///< characters of a value quoted in a message
constexpr std::size_t max_output_name_length = 100;

/// A complete, checked input deck.
struct Deck {
  Params params;
  RunOptions run;
  OutputOptions output;
};

enum class KeyType { boolean, integer, real, string, choice, real_list };

/// A value of any key type (integers as int64, TOML's integer type).
using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<double>>;

/// Numeric range of integer, real and real_list keys.
struct Range {
  double lo = -1e308, hi = 1e308;
  bool lo_open = false, hi_open = false;
  bool lo_unbounded = true, hi_unbounded = true;
  int multiple_of = 0;  ///< integers only; 0: any
  bool contains(double v) const;
  std::string text() const;  ///< e.g. "(0, inf)" or "[4, 65536]"
};

/// One deck key: the single source of its parsing, checking, documentation and output.
struct KeyInfo {
  std::string key;  ///< "section.name"
  KeyType type;
  std::string unit;  ///< "" when dimensionless
  std::string description;
  Range range;
  std::vector<std::string> choices;  ///< KeyType::choice
  std::string note;                  ///< extra rule appended to allowed() (checked by stz::validate or check)
  std::function<Value(const Deck&)> get;
  std::function<void(Deck&, const Value&)> set;
  /// Extra check of a well-typed, in-range value (e.g. a file name); empty when none.
  std::function<bool(const Value&)> check;
  /// False for keys that only say how a run is executed (threads, backend, checkpoint
  /// schedule): two decks that differ only in them compute the same run.
  bool affects_results = true;

  std::string section() const;
  std::string name() const;
  /// What values are accepted, in words, e.g. "an even integer in [4, 65536]".
  std::string allowed() const;
};

/// Every deck key, in deck order.
const std::vector<KeyInfo>& deck_schema();
/// The key's schema entry, or nullptr.
const KeyInfo* find_key(const std::string& key);

/// A rejected deck or override. what() lists every problem, one per line, each naming the
/// location (file:line:column or the --set argument), the key, the value and what is allowed.
class DeckError : public std::runtime_error {
 public:
  explicit DeckError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

/**
 * @brief Parses and checks a deck file, then applies `--set key=value` overrides (same
 * checks), then stz::validate(). Throws DeckError before any work starts. An empty
 * output.name becomes the file's stem.
 */
Deck load_deck(const std::string& path, const std::vector<std::string>& overrides = {});
/// Reads a TOML file for load_deck or a sweep: a regular file of at most max_deck_bytes
/// (directories, devices, pipes refused); throws DeckError naming `what`.
std::string read_text_file(const std::string& path, const std::string& what);
/// Rejects (DeckError) TOML text with keys nested deeper than max_key_depth or longer than
/// max_key_length, before it is parsed (decks and sweep files).
void check_toml_shape(const std::string& text, const std::string& origin);
/// As load_deck, from text; `origin` names the source in messages (and its stem the output).
/// `base`: start from this deck instead of the defaults (its [[stage]] list is kept and the
/// text's stages are appended: append_stages).
Deck parse_deck(const std::string& text, const std::string& origin, const std::vector<std::string>& overrides = {},
                const Deck* base = nullptr);

/**
 * @brief `run` with the [[stage]] tables of the file at `path` appended (`stzkmc resume
 * --append-stage`, docs/model.md §6.8): the file may hold only [[stage]] tables; what they do not
 * set comes from the run's [loading] and [kinetics]; a run without stages gets its [loading] as
 * stage 1 first. Throws DeckError.
 */
Deck append_stages(const Deck& run, const std::string& path);

/// The value of a key as TOML text (floats shortest round-trip, so text -> value is exact).
std::string value_text(const Value& v);
/// The keys of stage k (0-based) of a deck with [[stage]] tables, as (name in the table, value).
std::vector<std::pair<std::string, Value>> stage_key_values(const Deck& deck, std::size_t k);
/// A complete deck with every key, its unit and description, in deck order.
std::string to_toml(const Deck& deck);
/// The keys that change results (KeyInfo::affects_results) in which two decks differ, as
/// "key: <a's value> vs <b's value>".
std::vector<std::string> result_differences(const Deck& a, const Deck& b);
/// Markdown table: key | type | unit | default | allowed | description (the README's table).
std::string schema_markdown();

}  // namespace stz::io
