#pragma once
/** @file
 * @brief A thin RAII layer over the HDF5 C API: owned handles, typed datasets and attributes,
 * compound tables, and atomic replacement of whole files (write a temporary, fsync, rename).
 *
 * Every failure throws std::runtime_error naming the object and the file, with the innermost
 * message of the HDF5 error stack (HDF5's own stderr printing is switched off).
 */
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Throws std::runtime_error("HDF5: <what>: <innermost HDF5 message>").
[[noreturn]] void fail(const std::string& what);

/// Creates (truncates) a file; file locking is off because files are replaced by rename.
Handle create_file(const std::string& path);
/// Opens an existing file read-only or read-write.
Handle open_file(const std::string& path, bool writable = false);
Handle create_group(hid_t loc, const std::string& name);
Handle open_group(hid_t loc, const std::string& name);
/// True when every link of the '/'-separated path exists under loc.
bool exists(hid_t loc, const std::string& path);
/// Names of the links directly under a group, in name order.
std::vector<std::string> list_group(hid_t loc, const std::string& name);
/// Copies an object (dataset or group, recursively) from one file into another.
void copy_object(hid_t src_loc, const std::string& src_name, hid_t dst_loc, const std::string& dst_name);

/// The HDF5 native type of T (double, float, integers, uint8 for bool).
template <class T>
hid_t native_type();
template <> hid_t native_type<double>();
template <> hid_t native_type<float>();
template <> hid_t native_type<std::int32_t>();
template <> hid_t native_type<std::int64_t>();
template <> hid_t native_type<std::uint32_t>();
template <> hid_t native_type<std::uint64_t>();
template <> hid_t native_type<std::uint8_t>();

/// Writes a dataset of the given shape (row-major; shape {} writes a scalar).
template <class T>
void write_array(hid_t loc, const std::string& name, const T* data, const std::vector<hsize_t>& shape);
template <class T>
void write_vector(hid_t loc, const std::string& name, const std::vector<T>& v) {
  write_array(loc, name, v.data(), {static_cast<hsize_t>(v.size())});
}
/// Reads a dataset of any shape, flattened row-major, converting to T.
template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name);
/// Shape of a dataset.
std::vector<hsize_t> shape_of(hid_t loc, const std::string& name);

/// Scalar variable-length UTF-8 string dataset (h5py: f[name].asstr()[()]).
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
std::string attr_string(hid_t obj, const std::string& name);
std::vector<double> attr_doubles(hid_t obj, const std::string& name);

/// One member of a compound table row.
struct Column {
  const char* name;
  std::size_t offset;
  hid_t type;  ///< a native type (H5T_NATIVE_*)
};

/// Writes rows of a plain struct as a 1D compound dataset (h5py: a structured array).
void write_table(hid_t loc, const std::string& name, const void* rows, std::size_t count,
                 std::size_t row_size, const std::vector<Column>& columns);
/// Number of rows of a 1D dataset.
std::size_t table_rows(hid_t loc, const std::string& name);
/// Reads a compound table into rows (members matched by name); `rows` holds table_rows() rows.
void read_table(hid_t loc, const std::string& name, void* rows, std::size_t row_size,
                const std::vector<Column>& columns);

template <class Row>
void write_rows(hid_t loc, const std::string& name, const std::vector<Row>& rows,
                const std::vector<Column>& columns) {
  write_table(loc, name, rows.data(), rows.size(), sizeof(Row), columns);
}
template <class Row>
std::vector<Row> read_rows(hid_t loc, const std::string& name, const std::vector<Column>& columns) {
  std::vector<Row> rows(table_rows(loc, name));
  if (!rows.empty()) read_table(loc, name, rows.data(), sizeof(Row), columns);
  return rows;
}

/**
 * @brief Replaces a file atomically: write to temp_path(), then commit() fsyncs it, renames it
 * over the target and fsyncs the directory. Readers see the old file or the new one, never a
 * torn one, and a crash at any point leaves the old file intact. Without commit() the
 * temporary is removed.
 */
class AtomicFile {
 public:
  explicit AtomicFile(std::string target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();
  const std::string& temp_path() const { return temp_; }
  /// Before the rename: keep the current target under this name (hard link, atomically).
  void keep_previous_as(const std::string& previous) { previous_ = previous; }
  void commit();

 private:
  std::string target_, temp_, previous_;
  bool committed_ = false;
};

/// Writes a text file atomically (AtomicFile).
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace stz::io::h5
