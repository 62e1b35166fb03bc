#include "cpu_preview_volume.hpp"

#include <algorithm>

namespace tomolive::kernels::detail {

void CpuPreviewVolume::configure(const PreviewGrid& grid) {
  voxels_ = {};
  binned_ = {};
  grid_ = PreviewGrid{};
  ++version_;
  if (grid.layers == 0) return;
  voxels_.assign(grid.voxels(), 0.f);
  binned_.assign(grid.binned_values(), 0.f);
  grid_ = grid;
}

void CpuPreviewVolume::add(const float* filtered, float cos_t, float sin_t, float axis_col, float weight) {
  if (!enabled()) return;
  const PreviewGrid& g = grid_;
  const auto read = [&](std::uint32_t row, std::uint32_t col) {
    return filtered[std::size_t{row} * g.detector_cols + col];
  };
  pool_.run(g.layers, [&](unsigned, std::size_t begin, std::size_t end) {
    for (std::size_t z = begin; z < end; ++z) {
      for (std::uint32_t c = 0; c < g.cols; ++c) {
        binned_[z * g.cols + c] = preview_binned_value(g, static_cast<std::uint32_t>(z), c, read);
      }
    }
  });
  pool_.run(std::size_t{g.layers} * g.rows, [&](unsigned, std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
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
