#include "io/h5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "io/digest.hpp"

namespace stz::io::h5 {

namespace {

// HDF5 closes every file it still holds when the process exits. A file whose close failed
// (a full disk) stays in its tables half-closed, and HDF5 1.10 crashes on it at exit. Every
// file we keep is closed explicitly (close_file), so the exit-time cleanup buys nothing: turn
// it off before HDF5 initialises (static initialisation, before main).
const bool hdf5_exit_cleanup_off = [] {
  H5dont_atexit();
  return true;
}();

/// HDF5 prints its error stack to stderr by default; we report errors ourselves.
void silence_hdf5() {
  static const bool done = [] {
    (void)hdf5_exit_cleanup_off;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

/// What the HDF5 error stack says: its innermost message and the OS error, if any entry
/// carries one (the POSIX file driver writes "errno = 28, error message = ...").
struct StackSummary {
  std::string innermost;
  int os_error = 0;
};

herr_t summarize_error(unsigned n, const H5E_error2_t* err, void* out) {
  auto* s = static_cast<StackSummary*>(out);
  if (!err || !err->desc) return 0;
  if (n == 0) s->innermost = err->desc;
  if (s->os_error == 0) {
    if (const char* p = std::strstr(err->desc, "errno = ")) s->os_error = std::atoi(p + 8);
  }
  return 0;
}

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}

void check_status(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

/// "'/samples/r10_s00/tau' in data.h5": the object's full path and its file, for messages.
std::string where(hid_t loc, const std::string& name) {
  char file[1024] = {0}, path[1024] = {0};
  if (H5Fget_name(loc, file, sizeof file) < 0) file[0] = 0;
  if (H5Iget_name(loc, path, sizeof path) < 0) path[0] = 0;
  std::string full = path;
  if (!full.empty() && full.back() != '/') full += '/';
  full += name;
  return "'" + full + "' in " + (file[0] ? std::string(file) : std::string("<unknown file>"));
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

/// "'missing' of '/samples' in data.h5": an attribute, its object and file, for messages.
std::string attr_where(hid_t obj, const std::string& name) {
  char file[1024] = {0}, path[1024] = {0};
  if (H5Fget_name(obj, file, sizeof file) < 0) file[0] = 0;
  if (H5Iget_name(obj, path, sizeof path) < 0) path[0] = 0;
  return "'" + name + "' of '" + (path[0] ? std::string(path) : std::string("?")) + "' in " +
         (file[0] ? std::string(file) : std::string("<unknown file>"));
}

/// Reads a string attribute or scalar dataset stored fixed-length (C writers) or
/// variable-length (stzkmc, h5py). `read` is H5Aread or H5Dread bound to the object.
template <class Read>
bool read_any_string(hid_t file_type, const Read& read, std::string& out) {
  if (H5Tget_class(file_type) != H5T_STRING) return false;
  if (H5Tis_variable_str(file_type) > 0) {
    Handle mtype = string_type();
    char* p = nullptr;
    if (read(mtype.get(), &p) < 0) return false;
    out = p ? p : "";
    H5free_memory(p);
    return true;
  }
  const std::size_t n = H5Tget_size(file_type);
  std::string buf(n + 1, '\0');
  Handle mtype(check(H5Tcopy(H5T_C_S1), "copy the string type"), H5Tclose);
  check_status(H5Tset_size(mtype, n + 1), "size a string type");
  if (read(mtype.get(), buf.data()) < 0) return false;
  out = buf.c_str();
  return true;
}

Handle file_access(Format format = Format::compatible) {
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "create file access properties"), H5Pclose);
  if (format == Format::checksummed)
    check_status(H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "select the newest file format");
#if H5_VERSION_GE(1, 10, 7)
  // Files are replaced by rename, never written while someone reads them, so HDF5's file
  // locks buy nothing and fail on some network file systems.
  H5Pset_file_locking(fapl, false, true);
#endif
  return fapl;
}

Handle open_attr(hid_t obj, const std::string& name) {
  return {check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + attr_where(obj, name)), H5Aclose};
}

template <class T>
void write_attr(hid_t obj, const std::string& name, hid_t type, const T* data, const std::vector<hsize_t>& shape) {
  silence_hdf5();
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle space = dataspace(shape);
  Handle a(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute " + attr_where(obj, name)),
           H5Aclose);
  hsize_t count = 1;
  for (hsize_t s : shape) count *= s;
  // An empty array attribute has nothing to write (and HDF5 rejects a null buffer).
  if (count > 0) check_status(H5Awrite(a, type, data), "write attribute " + attr_where(obj, name));
}

template <class T>
T read_scalar_attr(hid_t obj, const std::string& name) {
  silence_hdf5();
  Handle a = open_attr(obj, name);
  T v{};
  check_status(H5Aread(a, native_type<T>(), &v), "read attribute " + attr_where(obj, name));
  return v;
}

/// Dataset creation properties of a storage kind for a dataset of this shape.
Handle dataset_creation(Storage storage, const std::vector<hsize_t>& shape, std::size_t element_size) {
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "create dataset properties"), H5Pclose);
  hsize_t count = 1;
  for (hsize_t s : shape) count *= s;
  // Compression pays only beyond a few hundred elements; chunks of at most about 1 MiB, cut
  // along the first (slowest) axis.
  if (storage == Storage::compressed && count >= 512 && !shape.empty()) {
    std::vector<hsize_t> chunk = shape;
    while (chunk[0] > 1 && count / shape[0] * chunk[0] * element_size > (hsize_t{1} << 20))
      chunk[0] = (chunk[0] + 1) / 2;
    check_status(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), "set the chunk size");
    check_status(H5Pset_shuffle(dcpl), "enable the shuffle filter");
    check_status(H5Pset_deflate(dcpl, 6), "enable gzip compression");
    return dcpl;
  }
  if (storage == Storage::checksummed && shape.size() != 1) return dcpl;  // checksums: 1D arrays only
  // Empty datasets have nothing to checksum (and cannot be chunked with fixed size 0).
  if (storage == Storage::checksummed && count > 0) {
    // About 1 MiB per chunk: each chunk carries its own Fletcher32 sum.
    const hsize_t chunk = std::min<hsize_t>(count, std::max<hsize_t>(1, (hsize_t{1} << 20) / element_size));
    check_status(H5Pset_chunk(dcpl, 1, &chunk), "set the chunk size");
    check_status(H5Pset_fletcher32(dcpl), "enable Fletcher32 checksums");
  }
  return dcpl;
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

namespace {

/// Takes the current HDF5 error stack (and clears it).
StackSummary take_error_stack() {
  StackSummary s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, summarize_error, &s);
  H5Eclear2(H5E_DEFAULT);
  return s;
}

[[noreturn]] void fail_with(const std::string& what, const StackSummary& s) {
  if (s.os_error > 0) throw FileError("cannot " + what + ": " + os_error_text(s.os_error), s.os_error);
  throw FileError("cannot " + what + (s.innermost.empty() ? "" : ": " + s.innermost + " (HDF5)"), 0);
}

}  // namespace

void fail(const std::string& what) { fail_with(what, take_error_stack()); }

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
template <>
hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
hid_t native_type<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}

namespace {
constexpr std::size_t user_block = 512;
constexpr const char* seal_magic = "stzkmc sealed HDF5 file 1\n";
}  // namespace

Handle create_file(const std::string& path, Format format) {
  silence_hdf5();
  Handle fapl = file_access(format);
  Handle fcpl(check(H5Pcreate(H5P_FILE_CREATE), "create file creation properties"), H5Pclose);
  check_status(H5Pset_userblock(fcpl, user_block), "reserve the user block");
  return {check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl), "create " + path), H5Fclose};
}

namespace {

/// Length and digest of a file's content after the user block, read in 1 MiB pieces.
bool digest_after_user_block(const std::string& path, std::uint64_t& length, std::uint64_t& digest, int& err) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    err = errno;
    return false;
  }
  Digest d;
  std::vector<char> buf(std::size_t{1} << 20);
  length = 0;
  bool ok = std::fseek(f, static_cast<long>(user_block), SEEK_SET) == 0;
  while (ok) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n > 0) {
      d.add_bytes(buf.data(), n);
      length += n;
    }
    if (n < buf.size()) {
      ok = !std::ferror(f);
      break;
    }
  }
  err = ok ? 0 : (errno ? errno : EIO);
  std::fclose(f);
  digest = d.value();
  return ok;
}

std::string seal_text(std::uint64_t length, std::uint64_t digest) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%slength %llu\ndigest %016llx\n", seal_magic, static_cast<unsigned long long>(length),
                static_cast<unsigned long long>(digest));
  return buf;
}

}  // namespace

void seal(const std::string& path) {
  std::uint64_t length = 0, digest = 0;
  int err = 0;
  if (!digest_after_user_block(path, length, digest, err)) throw_os_error("read back", path, err);
  std::string block = seal_text(length, digest);
  block.resize(user_block, '\n');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw_os_error("open", path, errno);
  const ssize_t n = ::pwrite(fd, block.data(), block.size(), 0);
  const int write_err = errno;
  if (n != static_cast<ssize_t>(block.size())) {
    ::close(fd);
    throw_os_error("seal", path, n < 0 ? write_err : EIO);
  }
  if (::close(fd) != 0) throw_os_error("close", path, errno);
}

SealCheck check_seal(const std::string& path, std::string* why) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    if (why) *why = "cannot open it: " + os_error_text(errno);
    return SealCheck::damaged;
  }
  char head[user_block + 1] = {0};
  const std::size_t n = std::fread(head, 1, user_block, f);
  std::fclose(f);
  const std::string text(head, n);
  if (text.compare(0, std::strlen(seal_magic), seal_magic) != 0) return SealCheck::unsealed;
  unsigned long long length = 0, digest = 0;
  if (std::sscanf(text.c_str() + std::strlen(seal_magic), "length %llu\ndigest %llx", &length, &digest) != 2) {
    if (why) *why = "its seal is unreadable";
    return SealCheck::damaged;
  }
  std::uint64_t actual_length = 0, actual_digest = 0;
  int err = 0;
  if (!digest_after_user_block(path, actual_length, actual_digest, err)) {
    if (why) *why = "cannot read it: " + os_error_text(err);
    return SealCheck::damaged;
  }
  if (actual_length != length || actual_digest != digest ||
      seal_text(length, digest) != text.substr(0, seal_text(length, digest).size())) {
    if (why) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "its content does not match its seal (%llu bytes, digest %016llx; sealed as %llu bytes, %016llx)",
                    static_cast<unsigned long long>(actual_length), static_cast<unsigned long long>(actual_digest),
                    length, digest);
      *why = buf;
    }
    return SealCheck::damaged;
  }
  return SealCheck::intact;
}

void close_file(Handle& file, const std::string& path) {
  silence_hdf5();
  // Take the id first: whatever happens below, no destructor may close it again.
  const hid_t id = file.release();
  if (H5Fflush(id, H5F_SCOPE_LOCAL) < 0) {
    const StackSummary why = take_error_stack();  // before the close below replaces it
    H5Fclose(id);  // fails as well on a full disk; the file is abandoned (see hdf5_exit_cleanup_off)
    H5Eclear2(H5E_DEFAULT);
    fail_with("write " + path, why);
  }
  check_status(H5Fclose(id), "close " + path);
}

Handle open_file(const std::string& path, bool writable) {
  silence_hdf5();
  if (::access(path.c_str(), F_OK) != 0) throw_os_error("open", path, errno);
  Handle fapl = file_access();
  return {check(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl), "open " + path), H5Fclose};
}

Handle create_group(hid_t loc, const std::string& name) {
  silence_hdf5();
  return {
      check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create group " + where(loc, name)),
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

template <class T>
void write_array(hid_t loc, const std::string& name, const T* data, const std::vector<hsize_t>& shape,
                 Storage storage) {
  silence_hdf5();
  Handle space = dataspace(shape);
  hsize_t count = 1;
  for (hsize_t s : shape) count *= s;
  Handle dcpl = dataset_creation(storage, shape, sizeof(T));
  Handle d(check(H5Dcreate2(loc, name.c_str(), native_type<T>(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 "create dataset " + where(loc, name)),
           H5Dclose);
  if (count > 0)
    check_status(H5Dwrite(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                 "write dataset " + where(loc, name));
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
    check_status(H5Dread(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
                 "read dataset " + where(loc, name));
  return v;
}

#define STZ_H5_INSTANTIATE(T)                                                                              \
  template void write_array<T>(hid_t, const std::string&, const T*, const std::vector<hsize_t>&, Storage); \
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
  Handle type(check(H5Dget_type(d), "get the type of " + where(loc, name)), H5Tclose);
  std::string s;
  const auto read = [&d](hid_t mtype, void* buf) { return H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); };
  if (!read_any_string(type, read, s)) fail("read dataset " + where(loc, name) + " as text");
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
  Handle type(check(H5Aget_type(a), "get the type of attribute " + attr_where(obj, name)), H5Tclose);
  std::string s;
  const auto read = [&a](hid_t mtype, void* buf) { return H5Aread(a, mtype, buf); };
  if (!read_any_string(type, read, s)) fail("read attribute " + attr_where(obj, name) + " as text");
  return s;
}

namespace {
herr_t collect_string_attr(hid_t obj, const char* name, const H5A_info_t*, void* out) {
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!a.valid()) return 0;
  Handle type(H5Aget_type(a), H5Tclose);
  std::string value;
  const auto read = [&a](hid_t mtype, void* buf) { return H5Aread(a, mtype, buf); };
  if (type.valid() && read_any_string(type, read, value))
    static_cast<std::vector<std::pair<std::string, std::string>>*>(out)->emplace_back(name, value);
  return 0;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> string_attributes(hid_t obj) {
  silence_hdf5();
  std::vector<std::pair<std::string, std::string>> out;
  hsize_t idx = 0;
  check_status(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_string_attr, &out),
               "list the attributes of " + where(obj, "."));
  return out;
}

void write_file(const std::string& path, const std::function<void(hid_t)>& body) {
  AtomicFile target(path);
  {
    Handle f = create_file(target.temp_path());
    body(f);
    close_file(f, target.temp_path());
  }
  target.commit([](const std::string& temp) { (void)open_file(temp); });
}

std::vector<double> attr_doubles(hid_t obj, const std::string& name) {
  silence_hdf5();
  Handle a = open_attr(obj, name);
  Handle space(check(H5Aget_space(a), "get the dataspace of attribute " + attr_where(obj, name)), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  std::vector<double> v(static_cast<std::size_t>(count < 0 ? 0 : count));
  if (!v.empty()) check_status(H5Aread(a, H5T_NATIVE_DOUBLE, v.data()), "read attribute " + attr_where(obj, name));
  return v;
}

namespace {
Handle compound_type(std::size_t row_size, const std::vector<Column>& columns) {
  Handle t(check(H5Tcreate(H5T_COMPOUND, row_size), "create a compound type"), H5Tclose);
  for (const Column& c : columns)
    check_status(H5Tinsert(t, c.name, c.offset, c.type), std::string("add column ") + c.name);
  return t;
}
}  // namespace

void write_table(hid_t loc, const std::string& name, const void* rows, std::size_t count, std::size_t row_size,
                 const std::vector<Column>& columns, Storage storage) {
  silence_hdf5();
  Handle type = compound_type(row_size, columns);
  // The file type is packed: struct padding (uninitialised bytes) never reaches the file,
  // so equal tables are equal byte for byte.
  Handle file_type(check(H5Tcopy(type), "copy a compound type"), H5Tclose);
  check_status(H5Tpack(file_type), "pack a compound type");
  Handle space = dataspace({static_cast<hsize_t>(count)});
  Handle dcpl = dataset_creation(storage, {static_cast<hsize_t>(count)}, H5Tget_size(file_type));
  Handle d(check(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 "create table " + where(loc, name)),
           H5Dclose);
  if (count > 0)
    check_status(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), "write table " + where(loc, name));
}

std::size_t table_rows(hid_t loc, const std::string& name) {
  const std::vector<hsize_t> shape = shape_of(loc, name);
  if (shape.size() != 1) throw std::runtime_error("HDF5: " + where(loc, name) + " is not a 1D table");
  return static_cast<std::size_t>(shape[0]);
}

void read_table(hid_t loc, const std::string& name, void* rows, std::size_t row_size,
                const std::vector<Column>& columns) {
  silence_hdf5();
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open table " + where(loc, name)), H5Dclose);
  // Columns a file written before them lacks (the curve's stage) keep the rows' initial values.
  Handle file_type(check(H5Dget_type(d), "type of table " + where(loc, name)), H5Tclose);
  std::vector<Column> present;
  for (const Column& c : columns)
    if (H5Tget_member_index(file_type, c.name) >= 0) present.push_back(c);
  Handle type = compound_type(row_size, present);
  check_status(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), "read table " + where(loc, name));
}

}  // namespace stz::io::h5
