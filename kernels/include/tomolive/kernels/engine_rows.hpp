// EngineRows: where an engine's frames lie on the detector, in rows (engine.hpp DetectorSlab, with the whole detector's
// defaults filled in), as the code needs it that follows the whole detector rather than the engine's frames: the axis
// tilt's pivot (axis_tilt_correction.hpp), the live 3D preview's layers (preview_volume.hpp), the oblique slice's rows
// (oblique_plane.hpp), and the rows whose pixels an engine counts (ProjectionStats, RefilterReport: its owned rows,
// so that the engines of a split detector count each pixel once). Shared by the CPU engine and the CUDA kernels.
// Units: detector rows (whole detector) or frame rows (the engine's frames, row 0 = detector row first_row), as named.
// Thread safety: pure data and pure functions.
#pragma once

#include <cstdint>

#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

struct ScanGeometry;

// Rows [begin, end).
struct RowRange {
  std::uint32_t begin = 0;
  std::uint32_t end = 0xFFFFFFFFu;  // the default range holds every row

  TOMOLIVE_HD bool contains(std::uint32_t row) const { return row >= begin && row < end; }
};

struct EngineRows {
  std::uint32_t detector_rows = 0;  // rows of the whole detector
  std::uint32_t first_row = 0;      // the detector row of the engine's frame row 0
  std::uint32_t rows = 0;           // the engine's frame rows (ScanGeometry::rows)
  RowRange owned;                   // the frame rows the engine owns (publishes)

  // An engine that sees the whole detector of `rows` rows and owns every row.
  static EngineRows whole(std::uint32_t rows) { return {rows, 0, rows, {0, rows}}; }

  // The owned rows in detector rows.
  TOMOLIVE_HD RowRange owned_detector_rows() const { return {first_row + owned.begin, first_row + owned.end}; }

  // The frame row that holds detector row `detector_row` (>= first_row), clamped to the engine's last row: a row
  // beyond the engine's frames (the halo's limit) reads its last row.
  TOMOLIVE_HD std::uint32_t frame_row(std::uint32_t detector_row) const {
    const std::uint32_t row = detector_row - first_row;
    return row < rows ? row : rows - 1;
  }
};

// The rows of an engine of `geometry` (ScanGeometry::slab; the whole detector of geometry.rows rows when the slab is
// whole). Precondition: check_scan passed.
EngineRows engine_rows(const ScanGeometry& geometry);

}  // namespace tomolive::kernels
