#include "app/analyze.hpp"

#include <stdexcept>

#include "app/session.hpp"
#include "core/protocol.hpp"
#include "io/config.hpp"
#include "stz/physics/medium.hpp"

namespace stz::io {

namespace {

h5::Handle open_output(const std::string& path) {
  h5::Handle f = h5::open_file(path);
  if (!h5::exists(f, "analysis") || !h5::exists(f, "curve"))
    throw std::runtime_error(path + " is not an stzkmc output file (no /analysis or /curve)");
  return f;
}

}  // namespace

RunAnalysis stored_analysis(const std::string& path) {
  h5::Handle f = open_output(path);
  return read_analysis(f);
}

RunAnalysis recomputed_analysis(const std::string& path) {
  h5::Handle f = open_output(path);
  const Deck deck = parse_deck(h5::read_string(f, "deck"), path);
  const std::unique_ptr<LoadingProtocol> protocol = make_protocol(deck.params, make_medium(deck.params.elastic));
  const LoadingProtocol& loading = *protocol;
  RunAnalysis a = read_analysis(f);  // status fields are not derived quantities

  std::vector<double> strain, stress, plastic;
  const std::vector<CurvePoint> curve = read_curve(f, "curve");
  for (const CurvePoint& c : curve) {
    strain.push_back(loading.loaded_strain(c.strain));
    stress.push_back(loading.loaded_stress(c.stress));
    plastic.push_back(loading.loaded_plastic_strain(c.p1_mean, c.p3_mean));
  }
  a.yield = yield_from_curve(strain, stress, plastic, yield_offset);

  a.localization_reached = false;
  a.localization = LocalizationStats{};
  a.localization_applied_strain = 0.0;
  if (h5::exists(f, "fields")) {
    for (const std::string& name : h5::list_group(f, "fields")) {
      h5::Handle g = h5::open_group(f, "fields/" + name);
      const SnapshotInfo s = read_snapshot_info(g);
      if (s.reason.find("localization") == std::string::npos) continue;
      a.localization = localization_stats(h5::read_vector<double>(g, "p1"), h5::read_vector<double>(g, "p3"));
      a.localization_reached = true;
      a.localization_applied_strain = s.applied_strain;
      a.localization_strain = s.strain;
      break;
    }
  }
  a.avalanches = avalanche_stats(h5::read_vector<std::uint64_t>(f, "avalanches"));
  // Per stage, from the curve; why each stage ended is a record, not derived.
  std::vector<std::string> end_reasons;
  for (const StageAnalysis& s : a.stages)
    if (s.ended) end_reasons.push_back(s.end_reason);
  if (a.stages.empty() && stage_count(deck.params) == 1 && h5::exists(f, "meta")) {
    // A file written before stages were recorded: its one stage ended with the run.
    h5::Handle g = h5::open_group(f, "meta");
    if (h5::has_attr(g, "status") && h5::has_attr(g, "stop_reason") && h5::attr_string(g, "status") == "finished")
      end_reasons.push_back(h5::attr_string(g, "stop_reason"));
  }
  a.stages = analyze_stages(curve, deck.params, end_reasons);
  return a;
}

std::string analysis_report(const std::string& path, bool recompute) {
  h5::Handle f = open_output(path);
  const Deck deck = parse_deck(h5::read_string(f, "deck"), path);
  const LoadedNames label = loaded_names(deck.params.loading.mode);
  RunAnalysis stored = read_analysis(f);
  // /analysis is written as the run goes; /meta says how a run that did not finish ended
  // (interrupted, failed, stalled) or that it is still going.
  std::string status;
  {
    h5::Handle g = h5::open_group(f, "meta");
    status = h5::attr_string(g, "status");
    const std::string reason = h5::attr_string(g, "stop_reason");
    if (status != "finished") {
      stored.finished = false;
      stored.stop_reason = reason.rfind(status, 0) == 0 ? reason : status + (reason.empty() ? "" : ": " + reason);
    }
  }
  std::string s = path + "\nstored analysis (yield tracked at every kMC pass):\n" + format_analysis(stored, label);
  if (status != "finished") s += "  (the run did not reach its end: these values describe the part that ran)\n";
  if (recompute)
    s += "recomputed from /curve, the localization snapshot and /avalanches (yield between recorded points):\n" +
         format_analysis(recomputed_analysis(path), label);
  return s;
}

}  // namespace stz::io
