// Hdf5File: one open HDF5 file and the small set of operations our writers need (groups with a NeXus class,
// scalar/string attributes and datasets, chunked datasets, flush, checked close), each throwing StorageError
// whose message names the file (see hdf5_error.hpp).
//
// Files are written with the earliest file-format version HDF5 supports (no SWMR, no file-consistency flags), so a
// file whose writer was killed opens in any reader at its last flush (see flush()). Not thread-safe: one thread uses
// an Hdf5File at a time.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tomolive/storage/hdf5_handle.hpp"

namespace tomolive::storage::hdf5 {

// An HDF5 filter in a dataset's pipeline (e.g. bitshuffle, id 32008).
struct Filter {
  H5Z_filter_t id = 0;
  std::vector<unsigned> cd_values;  // the client data the filter's set_local function expands (see its docs)
};

// The bitshuffle filter (HDF5 filter id 32008, the one DECTRIS detectors and hdf5plugin register).
inline constexpr H5Z_filter_t kBitshuffleFilterId = 32008;
// Its client data for LZ4 compression with the automatic block size: { block_size = 0, compression = 2 (LZ4) }.
// The filter's set_local prepends its version and the element size, so a stored pipeline reads
// { major, minor, element size, 0, 2 }, as in DECTRIS' own files.
Filter bitshuffle_lz4_filter();

// Shape of a chunked dataset. Extendible along dims where max_dims holds H5S_UNLIMITED.
struct ChunkedLayout {
  std::vector<hsize_t> dims;
  std::vector<hsize_t> max_dims;
  std::vector<hsize_t> chunk;
  std::optional<Filter> filter;  // required: creating the dataset fails when the filter is not available
};

class Hdf5File {
 public:
  // Creates `path`, failing ("file X already exists") when it exists.
  static Hdf5File create(const std::filesystem::path& path);
  // Opens an existing file for reading.
  static Hdf5File open_read_only(const std::filesystem::path& path);

  hid_t id() const { return file_.get(); }
  const std::filesystem::path& path() const { return path_; }

  // A new group `name` under `parent` (a file or group id), with an NX_class attribute when `nx_class` is given.
  Group create_group(hid_t parent, const char* name, std::optional<std::string_view> nx_class = std::nullopt);

  // Attributes on a file, group or dataset: a UTF-8 variable-length string, a float64, or an int64.
  void write_attribute(hid_t object, const char* name, std::string_view value);
  void write_attribute(hid_t object, const char* name, double value);
  void write_attribute(hid_t object, const char* name, std::int64_t value);

  // Scalar or 1-D datasets, written whole: a UTF-8 string, a float64, an int64, or float64 values.
  Dataset write_dataset(hid_t parent, const char* name, std::string_view value);
  Dataset write_dataset(hid_t parent, const char* name, double value);
  Dataset write_dataset(hid_t parent, const char* name, std::int64_t value);
  Dataset write_dataset(hid_t parent, const char* name, std::span<const double> values);

  // A chunked dataset of `type` (e.g. H5T_STD_U16LE) with `layout`, filled with nothing yet.
  Dataset create_chunked_dataset(hid_t parent, const char* name, hid_t type, const ChunkedLayout& layout);

  // A hard link `link_name` under `parent` to the object at absolute path `target` (NeXus /entry/data links).
  void link(hid_t parent, const char* link_name, const char* target);

  // Writes every dirty buffer and the metadata to disk: after flush() returns, a reader sees the file as it is now
  // even if the writer is killed before writing more.
  void flush();
  // Asks the kernel to start writing the file's dirty pages to the disk now and returns without waiting for them
  // (sync_file_range, SYNC_FILE_RANGE_WRITE), so the disk works while the caller prepares more data and a later sync
  // waits only for the rest. A hint with no durability promise: what HDF5 still buffers is not included, and a write
  // error it meets is reported by the later sync (flush(), fdatasync), so its own failure is ignored.
  void start_writeback();
  // Closes the file, reporting errors of the final writes (the destructor closes silently).
  void close();

 private:
  Hdf5File(File file, std::filesystem::path path) : file_(std::move(file)), path_(std::move(path)) {}
  [[noreturn]] void fail(std::string_view what) const;
  // The file descriptor of the (sec2) driver.
  int descriptor() const;

  File file_;
  std::filesystem::path path_;
};

}  // namespace tomolive::storage::hdf5
