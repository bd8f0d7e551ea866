#pragma once
/** @file
 * @brief A thin RAII layer over the HDF5 C API: owned handles, typed datasets and attributes,
 * compound tables. Whole files are replaced through io::AtomicFile (atomic_file.hpp).
 *
 * Every failure throws io::FileError naming the object and the file, with the OS error when
 * HDF5 reports one (ENOSPC, EDQUOT, EROFS, EIO) and otherwise the innermost message of the
 * HDF5 error stack (HDF5's own stderr printing is switched off). Files written for keeps are
 * closed with close_file(), which flushes and checks: a failed close is an error, never a
 * silently truncated file.
 */
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "io/atomic_file.hpp"

namespace stz::io::h5 {

/// Owns one HDF5 identifier and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle() { reset(); }
  void reset();
  /// Gives up ownership without closing; returns the id.
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Throws FileError("cannot <what>: <OS error or innermost HDF5 message>").
[[noreturn]] void fail(const std::string& what);

/// How a new file is laid out.
enum class Format {
  compatible,   ///< HDF5's default (oldest) format: readable by every HDF5 1.8+ tool
  checksummed,  ///< the newest format, whose metadata (superblock, object headers, B-trees)
                ///< carries checksums: a flipped bit in the structure fails to open
};

/// Creates (truncates) a file; file locking is off because files are replaced by rename. The
/// file starts with a 512-byte user block that HDF5 skips and seal() fills.
Handle create_file(const std::string& path, Format format = Format::compatible);

/**
 * @brief Seals a closed file made by create_file: writes into its user block the length and a
 * digest (digest.hpp) of everything after it. A sealed file is checked whole (check_seal)
 * before HDF5 parses a byte of it: HDF5 1.10 can crash on a damaged file, and a flipped bit
 * anywhere is then refused before it can.
 */
void seal(const std::string& path);

enum class SealCheck { intact, unsealed, damaged };
/// Verifies a seal; `why` says what does not match when damaged.
SealCheck check_seal(const std::string& path, std::string* why = nullptr);
/// Flushes and closes a file written for keeps; throws FileError when either fails (a full
/// disk shows here: HDF5 writes its metadata at the flush).
void close_file(Handle& file, const std::string& path);
/// Opens an existing file read-only or read-write.
Handle open_file(const std::string& path, bool writable = false);
Handle create_group(hid_t loc, const std::string& name);
Handle open_group(hid_t loc, const std::string& name);
/// True when every link of the '/'-separated path exists under loc.
bool exists(hid_t loc, const std::string& path);
/// Names of the links directly under a group, in name order.
std::vector<std::string> list_group(hid_t loc, const std::string& name);

/// The HDF5 native type of T (double, float, integers, uint8 for bool).
template <class T>
hid_t native_type();
template <>
hid_t native_type<double>();
template <>
hid_t native_type<float>();
template <>
hid_t native_type<std::int32_t>();
template <>
hid_t native_type<std::int64_t>();
template <>
hid_t native_type<std::uint32_t>();
template <>
hid_t native_type<std::uint64_t>();
template <>
hid_t native_type<std::uint8_t>();

/// How datasets are stored.
enum class Storage {
  plain,        ///< contiguous, no filter: what every reader expects of an output file
  checksummed,  ///< chunked with a Fletcher32 checksum per chunk: a flipped bit fails the read
  compressed,   ///< 1D, 512 elements or more: chunked, shuffled and gzip-compressed (SEEM tables)
};

/// Writes a dataset of the given shape (row-major; shape {} writes a scalar).
template <class T>
void write_array(hid_t loc, const std::string& name, const T* data, const std::vector<hsize_t>& shape,
                 Storage storage = Storage::plain);
template <class T>
void write_vector(hid_t loc, const std::string& name, const std::vector<T>& v, Storage storage = Storage::plain) {
  write_array(loc, name, v.data(), {static_cast<hsize_t>(v.size())}, storage);
}
/// Reads a dataset of any shape, flattened row-major, converting to T.
template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name);
/// Shape of a dataset.
std::vector<hsize_t> shape_of(hid_t loc, const std::string& name);

/// Writes an N-dimensional dataset from a vector (`shape` empty: 1D of the vector's size).
template <class T>
void write_dataset(hid_t loc, const std::string& name, const std::vector<T>& v, std::vector<hsize_t> shape = {},
                   Storage storage = Storage::plain) {
  if (shape.empty()) shape = {static_cast<hsize_t>(v.size())};
  write_array(loc, name, v.data(), shape, storage);
}

/// Writes a whole file atomically (AtomicFile): `body` fills the root group of a temporary,
/// which is closed (checked), reopened and renamed over `path`.
void write_file(const std::string& path, const std::function<void(hid_t root)>& body);

/// Scalar variable-length UTF-8 string dataset (h5py: f[name].asstr()[()]); reading also takes
/// fixed-length strings.
void write_string(hid_t loc, const std::string& name, const std::string& text);
std::string read_string(hid_t loc, const std::string& name);

// Attributes (variable-length UTF-8 strings; bool as uint8 0/1).
void set_attr(hid_t obj, const std::string& name, double v);
void set_attr(hid_t obj, const std::string& name, std::int64_t v);
void set_attr(hid_t obj, const std::string& name, std::uint64_t v);
void set_attr(hid_t obj, const std::string& name, int v);
void set_attr(hid_t obj, const std::string& name, bool v);
void set_attr(hid_t obj, const std::string& name, const std::string& v);
void set_attr(hid_t obj, const std::string& name, const char* v);
void set_attr(hid_t obj, const std::string& name, const std::vector<double>& v);
bool has_attr(hid_t obj, const std::string& name);
double attr_double(hid_t obj, const std::string& name);
std::int64_t attr_int(hid_t obj, const std::string& name);
std::uint64_t attr_uint(hid_t obj, const std::string& name);
bool attr_bool(hid_t obj, const std::string& name);
std::string attr_string(hid_t obj, const std::string& name);  ///< variable- or fixed-length
/// Every string attribute of an object, in name order (name, value).
std::vector<std::pair<std::string, std::string>> string_attributes(hid_t obj);
std::vector<double> attr_doubles(hid_t obj, const std::string& name);

/// One member of a compound table row.
struct Column {
  const char* name;
  std::size_t offset;
  hid_t type;  ///< a native type (H5T_NATIVE_*)
};

/// Writes rows of a plain struct as a 1D compound dataset (h5py: a structured array).
void write_table(hid_t loc, const std::string& name, const void* rows, std::size_t count, std::size_t row_size,
                 const std::vector<Column>& columns, Storage storage = Storage::plain);
/// Number of rows of a 1D dataset.
std::size_t table_rows(hid_t loc, const std::string& name);
/// Reads a compound table into rows (members matched by name); `rows` holds table_rows() rows.
void read_table(hid_t loc, const std::string& name, void* rows, std::size_t row_size,
                const std::vector<Column>& columns);

template <class Row>
void write_rows(hid_t loc, const std::string& name, const std::vector<Row>& rows, const std::vector<Column>& columns,
                Storage storage = Storage::plain) {
  write_table(loc, name, rows.data(), rows.size(), sizeof(Row), columns, storage);
}
template <class Row>
std::vector<Row> read_rows(hid_t loc, const std::string& name, const std::vector<Column>& columns) {
  std::vector<Row> rows(table_rows(loc, name));
  if (!rows.empty()) read_table(loc, name, rows.data(), sizeof(Row), columns);
  return rows;
}

}  // namespace stz::io::h5
