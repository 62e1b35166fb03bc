// OME-Zarr (OME-NGFF 0.4, Zarr v2) volume: a folder base_name.ome.zarr holding
//   .zgroup                       {"zarr_format": 2}
//   .zattrs                       "multiscales": one multiscale of axes z, y, x (space; micrometer when the voxel
//                                 size is known) and one dataset per level with its scale transformation (level L:
//                                 2^L voxels per side), type "mean"; "tomolive": the reconstruction parameters and the
//                                 value encoding (dtype, scale_factor, add_offset)
//   <L>/.zarray                   shape, chunks, dtype (<f4, <f2 or <u2), compressor (null or zstd), fill_value 0,
//                                 order C, filters null, dimension_separator "/"
//   <L>/<iz>/<iy>/<ix>            one chunk: raw little-endian C-order elements, or their zstd frame; edge chunks are
//                                 full-size, padded with 0 (Zarr v2)
// Level 0 is the volume; level L + 1 is the 2 x 2 x 2 mean of level L (sides halved, rounded down), made while the
// layers stream through; levels are added while every side of the next one is at least 8 voxels (at most 6 levels).
// Chunks are (32, 512, 512) voxels at most; each level buffers one chunk-row of layers.
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "tomolive/storage/disk_error.hpp"
#include "volume_values.hpp"
#include "volume_writer_formats.hpp"

namespace tomolive::storage::detail {
namespace {

constexpr std::uint32_t kChunkLayers = 32, kChunkSide = 512;
constexpr std::size_t kMaxLevels = 6;
constexpr std::uint32_t kSmallestSide = 8;
constexpr int kZstdLevel = 3;

using Shape = std::array<std::uint32_t, 3>;

std::string zarr_dtype(VolumeDtype dtype) {
  switch (dtype) {
    case VolumeDtype::float32: return "<f4";
    case VolumeDtype::float16: return "<f2";
    case VolumeDtype::uint16: return "<u2";
  }
  return "<f4";
}

class ZarrVolumeWriter final : public VolumeWriter {
 public:
  ZarrVolumeWriter(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                   std::shared_ptr<WriteFaults> faults)
      : spec_(spec), output_(std::move(output)), faults_(std::move(faults)) {
    Shape shape = spec_.shape;
    for (;;) {
      Level level;
      level.shape = shape;
      level.chunk = {std::min(shape[0], kChunkLayers), std::min(shape[1], kChunkSide), std::min(shape[2], kChunkSide)};
      level.block.assign(std::size_t{level.chunk[0]} * shape[1] * shape[2], 0.f);
      levels_.push_back(std::move(level));
      const Shape next = {shape[0] / 2, shape[1] / 2, shape[2] / 2};
      if (levels_.size() == kMaxLevels || *std::min_element(next.begin(), next.end()) < kSmallestSide) break;
      shape = next;
    }
    const std::filesystem::path& root = output_->temporary_path();
    std::error_code error;
    if (!std::filesystem::create_directory(root, error)) {
      throw disk_error(error ? error.value() : EEXIST, DiskOperation::create_file, root);
    }
    write_json(root / ".zgroup", {{"zarr_format", 2}});
    write_json(root / ".zattrs", group_attributes());
    for (std::size_t l = 0; l < levels_.size(); ++l) {
      const std::filesystem::path directory = root / std::to_string(l);
      std::filesystem::create_directory(directory, error);
      if (error) throw disk_error(error.value(), DiskOperation::create_file, directory);
      write_json(directory / ".zarray", array_metadata(levels_[l]));
    }
  }

  void write_layers(std::span<const float> values, std::uint32_t layers) override {
    const std::size_t layer = std::size_t{spec_.shape[1]} * spec_.shape[2];
    if (values.size() != layer * layers || levels_[0].pushed + layers > spec_.shape[0]) {
      throw StorageError("volume " + output_->final_path().string() + ": " + std::to_string(layers) +
                             " layers after " + std::to_string(levels_[0].pushed) + " do not fit the shape",
                         EINVAL);
    }
    for (std::uint32_t k = 0; k < layers; ++k) push_layer(0, values.subspan(k * layer, layer));
  }

  void finish() override {
    for (std::size_t l = 0; l < levels_.size(); ++l) {
      if (levels_[l].pushed != levels_[l].shape[0]) {
        throw StorageError("volume " + output_->final_path().string() + ": level " + std::to_string(l) + " has " +
                               std::to_string(levels_[l].pushed) + " of " + std::to_string(levels_[l].shape[0]) +
                               " layers",
                           EINVAL);
      }
    }
    output_->commit();
  }

  std::uint64_t bytes_written() const override { return bytes_; }
  std::uint64_t clamped_voxels() const override { return clamped_; }
  const std::filesystem::path& final_path() const override { return output_->final_path(); }
  const std::filesystem::path& temporary_path() const override { return output_->temporary_path(); }

 private:
  struct Level {
    Shape shape{};
    Shape chunk{};
    std::vector<float> block;   // chunk[0] layers of shape[1] x shape[2]: the chunk row being filled
    std::uint32_t pushed = 0;   // layers received
    std::vector<float> pending;  // a layer waiting for its pair to make the next level's layer
  };

  nlohmann::json group_attributes() const {
    const bool known = spec_.voxel_size_um > 0.0;
    nlohmann::json axes = nlohmann::json::array();
    for (const char* name : {"z", "y", "x"}) {
      nlohmann::json axis = {{"name", name}, {"type", "space"}};
      if (known) axis["unit"] = "micrometer";
      axes.push_back(axis);
    }
    nlohmann::json datasets = nlohmann::json::array();
    for (std::size_t l = 0; l < levels_.size(); ++l) {
      const double side = (known ? spec_.voxel_size_um : 1.0) * static_cast<double>(1u << l);
      datasets.push_back({{"path", std::to_string(l)},
                          {"coordinateTransformations", {{{"type", "scale"}, {"scale", {side, side, side}}}}}});
    }
    nlohmann::json multiscale = {{"version", "0.4"},
                                 {"name", spec_.base_name},
                                 {"axes", axes},
                                 {"datasets", datasets},
                                 {"type", "mean"},
                                 {"metadata", {{"method", "2 x 2 x 2 mean of the level below"}}}};
    nlohmann::json tomolive = spec_.parameters;
    tomolive["units"] = "1/pixel";
    tomolive["dtype"] = to_string(spec_.dtype);
    tomolive["scale_factor"] = spec_.scale_factor;
    tomolive["add_offset"] = spec_.add_offset;
    return {{"multiscales", {multiscale}}, {"tomolive", tomolive}};
  }

  nlohmann::json array_metadata(const Level& level) const {
    nlohmann::json compressor = nullptr;
    if (spec_.compression == VolumeCompression::zstd) compressor = {{"id", "zstd"}, {"level", kZstdLevel}};
    return {{"zarr_format", 2},
            {"shape", level.shape},
            {"chunks", level.chunk},
            {"dtype", zarr_dtype(spec_.dtype)},
            {"compressor", compressor},
            {"fill_value", 0},
            {"order", "C"},
            {"filters", nullptr},
            {"dimension_separator", "/"}};
  }

  void write_json(const std::filesystem::path& path, const nlohmann::json& value) {
    const std::string text = value.dump(2);
    write_bytes(path, {reinterpret_cast<const unsigned char*>(text.data()), text.size()});
  }

  void write_bytes(const std::filesystem::path& path, std::span<const unsigned char> bytes) {
    write_new_file(path, bytes, faults_.get());
    bytes_ += bytes.size();
  }

  // Adds one layer to level l; completes a chunk row when the block is full or the level's last layer arrived, and
  // passes every second layer, averaged with its pair, to the next level.
  void push_layer(std::size_t l, std::span<const float> values) {
    Level& level = levels_[l];
    if (level.pushed >= level.shape[0]) return;  // beyond the rounded-down side of a smaller level
    const std::size_t layer = std::size_t{level.shape[1]} * level.shape[2];
    std::copy(values.begin(), values.end(), level.block.begin() + (level.pushed % level.chunk[0]) * layer);
    ++level.pushed;
    if (level.pushed % level.chunk[0] == 0 || level.pushed == level.shape[0]) write_chunk_row(l);
    if (l + 1 == levels_.size()) return;
    if (level.pending.empty()) {
      level.pending.assign(values.begin(), values.end());
      return;
    }
    const Shape& next = levels_[l + 1].shape;
    std::vector<float> down(std::size_t{next[1]} * next[2]);
    for (std::uint32_t i = 0; i < next[1]; ++i) {
      for (std::uint32_t j = 0; j < next[2]; ++j) {
        float sum = 0.f;
        for (const std::span<const float> source : {std::span<const float>(level.pending), values}) {
          for (std::uint32_t di = 0; di < 2; ++di) {
            const float* row = source.data() + std::size_t{2 * i + di} * level.shape[2] + 2 * j;
            sum += row[0] + row[1];
          }
        }
        down[std::size_t{i} * next[2] + j] = 0.125f * sum;
      }
    }
    level.pending.clear();
    push_layer(l + 1, down);
  }

  // Writes the chunks of the block's chunk row (full-size chunks, padded with 0).
  void write_chunk_row(std::size_t l) {
    Level& level = levels_[l];
    const std::uint32_t iz = (level.pushed - 1) / level.chunk[0];
    const std::uint32_t layers = level.pushed - iz * level.chunk[0];
    const Shape& c = level.chunk;
    std::vector<float> chunk(std::size_t{c[0]} * c[1] * c[2]);
    for (std::uint32_t iy = 0; iy * c[1] < level.shape[1]; ++iy) {
      for (std::uint32_t ix = 0; ix * c[2] < level.shape[2]; ++ix) {
        std::fill(chunk.begin(), chunk.end(), 0.f);
        const std::uint32_t rows = std::min(c[1], level.shape[1] - iy * c[1]);
        const std::uint32_t cols = std::min(c[2], level.shape[2] - ix * c[2]);
        for (std::uint32_t z = 0; z < layers; ++z) {
          for (std::uint32_t y = 0; y < rows; ++y) {
            const float* source = level.block.data() +
                                  (std::size_t{z} * level.shape[1] + iy * c[1] + y) * level.shape[2] + ix * c[2];
            std::copy_n(source, cols, chunk.begin() + (std::size_t{z} * c[1] + y) * c[2]);
          }
        }
        encode_values(chunk, spec_, encoded_, clamped_);
        const std::filesystem::path directory = output_->temporary_path() / std::to_string(l) /
                                                std::to_string(iz) / std::to_string(iy);
        std::error_code error;
        std::filesystem::create_directories(directory, error);
        if (error) throw disk_error(error.value(), DiskOperation::create_file, directory);
        write_bytes(directory / std::to_string(ix), compressed(encoded_));
      }
    }
  }

  std::span<const unsigned char> compressed(const std::vector<unsigned char>& raw) {
    if (spec_.compression == VolumeCompression::none) return raw;
    compressed_.resize(ZSTD_compressBound(raw.size()));
    const std::size_t size = ZSTD_compress(compressed_.data(), compressed_.size(), raw.data(), raw.size(), kZstdLevel);
    if (ZSTD_isError(size)) {
      throw StorageError(std::string("zstd compression of a volume chunk failed: ") + ZSTD_getErrorName(size), 0);
    }
    return {compressed_.data(), size};
  }

  VolumeFileSpec spec_;
  std::unique_ptr<TemporaryOutput> output_;
  std::shared_ptr<WriteFaults> faults_;
  std::vector<Level> levels_;
  std::vector<unsigned char> encoded_, compressed_;
  std::uint64_t bytes_ = 0;
  std::uint64_t clamped_ = 0;
};

}  // namespace

std::unique_ptr<VolumeWriter> make_zarr_volume_writer(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                                                      std::shared_ptr<WriteFaults> faults) {
  return std::make_unique<ZarrVolumeWriter>(spec, std::move(output), std::move(faults));
}

}  // namespace tomolive::storage::detail
