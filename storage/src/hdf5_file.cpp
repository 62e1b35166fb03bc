#include "tomolive/storage/hdf5_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tomolive/storage/hdf5_error.hpp"

namespace tomolive::storage::hdf5 {
namespace {

Datatype utf8_string_type() {
  Datatype type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

Dataspace scalar_space() { return Dataspace(H5Screate(H5S_SCALAR)); }

}  // namespace

Filter bitshuffle_lz4_filter() { return Filter{kBitshuffleFilterId, {0, 2}}; }

Hdf5File Hdf5File::create(const std::filesystem::path& path) {
  silence_error_printing_on_this_thread();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  return Hdf5File(File(check_id(id, "creating the HDF5 file", DiskOperation::create_file, path)), path);
}

Hdf5File Hdf5File::open_read_only(const std::filesystem::path& path) {
  silence_error_printing_on_this_thread();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  return Hdf5File(File(check_id(id, "opening the HDF5 file", DiskOperation::open_file, path)), path);
}

void Hdf5File::fail(std::string_view what) const { throw failure(what, DiskOperation::write_file, path_); }

Group Hdf5File::create_group(hid_t parent, const char* name, std::optional<std::string_view> nx_class) {
  Group group(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!group) fail(std::string("creating group ") + name);
  if (nx_class) write_attribute(group.get(), "NX_class", *nx_class);
  return group;
}

void Hdf5File::write_attribute(hid_t object, const char* name, std::string_view value) {
  const Datatype type = utf8_string_type();
  const Dataspace space = scalar_space();
  Attribute attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  const std::string text(value);
  const char* data = text.c_str();
  if (!attribute || H5Awrite(attribute.get(), type.get(), &data) < 0) fail(std::string("writing attribute ") + name);
}

void Hdf5File::write_attribute(hid_t object, const char* name, double value) {
  const Dataspace space = scalar_space();
  Attribute attribute(H5Acreate2(object, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute || H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &value) < 0) {
    fail(std::string("writing attribute ") + name);
  }
}

void Hdf5File::write_attribute(hid_t object, const char* name, std::int64_t value) {
  const Dataspace space = scalar_space();
  Attribute attribute(H5Acreate2(object, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute || H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value) < 0) {
    fail(std::string("writing attribute ") + name);
  }
}

Dataset Hdf5File::write_dataset(hid_t parent, const char* name, std::string_view value) {
  const Datatype type = utf8_string_type();
  const Dataspace space = scalar_space();
  Dataset dataset(H5Dcreate2(parent, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  const std::string text(value);
  const char* data = text.c_str();
  if (!dataset || H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &data) < 0) {
    fail(std::string("writing dataset ") + name);
  }
  return dataset;
}

Dataset Hdf5File::write_dataset(hid_t parent, const char* name, double value) {
  const Dataspace space = scalar_space();
  Dataset dataset(H5Dcreate2(parent, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset || H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
    fail(std::string("writing dataset ") + name);
  }
  return dataset;
}

Dataset Hdf5File::write_dataset(hid_t parent, const char* name, std::int64_t value) {
  const Dataspace space = scalar_space();
  Dataset dataset(H5Dcreate2(parent, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset || H5Dwrite(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
    fail(std::string("writing dataset ") + name);
  }
  return dataset;
}

Dataset Hdf5File::write_dataset(hid_t parent, const char* name, std::span<const double> values) {
  const hsize_t count = values.size();
  const Dataspace space(H5Screate_simple(1, &count, nullptr));
  Dataset dataset(H5Dcreate2(parent, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset || H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    fail(std::string("writing dataset ") + name);
  }
  return dataset;
}

Dataset Hdf5File::create_chunked_dataset(hid_t parent, const char* name, hid_t type, const ChunkedLayout& layout) {
  const auto rank = static_cast<int>(layout.dims.size());
  const Dataspace space(H5Screate_simple(rank, layout.dims.data(), layout.max_dims.data()));
  if (!space) fail(std::string("creating the dataspace of ") + name);
  const PropertyList creation(H5Pcreate(H5P_DATASET_CREATE));
  if (H5Pset_chunk(creation.get(), rank, layout.chunk.data()) < 0) fail(std::string("chunking ") + name);
  if (layout.filter) {
    if (H5Zfilter_avail(layout.filter->id) <= 0) {
      throw StorageError("HDF5 filter " + std::to_string(layout.filter->id) + " for dataset " + name +
                             " is not available (install its plugin; bitshuffle: Debian's hdf5-filter-plugin)",
                         0);
    }
    if (H5Pset_filter(creation.get(), layout.filter->id, H5Z_FLAG_MANDATORY, layout.filter->cd_values.size(),
                      layout.filter->cd_values.data()) < 0) {
      fail(std::string("adding filter ") + std::to_string(layout.filter->id) + " to " + name);
    }
  }
  Dataset dataset(H5Dcreate2(parent, name, type, space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT));
  if (!dataset) fail(std::string("creating dataset ") + name);
  return dataset;
}

void Hdf5File::link(hid_t parent, const char* link_name, const char* target) {
  if (H5Lcreate_hard(file_.get(), target, parent, link_name, H5P_DEFAULT, H5P_DEFAULT) < 0) {
    fail(std::string("linking ") + link_name + " to " + target);
  }
}

void Hdf5File::flush() {
  if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) fail("flushing");
  // H5Fflush hands the bytes to the kernel; fsync puts them on the disk.
  if (::fsync(descriptor()) != 0) throw disk_error(errno, DiskOperation::write_file, path_);
}

void Hdf5File::start_writeback() {
  static_cast<void>(::sync_file_range(descriptor(), 0, 0, SYNC_FILE_RANGE_WRITE));
}

int Hdf5File::descriptor() const {
  // The sec2 driver's handle is an int*.
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file_.get(), H5P_DEFAULT, &handle) < 0 || handle == nullptr) fail("getting the file handle");
  return *static_cast<int*>(handle);
}

void Hdf5File::close() {
  if (H5Fclose(file_.release()) < 0) fail("closing");
}

}  // namespace tomolive::storage::hdf5
