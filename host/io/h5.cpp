#include "h5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace stz::io::h5 {

namespace {

/// HDF5 prints its error stack to stderr by default; we report errors ourselves.
void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

herr_t innermost_error(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err && err->desc) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}

void check_status(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

std::string where(hid_t loc, const std::string& name) {
  char file[1024] = {0};
  if (H5Fget_name(loc, file, sizeof file) < 0) file[0] = 0;
  return "'" + name + "' in " + (file[0] ? std::string(file) : std::string("<unknown file>"));
}

Handle dataspace(const std::vector<hsize_t>& shape) {
  if (shape.empty()) return {check(H5Screate(H5S_SCALAR), "create a scalar dataspace"), H5Sclose};
  return {check(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), "create a dataspace"),
          H5Sclose};
}

Handle string_type() {
  Handle t(check(H5Tcopy(H5T_C_S1), "copy the string type"), H5Tclose);
  check_status(H5Tset_size(t, H5T_VARIABLE), "make a variable-length string type");
  check_status(H5Tset_cset(t, H5T_CSET_UTF8), "set UTF-8");
  return t;
}

Handle file_access() {
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "create file access properties"), H5Pclose);
#if H5_VERSION_GE(1, 10, 7)
  // Files are replaced by rename, never written while someone reads them, so HDF5's file
  // locks buy nothing and fail on some network file systems.
  H5Pset_file_locking(fapl, false, true);
#endif
  return fapl;
}

Handle open_attr(hid_t obj, const std::string& name) {
  return {check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + where(obj, name)), H5Aclose};
}

template <class T>
void write_attr(hid_t obj, const std::string& name, hid_t type, const T* data, const std::vector<hsize_t>& shape) {
  silence_hdf5();
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle space = dataspace(shape);
  Handle a(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute " + where(obj, name)),
           H5Aclose);
  check_status(H5Awrite(a, type, data), "write attribute " + where(obj, name));
}

template <class T>
T read_scalar_attr(hid_t obj, const std::string& name) {
  silence_hdf5();
  Handle a = open_attr(obj, name);
  T v{};
  check_status(H5Aread(a, native_type<T>(), &v), "read attribute " + where(obj, name));
  return v;
}

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) throw std::runtime_error("cannot open " + path + " to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync directories (EINVAL); the rename is still atomic there.
  if (rc != 0 && !(directory && (err == EINVAL || err == ENOTSUP)))
    throw std::runtime_error("cannot sync " + path + ": " + std::strerror(err));
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = -1;
}

void fail(const std::string& what) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  throw std::runtime_error("HDF5: cannot " + what + (detail.empty() ? "" : ": " + detail));
}

template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<std::uint32_t>() { return H5T_NATIVE_UINT32; }
template <> hid_t native_type<std::uint64_t>() { return H5T_NATIVE_UINT64; }
template <> hid_t native_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }

Handle create_file(const std::string& path) {
  silence_hdf5();
  Handle fapl = file_access();
  return {check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), "create " + path), H5Fclose};
}

Handle open_file(const std::string& path, bool writable) {
  silence_hdf5();
  Handle fapl = file_access();
  return {check(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl), "open " + path),
          H5Fclose};
}

Handle create_group(hid_t loc, const std::string& name) {
  silence_hdf5();
  return {check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                "create group " + where(loc, name)),
          H5Gclose};
}

Handle open_group(hid_t loc, const std::string& name) {
  silence_hdf5();
  return {check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "open group " + where(loc, name)), H5Gclose};
}

bool exists(hid_t loc, const std::string& path) {
  silence_hdf5();
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) {
      prefix += (prefix.empty() ? "" : "/") + part;
      if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

namespace {
// H5Literate/H5L_info_t map to the default API of the installed HDF5 (1.10 or 1.12+).
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> list_group(hid_t loc, const std::string& name) {
  Handle g = open_group(loc, name);
  std::vector<std::string> names;
  check_status(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names),
               "list group " + where(loc, name));
  return names;
}

void copy_object(hid_t src_loc, const std::string& src_name, hid_t dst_loc, const std::string& dst_name) {
  silence_hdf5();
  check_status(H5Ocopy(src_loc, src_name.c_str(), dst_loc, dst_name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
               "copy " + where(src_loc, src_name) + " to " + where(dst_loc, dst_name));
}

template <class T>
void write_array(hid_t loc, const std::string& name, const T* data, const std::vector<hsize_t>& shape) {
  silence_hdf5();
  Handle space = dataspace(shape);
  Handle d(check(H5Dcreate2(loc, name.c_str(), native_type<T>(), space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "create dataset " + where(loc, name)),
           H5Dclose);
  hsize_t count = 1;
  for (hsize_t s : shape) count *= s;
  if (count > 0)
    check_status(H5Dwrite(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write dataset " + where(loc, name));
}

std::vector<hsize_t> shape_of(hid_t loc, const std::string& name) {
  silence_hdf5();
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + where(loc, name)), H5Dclose);
  Handle space(check(H5Dget_space(d), "get the dataspace of " + where(loc, name)), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("get the rank of " + where(loc, name));
  std::vector<hsize_t> shape(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, shape.data(), nullptr);
  return shape;
}

template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name) {
  hsize_t count = 1;
  for (hsize_t s : shape_of(loc, name)) count *= s;
  std::vector<T> v(count);
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + where(loc, name)), H5Dclose);
  if (count > 0)
    check_status(H5Dread(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "read dataset " + where(loc, name));
  return v;
}

#define STZ_H5_INSTANTIATE(T)                                                                       \
  template void write_array<T>(hid_t, const std::string&, const T*, const std::vector<hsize_t>&); \
  template std::vector<T> read_vector<T>(hid_t, const std::string&);
STZ_H5_INSTANTIATE(double)
STZ_H5_INSTANTIATE(float)
STZ_H5_INSTANTIATE(std::int32_t)
STZ_H5_INSTANTIATE(std::int64_t)
STZ_H5_INSTANTIATE(std::uint32_t)
STZ_H5_INSTANTIATE(std::uint64_t)
STZ_H5_INSTANTIATE(std::uint8_t)
#undef STZ_H5_INSTANTIATE

void write_string(hid_t loc, const std::string& name, const std::string& text) {
  silence_hdf5();
  Handle type = string_type();
  Handle space = dataspace({});
  Handle d(check(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "create dataset " + where(loc, name)),
           H5Dclose);
  const char* p = text.c_str();
  check_status(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "write dataset " + where(loc, name));
}

std::string read_string(hid_t loc, const std::string& name) {
  silence_hdf5();
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + where(loc, name)), H5Dclose);
  Handle type = string_type();
  char* p = nullptr;
  check_status(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "read dataset " + where(loc, name));
  std::string s = p ? p : "";
  H5free_memory(p);
  return s;
}

void set_attr(hid_t obj, const std::string& name, double v) { write_attr(obj, name, H5T_NATIVE_DOUBLE, &v, {}); }
void set_attr(hid_t obj, const std::string& name, std::int64_t v) { write_attr(obj, name, H5T_NATIVE_INT64, &v, {}); }
void set_attr(hid_t obj, const std::string& name, std::uint64_t v) { write_attr(obj, name, H5T_NATIVE_UINT64, &v, {}); }
void set_attr(hid_t obj, const std::string& name, int v) { set_attr(obj, name, static_cast<std::int64_t>(v)); }
void set_attr(hid_t obj, const std::string& name, bool v) {
  const std::uint8_t b = v ? 1 : 0;
  write_attr(obj, name, H5T_NATIVE_UINT8, &b, {});
}
void set_attr(hid_t obj, const std::string& name, const std::string& v) {
  Handle type = string_type();
  const char* p = v.c_str();
  write_attr(obj, name, type.get(), &p, {});
}
void set_attr(hid_t obj, const std::string& name, const char* v) { set_attr(obj, name, std::string(v)); }
void set_attr(hid_t obj, const std::string& name, const std::vector<double>& v) {
  // An empty array attribute is legal HDF5 but awkward to read back; store an empty 1D one.
  write_attr(obj, name, H5T_NATIVE_DOUBLE, v.data(), {static_cast<hsize_t>(v.size())});
}

bool has_attr(hid_t obj, const std::string& name) {
  silence_hdf5();
  return H5Aexists(obj, name.c_str()) > 0;
}

double attr_double(hid_t obj, const std::string& name) { return read_scalar_attr<double>(obj, name); }
std::int64_t attr_int(hid_t obj, const std::string& name) { return read_scalar_attr<std::int64_t>(obj, name); }
std::uint64_t attr_uint(hid_t obj, const std::string& name) { return read_scalar_attr<std::uint64_t>(obj, name); }
bool attr_bool(hid_t obj, const std::string& name) { return read_scalar_attr<std::uint8_t>(obj, name) != 0; }

std::string attr_string(hid_t obj, const std::string& name) {
  silence_hdf5();
  Handle a = open_attr(obj, name);
  Handle type = string_type();
  char* p = nullptr;
  check_status(H5Aread(a, type, &p), "read attribute " + where(obj, name));
  std::string s = p ? p : "";
  H5free_memory(p);
  return s;
}

std::vector<double> attr_doubles(hid_t obj, const std::string& name) {
  silence_hdf5();
  Handle a = open_attr(obj, name);
  Handle space(check(H5Aget_space(a), "get the dataspace of attribute " + where(obj, name)), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  std::vector<double> v(static_cast<std::size_t>(count < 0 ? 0 : count));
  if (!v.empty()) check_status(H5Aread(a, H5T_NATIVE_DOUBLE, v.data()), "read attribute " + where(obj, name));
  return v;
}

namespace {
Handle compound_type(std::size_t row_size, const std::vector<Column>& columns) {
  Handle t(check(H5Tcreate(H5T_COMPOUND, row_size), "create a compound type"), H5Tclose);
  for (const Column& c : columns) check_status(H5Tinsert(t, c.name, c.offset, c.type), std::string("add column ") + c.name);
  return t;
}
}  // namespace

void write_table(hid_t loc, const std::string& name, const void* rows, std::size_t count, std::size_t row_size,
                 const std::vector<Column>& columns) {
  silence_hdf5();
  Handle type = compound_type(row_size, columns);
  // The file type is packed: struct padding (uninitialised bytes) never reaches the file,
  // so equal tables are equal byte for byte.
  Handle file_type(check(H5Tcopy(type), "copy a compound type"), H5Tclose);
  check_status(H5Tpack(file_type), "pack a compound type");
  Handle space = dataspace({static_cast<hsize_t>(count)});
  Handle d(check(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "create table " + where(loc, name)),
           H5Dclose);
  if (count > 0) check_status(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), "write table " + where(loc, name));
}

std::size_t table_rows(hid_t loc, const std::string& name) {
  const std::vector<hsize_t> shape = shape_of(loc, name);
  if (shape.size() != 1) throw std::runtime_error("HDF5: " + where(loc, name) + " is not a 1D table");
  return static_cast<std::size_t>(shape[0]);
}

void read_table(hid_t loc, const std::string& name, void* rows, std::size_t row_size, const std::vector<Column>& columns) {
  silence_hdf5();
  Handle type = compound_type(row_size, columns);
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open table " + where(loc, name)), H5Dclose);
  check_status(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), "read table " + where(loc, name));
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)), temp_(target_ + ".tmp") {
  std::error_code ec;
  std::filesystem::remove(temp_, ec);  // a leftover of a crashed writer
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  namespace fs = std::filesystem;
  fsync_path(temp_, false);
  if (!previous_.empty() && fs::exists(target_)) {
    // link + rename: the target exists at every instant, and the previous copy is complete.
    const std::string link_tmp = previous_ + ".tmp";
    std::error_code ec;
    fs::remove(link_tmp, ec);
    if (::link(target_.c_str(), link_tmp.c_str()) != 0)
      throw std::runtime_error("cannot keep " + target_ + " as " + previous_ + ": " + std::strerror(errno));
    if (std::rename(link_tmp.c_str(), previous_.c_str()) != 0)
      throw std::runtime_error("cannot rename " + link_tmp + " to " + previous_ + ": " + std::strerror(errno));
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0)
    throw std::runtime_error("cannot rename " + temp_ + " to " + target_ + ": " + std::strerror(errno));
  committed_ = true;
  fs::path dir = fs::path(target_).parent_path();
  fsync_path(dir.empty() ? std::string(".") : dir.string(), true);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  {
    std::ofstream os(f.temp_path(), std::ios::binary | std::ios::trunc);
    os << text;
    os.flush();
    if (!os) throw std::runtime_error("cannot write " + f.temp_path());
  }
  f.commit();
}

}  // namespace stz::io::h5
