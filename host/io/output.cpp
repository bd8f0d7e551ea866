#include "io/output.hpp"

#include <spdlog/spdlog.h>

#include "io/build_info.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <variant>

namespace stz::io {

namespace fs = std::filesystem;

OutputWriter::OutputWriter(const std::string& dir, const std::string& name, int n, double voxel_size, double thickness,
                           std::vector<SnapshotInfo> committed)
    : h5_path_((fs::path(dir) / (name + ".h5")).string()),
      xdmf_path_((fs::path(dir) / (name + ".xdmf")).string()),
      n_(n),
      voxel_size_(voxel_size),
      thickness_(thickness) {
  if (committed.empty()) return;
  // Resume: keep the snapshots the checkpoint knows and the file still holds.
  if (!fs::exists(h5_path_)) {
    spdlog::warn("{} is missing: the {} field snapshot(s) written before the checkpoint are lost", h5_path_,
                 committed.size());
    return;
  }
  try {
    // Checked whole before HDF5 parses it (HDF5 can crash on a damaged file); an output edited
    // since (unsealed, or no longer matching) is set aside like a damaged one.
    std::string why;
    if (h5::check_seal(h5_path_, &why) != h5::SealCheck::intact)
      throw std::runtime_error(why.empty() ? "it is not an unmodified stzkmc output (no seal)" : why);
    h5::Handle f = h5::open_file(h5_path_);
    for (const SnapshotInfo& s : committed) {
      if (h5::exists(f, snapshot_path(s.index)) && snapshot_readable(f, s.index))
        snapshots_.push_back(s);
      else
        spdlog::warn("{} lacks /{} (or it is unreadable): that field snapshot is lost", h5_path_,
                     snapshot_path(s.index));
    }
  } catch (const std::exception& e) {
    // Nothing is deleted: the damaged file is set aside and the output starts afresh.
    const std::string aside = h5_path_ + ".damaged";
    std::error_code ec;
    fs::rename(h5_path_, aside, ec);
    spdlog::warn("{} cannot be read ({}); kept as {}; its {} field snapshot(s) are lost", h5_path_, e.what(),
                 ec ? h5_path_ : aside, committed.size());
    snapshots_.clear();
  }
  on_disk_ = snapshots_.size();
}

bool OutputWriter::snapshot_readable(hid_t file, int index) const {
  const std::string path = snapshot_path(index);
  for (const FieldInfo& f : field_infos()) {
    const std::string name = path + "/" + f.name;
    if (!h5::exists(file, name)) return false;
    const std::vector<hsize_t> shape = h5::shape_of(file, name);
    if (shape != std::vector<hsize_t>{static_cast<hsize_t>(n_), static_cast<hsize_t>(n_)}) return false;
  }
  return true;
}

void OutputWriter::verify(const std::string& path, const RunMeta& meta, const DriverResults& results) const {
  auto wrong = [&path](const std::string& what) {
    throw FileError("cannot write " + path + ": read back, " + what, 0);
  };
  h5::Handle f = h5::open_file(path);
  {
    h5::Handle g = h5::open_group(f, "meta");
    if (h5::attr_string(g, "status") != meta.status) wrong("/meta status differs");
  }
  if (h5::table_rows(f, "curve") != results.curve.size()) wrong("/curve has the wrong number of rows");
  const std::vector<CurvePoint> curve = read_curve(f, "curve");
  if (!curve.empty() && (curve.back().applied_strain != results.curve.back().applied_strain ||
                         curve.back().counters.passes != results.curve.back().counters.passes))
    wrong("the last row of /curve differs");
  if (h5::read_vector<std::uint64_t>(f, "avalanches") != results.avalanche_sizes) wrong("/avalanches differs");
  (void)read_analysis(f);
  for (std::size_t i = 0; i < snapshots_.size(); ++i) {
    if (!snapshot_readable(f, snapshots_[i].index)) wrong("/" + snapshot_path(snapshots_[i].index) + " is incomplete");
    if (i < on_disk_) continue;
    // A snapshot written now: its fields must read back exactly.
    h5::Handle g = h5::open_group(f, snapshot_path(snapshots_[i].index));
    const FieldSet& fs = pending_[i - on_disk_];
    if (h5::read_vector<double>(g, "eq_strain") != fs.eq_strain || h5::read_vector<double>(g, "s11") != fs.s11 ||
        h5::read_vector<std::uint32_t>(g, "generation") != fs.generation)
      wrong("/" + snapshot_path(snapshots_[i].index) + " differs from the fields written");
  }
}

void OutputWriter::add_snapshot(const SnapshotInfo& info, FieldSet fields) {
  snapshots_.push_back(info);
  pending_.push_back(std::move(fields));
}

void write_deck(hid_t file, const Deck& deck, const std::string& source) {
  h5::write_string(file, "deck", to_toml(deck));
  h5::Handle d(H5Dopen2(file, "deck", H5P_DEFAULT), H5Dclose);
  h5::set_attr(d, "source", source);
  for (const KeyInfo& k : deck_schema()) {
    const Value v = k.get(deck);
    std::visit([&](const auto& x) { h5::set_attr(d, k.key, x); }, v);
  }
  // Stages: "stages" (0: none, one stage from [loading]) and every key as "stage.K.NAME" (1-based).
  h5::set_attr(d, "stages", static_cast<std::uint64_t>(deck.params.stages.size()));
  for (std::size_t i = 0; i < deck.params.stages.size(); ++i)
    for (const auto& [name, value] : stage_key_values(deck, i))
      std::visit([&](const auto& x) { h5::set_attr(d, "stage." + std::to_string(i + 1) + "." + name, x); }, value);
}

void OutputWriter::flush(const RunMeta& meta, const Deck& deck, const DriverResults& results,
                         const RunAnalysis& analysis) {
  const auto t0 = std::chrono::steady_clock::now();
  AtomicFile target(h5_path_);
  {
    h5::Handle old;
    if (on_disk_ > 0) old = h5::open_file(h5_path_);
    h5::Handle f = h5::create_file(target.temp_path());
    {
      h5::Handle g = h5::create_group(f, "meta");
      h5::set_attr(g, "format", "stzkmc output");
      h5::set_attr(g, "format_version", 2);  // 2: the curve's stage column, /analysis/stages
      h5::set_attr(g, "version", build_info().version);
      h5::set_attr(g, "commit", build_info().commit);
      h5::set_attr(g, "backend", meta.backend);
      h5::set_attr(g, "device", meta.device);
      h5::set_attr(g, "threads", meta.threads);
      h5::set_attr(g, "seed", meta.seed);
      h5::set_attr(g, "start_time", meta.start_time);
      h5::set_attr(g, "end_time", meta.end_time);
      h5::set_attr(g, "wall_time_s", meta.wall_time_s);
      h5::set_attr(g, "segments", meta.segments);
      h5::set_attr(g, "status", meta.status);
      h5::set_attr(g, "stop_reason", meta.stop_reason);
      h5::set_attr(g, "deck_source", meta.deck_source);
      h5::set_attr(g, "command", meta.command);
      h5::set_attr(g, "host", meta.host);
      h5::set_attr(g, "grid_n", n_);
      h5::set_attr(g, "voxel_size_nm", voxel_size_);
    }
    write_deck(f, deck, meta.deck_source);
    write_curve(f, "curve", results.curve);
    h5::write_vector(f, "avalanches", results.avalanche_sizes);
    if (deck.params.record_events) write_events(f, "events", results.events);
    write_analysis(f, analysis);
    h5::Handle fields = h5::create_group(f, "fields");
    for (std::size_t i = 0; i < snapshots_.size(); ++i) {
      const std::string path = snapshot_path(snapshots_[i].index);
      if (i < on_disk_) {
        // Read and written again rather than H5Ocopy'd: HDF5 1.10's object copy crashes when
        // the destination fails to grow (a full disk); our writes fail cleanly.
        h5::Handle from = h5::open_group(old, path);
        h5::Handle g = h5::create_group(f, path);
        write_snapshot_info(g, read_snapshot_info(from));
        write_fields(g, read_fields(from, n_));
      } else {
        h5::Handle g = h5::create_group(f, path);
        write_snapshot_info(g, snapshots_[i]);
        write_fields(g, pending_[i - on_disk_]);
      }
    }
    fields.reset();
    h5::close_file(f, target.temp_path());
  }  // both files closed before the rename
  h5::seal(target.temp_path());
  // Nothing replaces the output (and nothing is later copied out of it) unless it reads back.
  target.commit([&](const std::string& temp) { verify(temp, meta, results); });
  on_disk_ = snapshots_.size();
  pending_.clear();
  if (!snapshots_.empty())
    write_text_atomically(
        xdmf_path_, xdmf_document(fs::path(h5_path_).filename().string(), n_, voxel_size_, thickness_, snapshots_));
  last_flush_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string xdmf_document(const std::string& h5_file, int n, double voxel_size, double thickness,
                          const std::vector<SnapshotInfo>& snapshots) {
  // A slab one cell thick (3DCoRectMesh, z y x order): a 2DCoRectMesh would land in the
  // y-z plane in VTK's XDMF reader. Each (N, N) dataset is referenced with the slab's cell
  // shape "1 N N" (the same N^2 values): ParaView's legacy XDMF reader and both Xdmf3 readers
  // then load every field (tests/xdmf_paraview_check.py). A Function item doing the reshape
  // works in the legacy reader only (the Xdmf3 readers show no arrays), and "N N" alone makes
  // the legacy reader read a single row.
  char buf[768];
  const std::string h = value_text(Value{voxel_size}), dz = value_text(Value{thickness});
  std::string s =
      "<?xml version=\"1.0\" ?>\n"
      "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
      "<!-- stzkmc field snapshots of " +
      h5_file +
      ": open this file in ParaView. Time = strain; lengths in nm. -->\n"
      "<Xdmf Version=\"2.0\">\n"
      "  <Domain>\n"
      "    <Grid Name=\"fields\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (const SnapshotInfo& snap : snapshots) {
    const std::string path = snapshot_path(snap.index);
    std::snprintf(
        buf, sizeof buf,
        "      <Grid Name=\"%s\" GridType=\"Uniform\">\n"
        "        <Time Value=\"%s\"/>\n"
        "        <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"2 %d %d\"/>\n"
        "        <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
        "          <DataItem Format=\"XML\" NumberType=\"Float\" Precision=\"8\" Dimensions=\"3\">0 0 0</DataItem>\n"
        "          <DataItem Format=\"XML\" NumberType=\"Float\" Precision=\"8\" Dimensions=\"3\">%s %s %s</DataItem>\n"
        "        </Geometry>\n",
        path.c_str(), value_text(Value{snap.strain}).c_str(), n + 1, n + 1, dz.c_str(), h.c_str(), h.c_str());
    s += buf;
    for (const FieldInfo& f : field_infos()) {
      const bool integer = std::string(f.name) == "generation";
      std::snprintf(buf, sizeof buf,
                    "        <Attribute Name=\"%s\" AttributeType=\"Scalar\" Center=\"Cell\">\n"
                    "          <DataItem Format=\"HDF\" NumberType=\"%s\" Precision=\"%d\" Dimensions=\"1 %d "
                    "%d\">%s:/%s/%s</DataItem>\n"
                    "        </Attribute>\n",
                    f.name, integer ? "UInt" : "Float", integer ? 4 : 8, n, n, h5_file.c_str(), path.c_str(), f.name);
      s += buf;
    }
    s += "      </Grid>\n";
  }
  s += "    </Grid>\n  </Domain>\n</Xdmf>\n";
  return s;
}

}  // namespace stz::io
