#pragma once
/** @file
 * @brief Minimal RAII helpers over the HDF5 C API for the SEEM files (internal to stz_seem).
 * Every failure throws std::runtime_error naming the file and the object.
 */
#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace stz::seem::h5 {

/// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle();
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Gives up ownership without closing.
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }

 private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

/// An open file with its path (for messages).
struct File {
  Handle h;
  std::string path;
};

/**
 * @brief Writes a whole file: `body` fills a temporary file, which is then closed (checked: a
 * full disk is an error, never a truncated file), reopened to verify it, and renamed over
 * `path` (io::AtomicFile). On any failure `path` is untouched.
 */
void write_file(const std::string& path, const std::function<void(const File&)>& body);
File open_file_read(const std::string& path);  ///< throws "cannot open ..." if missing
Handle create_group(hid_t parent, const std::string& name);
Handle open_group(const File& f, const std::string& name);  ///< throws naming the group
bool exists(hid_t parent, const std::string& name);
std::vector<std::string> list_group(hid_t group);  ///< member names, sorted

// Datasets (gzip + shuffle for anything larger than a few hundred elements).
void write(hid_t parent, const std::string& name, const std::vector<double>& v,
           const std::vector<hsize_t>& dims = {});
void write(hid_t parent, const std::string& name, const std::vector<float>& v,
           const std::vector<hsize_t>& dims = {});
void write(hid_t parent, const std::string& name, const std::vector<std::int32_t>& v,
           const std::vector<hsize_t>& dims = {});
void write(hid_t parent, const std::string& name, const std::vector<std::int64_t>& v,
           const std::vector<hsize_t>& dims = {});
void write(hid_t parent, const std::string& name, const std::vector<std::uint32_t>& v,
           const std::vector<hsize_t>& dims = {});
void write_string(hid_t parent, const std::string& name, const std::string& text);

/// Reads a dataset of any numeric type converted to T (HDF5 converts on read).
template <class T>
std::vector<T> read(hid_t parent, const std::string& name, const std::string& where);

// Attributes on a group or the file root.
void attr(hid_t obj, const std::string& name, double v);
void attr(hid_t obj, const std::string& name, std::int64_t v);
void attr(hid_t obj, const std::string& name, const std::string& v);
bool has_attr(hid_t obj, const std::string& name);
double attr_double(hid_t obj, const std::string& name, const std::string& where);
std::int64_t attr_int(hid_t obj, const std::string& name, const std::string& where);
std::string attr_string(hid_t obj, const std::string& name, const std::string& where);
/// All string-typed attributes of an object (name, value).
std::vector<std::pair<std::string, std::string>> string_attrs(hid_t obj);

}  // namespace stz::seem::h5
