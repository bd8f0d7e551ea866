// Readers of AQS traces: the project's HDF5 dataset and LAMMPS thermo logs.
#include "seem/seem_data.hpp"

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/h5.hpp"

namespace stz::seem {

namespace h5 = io::h5;  // the project's HDF5 layer (io/h5.hpp)

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> t;
  for (std::string s; in >> s;) t.push_back(s);
  return t;
}

bool parse_double(const std::string& s, double& v) {
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}
}  // namespace

void validate_trace(const AqsTrace& t) {
  const std::string who = "trace '" + t.name + "'";
  if (t.gamma.size() != t.tau.size() || t.gamma.size() != t.pe.size())
    fail(who + ": strain, stress and energy have different lengths (" + std::to_string(t.gamma.size()) + ", " +
         std::to_string(t.tau.size()) + ", " + std::to_string(t.pe.size()) + ")");
  if (t.gamma.size() < 2) fail(who + ": needs at least 2 AQS states, has " + std::to_string(t.gamma.size()));
  for (std::size_t k = 0; k < t.gamma.size(); ++k) {
    if (!std::isfinite(t.gamma[k]) || !std::isfinite(t.tau[k]) || !std::isfinite(t.pe[k]))
      fail(who + ": non-finite value at state " + std::to_string(k));
    if (k > 0 && !(t.gamma[k] > t.gamma[k - 1]))
      fail(who + ": strain does not increase between states " + std::to_string(k - 1) + " and " + std::to_string(k) +
           " (" + std::to_string(t.gamma[k - 1]) + " -> " + std::to_string(t.gamma[k]) +
           "); AQS traces must be monotonic loading");
  }
}

/// What kind of stzkmc/SEEM file this is, for messages when the wrong one is given.
std::string file_kind(hid_t root) {
  if (h5::has_attr(root, "format")) return "a file of format '" + h5::attr_string(root, "format") + "'";
  if (h5::exists(root, "samples")) return "an AQS dataset";
  if (h5::has_attr(root, "model") && h5::has_attr(root, "G0")) return "an X1 fit";
  return "not a SEEM file";
}

AqsDataset read_aqs_h5(const std::string& path) {
  h5::Handle f = h5::open_file(path);
  if (!h5::exists(f.get(), "samples"))
    fail("'" + path + "' is " + file_kind(f.get()) +
         ", not an AQS dataset (an HDF5 file with /samples, from tools/seem/lammps_to_h5.py)");
  AqsDataset d;
  for (auto& [k, v] : h5::string_attributes(f.get())) d.provenance[k] = v;
  h5::Handle samples = h5::open_group(f, "samples");
  for (const std::string& name : h5::list_group(samples.get(), ".")) {
    h5::Handle g(H5Gopen2(samples.get(), name.c_str(), H5P_DEFAULT), H5Gclose);
    const std::string where = "'" + path + "' sample '" + name + "'";
    AqsTrace t;
    t.name = name;
    t.gamma = h5::read_vector<double>(g.get(), "gamma");
    t.tau = h5::read_vector<double>(g.get(), "tau");
    t.pe = h5::read_vector<double>(g.get(), "pe");
    if (h5::has_attr(g.get(), "cooling_rate")) t.cooling_rate = h5::attr_double(g.get(), "cooling_rate");
    if (h5::has_attr(g.get(), "sample")) t.sample = static_cast<int>(h5::attr_int(g.get(), "sample"));
    if (h5::has_attr(g.get(), "seed")) t.seed = static_cast<std::uint64_t>(h5::attr_int(g.get(), "seed"));
    if (h5::has_attr(g.get(), "natoms")) t.natoms = static_cast<int>(h5::attr_int(g.get(), "natoms"));
    if (h5::has_attr(g.get(), "omega")) t.omega = h5::attr_double(g.get(), "omega");
    validate_trace(t);
    d.traces.push_back(std::move(t));
  }
  if (d.traces.empty()) fail("'" + path + "': group 'samples' holds no traces");
  return d;
}

void write_aqs_h5(const std::string& path, const AqsDataset& data) {
  // Written under a temporary name, closed (checked) and renamed into place (atomic).
  h5::write_file(path, [&](hid_t root_id) {
    for (auto& [k, v] : data.provenance) h5::set_attr(root_id, k, v);
    h5::Handle samples = h5::create_group(root_id, "samples");
    for (const AqsTrace& t : data.traces) {
      h5::Handle g = h5::create_group(samples.get(), t.name);
      h5::write_dataset(g.get(), "gamma", t.gamma, {}, h5::Storage::compressed);
      h5::write_dataset(g.get(), "tau", t.tau, {}, h5::Storage::compressed);
      h5::write_dataset(g.get(), "pe", t.pe, {}, h5::Storage::compressed);
      h5::set_attr(g.get(), "cooling_rate", t.cooling_rate);
      h5::set_attr(g.get(), "sample", static_cast<std::int64_t>(t.sample));
      h5::set_attr(g.get(), "seed", static_cast<std::int64_t>(t.seed));
      h5::set_attr(g.get(), "natoms", static_cast<std::int64_t>(t.natoms));
      h5::set_attr(g.get(), "omega", t.omega);
    }
  });
}

X1Params read_x1_fit(const std::string& path) {
  h5::Handle f = h5::open_file(path);
  const std::string where = "X1 fit '" + path + "'";
  // tools/seem/fit_x1.py writes the parameters and "model" as root attributes and no "format".
  if (h5::has_attr(f.get(), "format") || !h5::has_attr(f.get(), "model"))
    fail("'" + path + "' is " + file_kind(f.get()) + ", not an X1 fit (--fit takes the file of tools/seem/fit_x1.py)");
  X1Params p;
  p.G0 = h5::attr_double(f.get(), "G0");
  p.uA = h5::attr_double(f.get(), "uA");
  p.tauA = h5::attr_double(f.get(), "tauA");
  p.tauB = h5::attr_double(f.get(), "tauB");
  p.u0 = h5::attr_double(f.get(), "u0");
  p.omega = h5::attr_double(f.get(), "omega");
  // uA, tauA, tauB may be +inf (that term of the model switched off); nothing may be NaN.
  for (double v : {p.G0, p.u0, p.omega})
    if (!std::isfinite(v)) fail(where + ": G0, u0 or omega is not finite: the file is damaged");
  for (double v : {p.uA, p.tauA, p.tauB})
    if (std::isnan(v) || v == -INFINITY) fail(where + ": uA, tauA or tauB is NaN or -inf: the file is damaged");
  if (!(p.G0 > 0) || !(p.omega > 0)) fail(where + ": G0 and omega must be > 0: the file is damaged");
  return p;
}

namespace {
/// The whole text of a file, gzip-compressed (by its magic bytes, as tools/seem/generate.sh
/// writes the logs) or plain.
std::string read_possibly_gzipped(const std::string& path) {
  unsigned char magic[2] = {0, 0};
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) fail("cannot open LAMMPS log '" + path + "'");
    probe.read(reinterpret_cast<char*>(magic), 2);
  }
  if (!(magic[0] == 0x1f && magic[1] == 0x8b)) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) fail("cannot read LAMMPS log '" + path + "'");
    return s.str();
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) fail("cannot open gzip-compressed LAMMPS log '" + path + "'");
  std::string text;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  // A truncated stream ends with Z_BUF_ERROR (gzread may return 0 rather than -1 for it).
  int err = Z_OK;
  const std::string why = gzerror(gz, &err);
  gzclose(gz);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    fail("cannot decompress LAMMPS log '" + path + "': " + why + " (a damaged or truncated .gz file)");
  return text;
}
}  // namespace

AqsTrace read_lammps_log(const std::string& path, const LogColumns& cols) {
  std::istringstream in(read_possibly_gzipped(path));
  if (cols.rows != "last" && cols.rows != "all")
    fail("LAMMPS log rows must be 'last' or 'all', got '" + cols.rows + "'");
  AqsTrace t;
  t.name = path;
  std::vector<std::string> header;  // columns of the current thermo block (empty: none open)
  std::string last_header_seen;     // for the error message when columns are missing
  int ic[3] = {-1, -1, -1};
  bool pending = false;  // the block's last row not yet stored ("last" mode)
  double row_vals[3] = {0, 0, 0};
  int blocks_with_columns = 0;
  auto flush = [&]() {
    if (pending) {
      t.gamma.push_back(row_vals[0]);
      t.tau.push_back(row_vals[1] * cols.stress_scale);
      t.pe.push_back(row_vals[2] * cols.energy_scale);
      pending = false;
    }
  };
  std::string line;
  while (std::getline(in, line)) {
    const auto tok = split_ws(line);
    if (tok.empty()) continue;
    if (!header.empty()) {
      bool numeric = tok.size() == header.size();
      std::vector<double> v(tok.size());
      for (std::size_t i = 0; numeric && i < tok.size(); ++i) numeric = parse_double(tok[i], v[i]);
      if (numeric) {
        row_vals[0] = v[ic[0]];
        row_vals[1] = v[ic[1]];
        row_vals[2] = v[ic[2]];
        pending = true;
        if (cols.rows == "all") flush();
        continue;
      }
      if (tok[0] == "WARNING:") continue;  // LAMMPS may warn in the middle of a run
      flush();
      header.clear();
    }
    if (tok[0] == "Step") {
      last_header_seen = line;
      const std::string want[3] = {cols.strain, cols.stress, cols.energy};
      bool all = true;
      for (int c = 0; c < 3; ++c) {
        ic[c] = -1;
        for (std::size_t i = 0; i < tok.size(); ++i)
          if (tok[i] == want[c]) ic[c] = static_cast<int>(i);
        all = all && ic[c] >= 0;
      }
      if (all) {
        header = tok;
        ++blocks_with_columns;
      }
    }
  }
  flush();
  if (last_header_seen.empty())
    fail("LAMMPS log '" + path + "': no thermo output found (no header line starting with 'Step')");
  if (blocks_with_columns == 0) {
    const auto tok = split_ws(last_header_seen);
    std::string missing;
    for (const std::string& w : {cols.strain, cols.stress, cols.energy}) {
      bool found = false;
      for (auto& s : tok) found = found || s == w;
      if (!found) missing += (missing.empty() ? "'" : ", '") + w + "'";
    }
    fail("LAMMPS log '" + path + "': thermo column " + missing + " not found (columns found: " + last_header_seen +
         "); choose columns with --col-strain/--col-stress/--col-energy");
  }
  validate_trace(t);
  return t;
}

}  // namespace stz::seem
