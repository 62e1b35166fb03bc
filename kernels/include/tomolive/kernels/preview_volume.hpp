// The live 3D preview: a downsampled copy of the whole reconstructed volume, kept by an engine beside its slices and
// updated as projections arrive (PROTOCOL.md 10.12). Shared by the CPU and CUDA engines, so that the two compute the
// same function. Units: pixels (detector pixels), radians; values 1/pixel like the slices. Thread safety: pure
// functions.
//
// Grid. With binning b = ceil(max(detector rows, detector cols) / side), the preview holds
//   layers = ceil(rows / b) x (n = ceil(cols / b)) x n voxels, z-major, then row-major,
// laid out like a volume box (engine.hpp VolumeBox): voxel (z, i, j) covers detector rows [z b, z b + b) and the b x b
// pixels of the axial slice at rows [i b, i b + b) and columns [j b, j b + b) (row 0 at +y, column 0 at -x). Its centre,
// in pixels from the axis, is x = j b + (b - 1) / 2 - (cols - 1) / 2, y = (cols - 1) / 2 - i b - (b - 1) / 2.
//
// Values. Each filtered projection is binned first: binned pixel (z, c) is the mean of the filtered values of the
// detector pixels in rows [z b, z b + b) and columns [c b, c b + b) that lie on the detector (edge blocks average
// fewer). A voxel adds, per projection, weight x the binned row z sampled by the edge rule (detector_sampling.hpp)
// at the binned column (x cos + y sin + axis - (b - 1) / 2) / b. So a voxel approximates the mean of the b^3
// reconstructed voxels it covers (a ramp-filtered projection is smooth enough at the preview's scale; the CPU engine's
// test bounds the difference), at b^3 less memory than the volume and b^2 less work per projection than one row of it.
//
// Slabs. The grid is always the whole detector's (detector rows: engine_rows.hpp EngineRows::detector_rows). An engine
// over a slab of the detector (engine.hpp DetectorSlab) fills the layers whose first detector row z b lies in its
// owned rows (preview_layers) and leaves every other layer zero, reading the detector rows of its layers from its own
// frames (EngineRows::frame_row: a row beyond its frames reads its last row, the halo's limit). So the previews of the
// engines of a split detector sum to the whole detector's: exactly when each slab's halo below its owned rows holds at
// least b - 1 rows (or reaches the detector's end), beside the rows that processing across rows reads for them.
#pragma once

#include <cstdint>
#include <string>

#include "tomolive/kernels/detector_sampling.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// Preview sizes an engine accepts: voxels along the preview's longest side.
inline constexpr std::uint32_t kMinPreviewSide = 16;
inline constexpr std::uint32_t kMaxPreviewSide = 512;

// What the preview should be. Disabled: no preview memory is used and add_projection does no preview work.
struct PreviewParams {
  bool enabled = false;
  std::uint32_t side = 64;  // voxels along the longest side, kMinPreviewSide..kMaxPreviewSide

  bool operator==(const PreviewParams&) const = default;
};

// The preview grid of a detector (see above); all zero for a disabled preview.
struct PreviewGrid {
  std::uint32_t binning = 1;                       // b, detector pixels per voxel side
  std::uint32_t layers = 0, rows = 0, cols = 0;    // z, y, x voxels (rows == cols)
  std::uint32_t detector_rows = 0, detector_cols = 0;

  std::uint64_t voxels() const { return std::uint64_t{layers} * rows * cols; }
  // Floats of one binned projection: layers x cols.
  std::uint64_t binned_values() const { return std::uint64_t{layers} * cols; }
};

// The grid of `side` voxels along the longest side for a rows x cols detector. Precondition: side, rows, cols >= 1.
PreviewGrid preview_grid(std::uint32_t side, std::uint32_t detector_rows, std::uint32_t detector_cols);

// The grid of `preview` (all zero when disabled).
PreviewGrid preview_grid(const PreviewParams& preview, std::uint32_t detector_rows, std::uint32_t detector_cols);

// Throws EngineError unless a disabled preview, or side in kMinPreviewSide..kMaxPreviewSide.
void check_preview(const PreviewParams& preview);

// Throws EngineError when `bytes` (what the engine needs for the preview of `grid`) exceed `budget_bytes`; the message
// names the grid and both sizes.
void check_preview_budget(const PreviewGrid& grid, std::uint64_t bytes, std::uint64_t budget_bytes);

// The bytes of a preview of `grid` with `binned_projections` binned projections of scratch, float32.
inline std::uint64_t preview_bytes(const PreviewGrid& grid, std::uint64_t binned_projections) {
  return (grid.voxels() + binned_projections * grid.binned_values()) * sizeof(float);
}

// The bytes an engine reserves in its memory plan for the preview of a detector: those of the largest grid
// (kMaxPreviewSide) with `binned_projections` of scratch, at most budget_bytes.
std::uint64_t preview_reserve_bytes(std::uint32_t detector_rows, std::uint32_t detector_cols,
                                    std::uint64_t binned_projections, std::uint64_t budget_bytes);

// x and y (pixels from the axis) of the centre of voxel column j and voxel row i.
TOMOLIVE_HD inline float preview_voxel_x(const PreviewGrid& g, std::uint32_t j) {
  return static_cast<float>(j * g.binning) + 0.5f * static_cast<float>(g.binning - 1) -
         0.5f * static_cast<float>(g.detector_cols - 1);
}
TOMOLIVE_HD inline float preview_voxel_y(const PreviewGrid& g, std::uint32_t i) {
  return 0.5f * static_cast<float>(g.detector_cols - 1) - static_cast<float>(i * g.binning) -
         0.5f * static_cast<float>(g.binning - 1);
}

// The binned column a point (x, y) projects onto at angle theta (cos_t, sin_t), with the axis at detector column
// axis_col.
TOMOLIVE_HD inline float preview_binned_column(const PreviewGrid& g, float x, float y, float cos_t, float sin_t,
                                               float axis_col) {
  const float u = x * cos_t + y * sin_t + axis_col;
  return (u - 0.5f * static_cast<float>(g.binning - 1)) / static_cast<float>(g.binning);
}

// The layers [begin, end) of `g` that an engine of `rows` fills (see Slabs above): every layer for an engine of the
// whole detector.
TOMOLIVE_HD inline RowRange preview_layers(const PreviewGrid& g, const EngineRows& rows) {
  const RowRange owned = rows.owned_detector_rows();
  const std::uint32_t end = (owned.end + g.binning - 1) / g.binning;
  RowRange layers{(owned.begin + g.binning - 1) / g.binning, end < g.layers ? end : g.layers};
  if (layers.begin > layers.end) layers.begin = layers.end;
  return layers;
}

// Binned pixel (z, c) of one filtered projection: the mean of read(row, col) over the detector pixels of its block.
// read(row, col) returns the filtered value of detector pixel (row, col) (row: a detector row).
template <class Read>
TOMOLIVE_HD inline float preview_binned_value(const PreviewGrid& g, std::uint32_t z, std::uint32_t c, Read read) {
  const std::uint32_t row0 = z * g.binning, col0 = c * g.binning;
  const std::uint32_t row1 = row0 + g.binning < g.detector_rows ? row0 + g.binning : g.detector_rows;
  const std::uint32_t col1 = col0 + g.binning < g.detector_cols ? col0 + g.binning : g.detector_cols;
  float sum = 0.f;
  for (std::uint32_t r = row0; r < row1; ++r) {
    for (std::uint32_t col = col0; col < col1; ++col) sum += read(r, col);
  }
  return sum / static_cast<float>((row1 - row0) * (col1 - col0));
}

// One projection's contribution to voxel (i, j) of a layer, not yet multiplied by the angular weight: its binned row
// (g.cols floats) sampled by the edge rule.
TOMOLIVE_HD inline float preview_voxel_sample(const PreviewGrid& g, const float* binned_row, std::uint32_t i,
                                              std::uint32_t j, float cos_t, float sin_t, float axis_col) {
  const float u = preview_binned_column(g, preview_voxel_x(g, j), preview_voxel_y(g, i), cos_t, sin_t, axis_col);
  return sample_row_linear(binned_row, g.cols, u);
}

}  // namespace tomolive::kernels
