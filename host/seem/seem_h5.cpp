// HDF5 C API helpers for SEEM files. Objects are checked with H5Lexists / H5Aexists before
// opening so that a missing item produces our message, not an HDF5 error stack.
#include "seem/seem_h5.hpp"

#include "io/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

namespace stz::seem::h5 {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

template <class T>
hid_t native_type();
template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<std::uint32_t>() {
  return H5T_NATIVE_UINT32;
}

std::string object_name(hid_t obj) {
  char buf[512] = {0};
  H5Iget_name(obj, buf, sizeof buf);
  return buf;
}

template <class T>
void write_impl(hid_t parent, const std::string& name, const std::vector<T>& v, std::vector<hsize_t> dims) {
  if (dims.empty()) dims = {static_cast<hsize_t>(v.size())};
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  if (total != v.size())
    fail("internal: dataset '" + name + "' has " + std::to_string(v.size()) + " values for its shape");
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  // Compression only pays above a few hundred values; chunks must be non-empty.
  if (total >= 256) {
    std::vector<hsize_t> chunk = dims;
    hsize_t csize = 1;
    for (auto& c : chunk) csize *= c;
    // Shrink the leading dimension until a chunk holds <= 64 Ki elements.
    while (csize > 65536 && chunk[0] > 1) {
      chunk[0] = (chunk[0] + 1) / 2;
      csize = 1;
      for (auto c : chunk) csize *= c;
    }
    H5Pset_chunk(plist.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(plist.get());
    H5Pset_deflate(plist.get(), 6);
  }
  Handle ds(
      H5Dcreate2(parent, name.c_str(), native_type<T>(), space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
      H5Dclose);
  if (!ds.valid()) fail("cannot create dataset '" + name + "' in " + object_name(parent));
  if (total > 0 && H5Dwrite(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    fail("cannot write dataset '" + name + "'");
}

Handle string_type(std::size_t n) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), std::max<std::size_t>(n, 1));
  H5Tset_strpad(t.get(), H5T_STR_NULLTERM);
  return t;
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && closer_) closer_(id_);
}

void write_file(const std::string& path, const std::function<void(const File&)>& body) {
  io::AtomicFile target(path);
  {
    hid_t id;
    H5E_BEGIN_TRY { id = H5Fcreate(target.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
    H5E_END_TRY;
    if (id < 0) fail("cannot create HDF5 file '" + target.temp_path() + "' (directory missing or not writable?)");
    File f{Handle(id, H5Fclose), path};
    body(f);
    // Every object of `body` is closed: flush and close, checked (no id is closed twice).
    const hid_t fid = f.h.release();
    herr_t flushed, closed;
    errno = 0;
    H5E_BEGIN_TRY {
      flushed = H5Fflush(fid, H5F_SCOPE_LOCAL);
      closed = H5Fclose(fid);
    }
    H5E_END_TRY;
    const int err = errno;
    if (flushed < 0 || closed < 0)
      throw io::FileError("cannot write " + target.temp_path() + ": " +
                              (err ? io::os_error_text(err) : std::string("the HDF5 file could not be closed")),
                          err);
  }
  target.commit([](const std::string& temp) { (void)open_file_read(temp); });
}

File open_file_read(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("file not found: '" + path + "'");
  hid_t id;
  H5E_BEGIN_TRY { id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (id < 0) fail("'" + path + "' is not a readable HDF5 file");
  return {Handle(id, H5Fclose), path};
}

Handle create_group(hid_t parent, const std::string& name) {
  Handle g(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail("cannot create group '" + name + "'");
  return g;
}

bool exists(hid_t parent, const std::string& name) {
  htri_t r;
  H5E_BEGIN_TRY { r = H5Lexists(parent, name.c_str(), H5P_DEFAULT); }
  H5E_END_TRY;
  return r > 0;
}

Handle open_group(const File& f, const std::string& name) {
  if (!exists(f.h.get(), name)) fail("'" + f.path + "' has no group '" + name + "'");
  return Handle(H5Gopen2(f.h.get(), name.c_str(), H5P_DEFAULT), H5Gclose);
}

std::vector<std::string> list_group(hid_t group) {
  H5G_info_t info;
  H5Gget_info(group, &info);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string s(static_cast<std::size_t>(n), '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size() + 1, H5P_DEFAULT);
    names.push_back(s);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void write(hid_t p, const std::string& n, const std::vector<double>& v, const std::vector<hsize_t>& d) {
  write_impl(p, n, v, d);
}
void write(hid_t p, const std::string& n, const std::vector<float>& v, const std::vector<hsize_t>& d) {
  write_impl(p, n, v, d);
}
void write(hid_t p, const std::string& n, const std::vector<std::int32_t>& v, const std::vector<hsize_t>& d) {
  write_impl(p, n, v, d);
}
void write(hid_t p, const std::string& n, const std::vector<std::int64_t>& v, const std::vector<hsize_t>& d) {
  write_impl(p, n, v, d);
}
void write(hid_t p, const std::string& n, const std::vector<std::uint32_t>& v,
           const std::vector<hsize_t>& d) {
  write_impl(p, n, v, d);
}

void write_string(hid_t parent, const std::string& name, const std::string& text) {
  Handle t = string_type(text.size() + 1);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle ds(H5Dcreate2(parent, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  if (!ds.valid()) fail("cannot create string dataset '" + name + "'");
  H5Dwrite(ds.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.c_str());
}

template <class T>
std::vector<T> read(hid_t parent, const std::string& name, const std::string& where) {
  if (!exists(parent, name)) fail(where + ": missing dataset '" + name + "'");
  Handle ds(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail(where + ": cannot read the shape of '" + name + "'");
  std::vector<T> v(static_cast<std::size_t>(n));
  if (n > 0 && H5Dread(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    fail(where + ": cannot read dataset '" + name + "' as numbers");
  return v;
}
template std::vector<double> read<double>(hid_t, const std::string&, const std::string&);
template std::vector<float> read<float>(hid_t, const std::string&, const std::string&);
template std::vector<std::int32_t> read<std::int32_t>(hid_t, const std::string&, const std::string&);
template std::vector<std::int64_t> read<std::int64_t>(hid_t, const std::string&, const std::string&);
template std::vector<std::uint32_t> read<std::uint32_t>(hid_t, const std::string&, const std::string&);

namespace {
void write_attr(hid_t obj, const std::string& name, hid_t type, const void* value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid() || H5Awrite(a.get(), type, value) < 0) fail("cannot write attribute '" + name + "'");
}
}  // namespace

void attr(hid_t obj, const std::string& name, double v) { write_attr(obj, name, H5T_NATIVE_DOUBLE, &v); }
void attr(hid_t obj, const std::string& name, std::int64_t v) { write_attr(obj, name, H5T_NATIVE_INT64, &v); }
void attr(hid_t obj, const std::string& name, const std::string& v) {
  Handle t = string_type(v.size() + 1);
  write_attr(obj, name, t.get(), v.c_str());
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

double attr_double(hid_t obj, const std::string& name, const std::string& where) {
  if (!has_attr(obj, name)) fail(where + ": missing attribute '" + name + "'");
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  double v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) fail(where + ": attribute '" + name + "' is not a number");
  return v;
}

std::int64_t attr_int(hid_t obj, const std::string& name, const std::string& where) {
  if (!has_attr(obj, name)) fail(where + ": missing attribute '" + name + "'");
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  std::int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
    fail(where + ": attribute '" + name + "' is not an integer");
  return v;
}

namespace {
// Reads a string attribute stored either fixed-length (C writers) or variable-length (h5py).
bool read_string_attr(hid_t a, std::string& out) {
  Handle ftype(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) return false;
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    char* s = nullptr;
    if (H5Aread(a, mtype.get(), &s) < 0) return false;
    out = s ? s : "";
    H5free_memory(s);
    return true;
  }
  const std::size_t n = H5Tget_size(ftype.get());
  std::string buf(n + 1, '\0');
  Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mtype.get(), n + 1);
  if (H5Aread(a, mtype.get(), buf.data()) < 0) return false;
  out = buf.c_str();
  return true;
}

herr_t collect_attr(hid_t obj, const char* name, const H5A_info_t*, void* op) {
  auto* v = static_cast<std::vector<std::pair<std::string, std::string>>*>(op);
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  std::string s;
  if (read_string_attr(a.get(), s)) v->emplace_back(name, s);
  return 0;
}
}  // namespace

std::string attr_string(hid_t obj, const std::string& name, const std::string& where) {
  if (!has_attr(obj, name)) fail(where + ": missing attribute '" + name + "'");
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  std::string s;
  if (!read_string_attr(a.get(), s)) fail(where + ": attribute '" + name + "' is not a string");
  return s;
}

std::vector<std::pair<std::string, std::string>> string_attrs(hid_t obj) {
  std::vector<std::pair<std::string, std::string>> v;
  hsize_t idx = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &v);
  return v;
}

}  // namespace stz::seem::h5
