// HDF5 volume: one file with one chunked dataset /volume, shape (z, y, x), chunks of one layer (at most 1024 x 1024
// pixels), element type float32, float16 (IEEE binary16, a 16-bit float type h5py reads as numpy float16) or uint16.
// Chunks go to the file whole with H5Dwrite_chunk (no filters, so the stored bytes are the elements): HDF5's type
// conversion, chunk cache and hyperslab gather are bypassed. A float32 layer that is one chunk is handed over in place;
// other chunks are gathered and converted into one chunk buffer allocated with the writer (the parts of edge chunks
// outside the volume zero), so the writer makes at most one copy of the data before the kernel's.
// Attributes of /volume: units, the dtype's scale_factor and add_offset (uint16; 1 and 0 otherwise), clamped_voxels
// (written at finish), voxel_size_um when known, and every entry of spec.parameters.
#include <hdf5.h>

#include <algorithm>
#include <array>
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
    layout.chunk.assign(chunk_.begin(), chunk_.end());
    dataset_ = file_.create_chunked_dataset(file_.id(), "volume", element_type(), layout);
    if (spec_.dtype != VolumeDtype::float32 || chunk_[1] < spec_.shape[1] || chunk_[2] < spec_.shape[2]) {
      chunk_buffer_.resize(chunk_bytes());
    }
    file_.write_attribute(dataset_.get(), "units", std::string_view("1/pixel"));
    file_.write_attribute(dataset_.get(), "dtype", to_string(spec_.dtype));
    file_.write_attribute(dataset_.get(), "scale_factor", spec_.scale_factor);
    file_.write_attribute(dataset_.get(), "add_offset", spec_.add_offset);
    if (spec_.voxel_size_um > 0.0) file_.write_attribute(dataset_.get(), "voxel_size_um", spec_.voxel_size_um);
    for (const auto& [key, value] : spec_.parameters.items()) write_parameter(key, value);
  }

  void write_layers(std::span<const float> values, std::uint32_t layers) override {
    const std::size_t layer = std::size_t{spec_.shape[1]} * spec_.shape[2];
    const auto& path = output_->temporary_path();
    if (values.size() != layer * layers || layers_written_ + layers > spec_.shape[0]) {
      throw StorageError("volume " + output_->final_path().string() + ": " + std::to_string(layers) +
                             " layers after " + std::to_string(layers_written_) + " do not fit the shape",
                         EINVAL);
    }
    check_write(faults_.get(), values.size() * element_bytes(spec_.dtype), path);
    for (std::uint32_t z = 0; z < layers; ++z) {
      const auto layer_values = values.subspan(z * layer, layer);
      for (hsize_t y0 = 0; y0 < spec_.shape[1]; y0 += chunk_[1]) {
        for (hsize_t x0 = 0; x0 < spec_.shape[2]; x0 += chunk_[2]) {
          const hsize_t offset[3] = {layers_written_ + z, y0, x0};
          hdf5::check(H5Dwrite_chunk(dataset_.get(), H5P_DEFAULT, 0, offset, chunk_bytes(),
                                     chunk_data(layer_values, y0, x0)),
                      "writing layer " + std::to_string(offset[0]), DiskOperation::write_file, path);
          bytes_ += chunk_bytes();
        }
      }
    }
    layers_written_ += layers;
    file_.start_writeback();
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

  std::size_t chunk_bytes() const { return chunk_[1] * chunk_[2] * element_bytes(spec_.dtype); }

  // The stored bytes of the chunk of `layer` whose first voxel is (y0, x0): the layer itself when it is one float32
  // chunk, else its rows gathered and converted into chunk_buffer_.
  const void* chunk_data(std::span<const float> layer, hsize_t y0, hsize_t x0) {
    if (chunk_buffer_.empty()) return layer.data();
    const hsize_t rows = std::min<hsize_t>(chunk_[1], spec_.shape[1] - y0);
    const hsize_t columns = std::min<hsize_t>(chunk_[2], spec_.shape[2] - x0);
    const std::size_t element = element_bytes(spec_.dtype);
    if (rows < chunk_[1] || columns < chunk_[2]) std::fill(chunk_buffer_.begin(), chunk_buffer_.end(), 0);
    for (hsize_t row = 0; row < rows; ++row) {
      encode_values(layer.subspan((y0 + row) * spec_.shape[2] + x0, columns), spec_,
                    std::span(chunk_buffer_).subspan(row * chunk_[2] * element, columns * element), clamped_);
    }
    return chunk_buffer_.data();
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
  // Voxels of one chunk: z, y, x.
  std::array<hsize_t, 3> chunk_{1, std::min<hsize_t>(spec_.shape[1], 1024), std::min<hsize_t>(spec_.shape[2], 1024)};
  hdf5::Dataset dataset_;
  std::vector<unsigned char> chunk_buffer_;  // empty when every chunk is a float32 layer, written in place
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
