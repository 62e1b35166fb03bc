// HDF5 volume: one file with one chunked dataset /volume, shape (z, y, x), chunks of one layer (at most 1024 x 1024
// pixels), element type float32, float16 (IEEE binary16, a 16-bit float type h5py reads as numpy float16) or uint16.
// Attributes of /volume: units, the dtype's scale_factor and add_offset (uint16; 1 and 0 otherwise), clamped_voxels
// (written at finish), voxel_size_um when known, and every entry of spec.parameters.
#include <hdf5.h>

#include <cerrno>
#include <string>
#include <vector>

#include "tomolive/storage/hdf5_error.hpp"
#include "tomolive/storage/hdf5_file.hpp"
#include "volume_values.hpp"
#include "volume_writer_formats.hpp"

namespace tomolive::storage::detail {
namespace {

using hdf5::Dataspace;
using hdf5::Datatype;

// IEEE binary16, little-endian: sign bit 15, exponent bits 10..14 (bias 15), mantissa bits 0..9.
Datatype half_float_type() {
  Datatype type(H5Tcopy(H5T_IEEE_F32LE));
  H5Tset_fields(type.get(), 15, 10, 5, 0, 10);
  H5Tset_size(type.get(), 2);
  H5Tset_ebias(type.get(), 15);
  H5Tset_precision(type.get(), 16);
  return type;
}

class Hdf5VolumeWriter final : public VolumeWriter {
 public:
  Hdf5VolumeWriter(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                   std::shared_ptr<WriteFaults> faults)
      : spec_(spec), output_(std::move(output)), faults_(std::move(faults)),
        file_(hdf5::Hdf5File::create(output_->temporary_path())) {
    if (spec_.dtype == VolumeDtype::float16) element_type_ = half_float_type();
    hdf5::ChunkedLayout layout;
    layout.dims = {spec_.shape[0], spec_.shape[1], spec_.shape[2]};
    layout.max_dims = layout.dims;
    layout.chunk = {1, std::min<hsize_t>(spec_.shape[1], 1024), std::min<hsize_t>(spec_.shape[2], 1024)};
    dataset_ = file_.create_chunked_dataset(file_.id(), "volume", element_type(), layout);
    file_.write_attribute(dataset_.get(), "units", std::string_view("1/pixel"));
    file_.write_attribute(dataset_.get(), "dtype", to_string(spec_.dtype));
    file_.write_attribute(dataset_.get(), "scale_factor", spec_.scale_factor);
    file_.write_attribute(dataset_.get(), "add_offset", spec_.add_offset);
    if (spec_.voxel_size_um > 0.0) file_.write_attribute(dataset_.get(), "voxel_size_um", spec_.voxel_size_um);
    for (const auto& [key, value] : spec_.parameters.items()) write_parameter(key, value);
  }

  void write_layers(std::span<const float> values, std::uint32_t layers) override {
    const std::size_t layer = std::size_t{spec_.shape[1]} * spec_.shape[2];
    if (values.size() != layer * layers || layers_written_ + layers > spec_.shape[0]) {
      throw StorageError("volume " + output_->final_path().string() + ": " + std::to_string(layers) +
                             " layers after " + std::to_string(layers_written_) + " do not fit the shape",
                         EINVAL);
    }
    encode_values(values, spec_, encoded_, clamped_);
    check_write(faults_.get(), encoded_.size(), output_->temporary_path());
    const hsize_t start[3] = {layers_written_, 0, 0};
    const hsize_t count[3] = {layers, spec_.shape[1], spec_.shape[2]};
    const Dataspace file_space(H5Dget_space(dataset_.get()));
    const Dataspace memory_space(H5Screate_simple(3, count, nullptr));
    const auto& path = output_->temporary_path();
    hdf5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
                "selecting layers", DiskOperation::write_file, path);
    hdf5::check(H5Dwrite(dataset_.get(), element_type(), memory_space.get(), file_space.get(), H5P_DEFAULT,
                         encoded_.data()),
                "writing layers", DiskOperation::write_file, path);
    layers_written_ += layers;
    bytes_ += encoded_.size();
  }

  void finish() override {
    file_.write_attribute(dataset_.get(), "clamped_voxels", static_cast<std::int64_t>(clamped_));
    dataset_.reset();
    file_.close();
    output_->commit();
  }

  std::uint64_t bytes_written() const override { return bytes_; }
  std::uint64_t clamped_voxels() const override { return clamped_; }
  const std::filesystem::path& final_path() const override { return output_->final_path(); }
  const std::filesystem::path& temporary_path() const override { return output_->temporary_path(); }

 private:
  hid_t element_type() const {
    switch (spec_.dtype) {
      case VolumeDtype::float32: return H5T_IEEE_F32LE;
      case VolumeDtype::float16: return element_type_.get();
      case VolumeDtype::uint16: return H5T_STD_U16LE;
    }
    return H5T_IEEE_F32LE;
  }

  // Numbers as float64 (integers as int64), strings and booleans as they are ("true" / "false"), anything else as its
  // JSON text.
  void write_parameter(const std::string& key, const nlohmann::json& value) {
    if (value.is_number_integer()) {
      file_.write_attribute(dataset_.get(), key.c_str(), value.get<std::int64_t>());
    } else if (value.is_number()) {
      file_.write_attribute(dataset_.get(), key.c_str(), value.get<double>());
    } else if (value.is_string()) {
      file_.write_attribute(dataset_.get(), key.c_str(), std::string_view(value.get_ref<const std::string&>()));
    } else {
      file_.write_attribute(dataset_.get(), key.c_str(), std::string_view(value.dump()));
    }
  }

  VolumeFileSpec spec_;
  std::unique_ptr<TemporaryOutput> output_;  // removes the temporary file unless committed (after file_ is closed)
  std::shared_ptr<WriteFaults> faults_;
  hdf5::Hdf5File file_;
  Datatype element_type_;
  hdf5::Dataset dataset_;
  std::vector<unsigned char> encoded_;
  std::uint32_t layers_written_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t clamped_ = 0;
};

}  // namespace

std::unique_ptr<VolumeWriter> make_hdf5_volume_writer(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                                                      std::shared_ptr<WriteFaults> faults) {
  return std::make_unique<Hdf5VolumeWriter>(spec, std::move(output), std::move(faults));
}

}  // namespace tomolive::storage::detail
