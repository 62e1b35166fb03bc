#include "cpu_preview_volume.hpp"

#include <algorithm>

namespace tomolive::kernels::detail {

void CpuPreviewVolume::configure(const PreviewGrid& grid, const EngineRows& rows) {
  voxels_ = {};
  binned_ = {};
  grid_ = PreviewGrid{};
  layers_ = {0, 0};
  ++version_;
  if (grid.layers == 0) return;
  voxels_.assign(grid.voxels(), 0.f);
  binned_.assign(grid.binned_values(), 0.f);
  grid_ = grid;
  rows_ = rows;
  layers_ = preview_layers(grid, rows);
}

void CpuPreviewVolume::add(const float* filtered, float cos_t, float sin_t, float axis_col, float weight) {
  if (!enabled()) return;
  const PreviewGrid& g = grid_;
  const auto read = [&](std::uint32_t row, std::uint32_t col) {
    return filtered[std::size_t{rows_.frame_row(row)} * g.detector_cols + col];
  };
  const std::uint32_t layers = layers_.end - layers_.begin;
  pool_.run(layers, [&](unsigned, std::size_t begin, std::size_t end) {
    for (std::size_t z = layers_.begin + begin; z < layers_.begin + end; ++z) {
      for (std::uint32_t c = 0; c < g.cols; ++c) {
        binned_[z * g.cols + c] = preview_binned_value(g, static_cast<std::uint32_t>(z), c, read);
      }
    }
  });
  // k counts voxel rows (z, i) = (k / rows, k % rows) of the engine's layers.
  const std::size_t first_voxel_row = std::size_t{layers_.begin} * g.rows;
  pool_.run(std::size_t{layers} * g.rows, [&](unsigned, std::size_t begin, std::size_t end) {
    for (std::size_t k = first_voxel_row + begin; k < first_voxel_row + end; ++k) {
      const std::size_t z = k / g.rows;
      const auto i = static_cast<std::uint32_t>(k % g.rows);
      const float* binned_row = binned_.data() + z * g.cols;
      float* out = voxels_.data() + k * g.cols;
      for (std::uint32_t j = 0; j < g.cols; ++j) {
        out[j] += weight * preview_voxel_sample(g, binned_row, i, j, cos_t, sin_t, axis_col);
      }
    }
  });
  ++version_;
}

void CpuPreviewVolume::clear() {
  std::fill(voxels_.begin(), voxels_.end(), 0.f);
  ++version_;
}

}  // namespace tomolive::kernels::detail
