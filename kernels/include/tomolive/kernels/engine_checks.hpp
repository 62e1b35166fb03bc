// Argument checks shared by every Engine implementation, so that all engines refuse the same calls with the same
// messages (the message names the value and the allowed range). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

// "xy", "xz" or "yz".
const char* slice_name(Orthoslice slice);

// A float for a message, e.g. "1.5", "nan".
std::string format_number(float value);

// Throws EngineError unless the geometry has rows, cols and slots, a positive finite angular weight, a slab that
// passes check_detector_slab, and the parameters pass check_center, check_axis_tilt, check_slices, check_processing,
// check_oblique and check_preview: what every begin_scan checks first.
void check_scan(const ScanGeometry& geometry, const ReconParams& params);

// Throws EngineError unless `slab` is whole (detector_rows 0) or lies on its detector with `rows` rows
// (first_row + rows <= detector_rows) and owns a non-empty range of them (owned_begin < owned_end <= rows).
void check_detector_slab(const DetectorSlab& slab, std::uint32_t rows);

// Throws EngineError unless the center offset (pixels) is finite.
void check_center(float center_offset_px);

// Throws EngineError unless the tilt (degrees) is finite and |tilt_deg| <= kMaxAxisTiltDeg.
void check_axis_tilt(float tilt_deg);

// Throws EngineError unless xy_row < rows and |xz_y_px|, |yz_x_px| <= cols (pixels).
void check_slices(const SlicePositions& positions, std::uint32_t rows, std::uint32_t cols);

// Throws EngineError unless slot < slots; the message starts with "method: " when method is not null.
void check_slot(std::uint32_t slot, std::uint32_t slots, const char* method = nullptr);

// What copy_projection checks once a scan is active: the slot is in range and holds a projection, and `out` holds
// rows * cols floats.
// `method` ("copy_projection" or "copy_corrected_projection") starts every message.
void check_projection_copy(const char* method, std::uint32_t slot, bool occupied, std::size_t out_size,
                           const ScanGeometry& geometry);

// What sweep_center checks once a scan is active (engine.hpp): xy_row < rows; 1..kMaxSweepCandidates finite
// candidates; a region of 1..kMaxSweepSide pixels on a side inside the cols x cols axial slice; `out` holds
// candidates * region.rows * region.cols floats.
void check_sweep(std::uint32_t xy_row, std::span<const float> center_offsets_px, const SliceRegion& region,
                 std::size_t out_size, const ScanGeometry& geometry);

// What sweep_processing checks once a scan is active (engine.hpp): the row, region and `out` as check_sweep, with
// 1..kMaxProcessingSweepCandidates candidates, each passing check_processing (the message names the candidate).
void check_processing_sweep(std::uint32_t xy_row, std::span<const ProcessingParams> candidates,
                            const SliceRegion& region, std::size_t out_size, const ScanGeometry& geometry);

// What copy_oblique_slice checks once a scan is active: the oblique slice is enabled and `out` holds plane.rows *
// plane.cols floats.
void check_oblique_copy(const ObliqueSlice& oblique, const ObliquePlane& plane, std::size_t out_size);

// What copy_preview checks once a scan is active: the preview is enabled (grid not empty) and `out` holds
// grid.voxels() floats.
void check_preview_copy(const PreviewGrid& grid, std::size_t out_size);

// What reconstruct_volume checks once a scan is active: a non-empty box inside the cols x cols axial slice and the
// detector rows, and 1 <= slab_rows <= max_slab_rows.
void check_volume(const VolumeBox& box, std::uint32_t slab_rows, std::uint32_t max_slab_rows,
                  const ScanGeometry& geometry);

}  // namespace tomolive::kernels
