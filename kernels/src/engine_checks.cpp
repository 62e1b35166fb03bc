#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/processing.hpp"

#include <cmath>
#include <cstdio>

namespace tomolive::kernels {

const char* slice_name(Orthoslice slice) {
  switch (slice) {
    case Orthoslice::xy: return "xy";
    case Orthoslice::xz: return "xz";
    case Orthoslice::yz: return "yz";
  }
  return "?";
}

std::string format_number(float value) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(value));
  return text;
}

void check_scan(const ScanGeometry& g, const ReconParams& params) {
  if (g.rows == 0 || g.cols == 0 || g.slots == 0) {
    throw EngineError("scan geometry " + std::to_string(g.rows) + " rows x " + std::to_string(g.cols) + " cols x " +
                      std::to_string(g.slots) + " slots: all three must be > 0");
  }
  if (!(std::isfinite(g.angle_weight_rad) && g.angle_weight_rad > 0.f)) {
    throw EngineError("angle_weight_rad " + format_number(g.angle_weight_rad) +
                      " must be a positive number (pi / slots for an even spread over 180 or 360 deg)");
  }
  check_detector_slab(g.slab, g.rows);
  check_center(params.center_offset_px);
  check_axis_tilt(params.axis_tilt_deg);
  check_slices(params.slices, g.rows, g.cols);
  check_half_acquisition(g.half_acquisition, g.cols);
  check_processing(params.processing);
  check_oblique(params.oblique);
  check_preview(params.preview);
}

void check_detector_slab(const DetectorSlab& slab, std::uint32_t rows) {
  if (slab.whole()) return;
  const std::string where = "detector slab (first_row " + std::to_string(slab.first_row) + ", " +
                            std::to_string(rows) + " rows, owned rows " + std::to_string(slab.owned_begin) + ".." +
                            std::to_string(slab.owned_end) + ")";
  if (std::uint64_t{slab.first_row} + rows > slab.detector_rows) {
    throw EngineError(where + " leaves the detector's " + std::to_string(slab.detector_rows) +
                      " rows: first_row + rows must be <= detector_rows");
  }
  if (!(slab.owned_begin < slab.owned_end && slab.owned_end <= rows)) {
    throw EngineError(where + ": the owned rows must be a non-empty range of the slab's " + std::to_string(rows) +
                      " rows (owned_begin < owned_end <= rows)");
  }
}

void check_center(float center_offset_px) {
  if (!std::isfinite(center_offset_px)) {
    throw EngineError("center_offset_px " + format_number(center_offset_px) + " is not a finite number");
  }
}

void check_axis_tilt(float tilt_deg) {
  if (!(std::isfinite(tilt_deg) && std::fabs(tilt_deg) <= kMaxAxisTiltDeg)) {
    throw EngineError("axis tilt " + format_number(tilt_deg) + " deg out of range: at most " +
                      format_number(kMaxAxisTiltDeg) + " deg either way (a larger tilt is a misaligned stage)");
  }
}

void check_slices(const SlicePositions& positions, std::uint32_t rows, std::uint32_t cols) {
  if (positions.xy_row >= rows) {
    throw EngineError("xy_row " + std::to_string(positions.xy_row) + " out of range: the detector has " +
                      std::to_string(rows) + " rows (0.." + std::to_string(rows - 1) + ")");
  }
  const float limit = static_cast<float>(cols);
  if (!(std::fabs(positions.xz_y_px) <= limit)) {
    throw EngineError("xz_y_px " + format_number(positions.xz_y_px) + " out of range: |y| must be <= " +
                      std::to_string(cols) + " pixels (the detector's cols)");
  }
  if (!(std::fabs(positions.yz_x_px) <= limit)) {
    throw EngineError("yz_x_px " + format_number(positions.yz_x_px) + " out of range: |x| must be <= " +
                      std::to_string(cols) + " pixels (the detector's cols)");
  }
}

void check_slot(std::uint32_t slot, std::uint32_t slots, const char* method) {
  if (slot < slots) return;
  const std::string prefix = method != nullptr ? std::string(method) + ": " : std::string();
  throw EngineError(prefix + "slot " + std::to_string(slot) + " out of range: the scan has " + std::to_string(slots) +
                    " slots (0.." + std::to_string(slots - 1) + ")");
}

void check_projection_copy(const char* method, std::uint32_t slot, bool occupied, std::size_t out_size,
                           const ScanGeometry& g) {
  check_slot(slot, g.slots, method);
  if (!occupied) throw EngineError(std::string(method) + ": slot " + std::to_string(slot) + " holds no projection");
  const std::uint64_t pixels = std::uint64_t{g.rows} * g.cols;
  if (out_size != pixels) {
    throw EngineError(std::string(method) + ": out holds " + std::to_string(out_size) + " floats, a projection has " +
                      std::to_string(pixels) + " (" + std::to_string(g.rows) + " x " + std::to_string(g.cols) + ")");
  }
}

namespace {

// The checks sweep_center and sweep_processing share, `method` starting each message: the row, `count` candidates in
// 1..max_count (`noun` names them in the message), the region, and `out`.
void check_sweep_shape(const char* method, const char* noun, std::uint32_t xy_row, std::size_t count,
                       std::size_t max_count,
                       const SliceRegion& region, std::size_t out_size, const ScanGeometry& g) {
  const std::string prefix = std::string(method) + ": ";
  if (xy_row >= g.rows) {
    throw EngineError(prefix + "xy_row " + std::to_string(xy_row) + " out of range: the detector has " +
                      std::to_string(g.rows) + " rows (0.." + std::to_string(g.rows - 1) + ")");
  }
  if (count == 0 || count > max_count) {
    throw EngineError(prefix + std::to_string(count) + " " + noun + "; expected 1.." + std::to_string(max_count));
  }
  const std::string shape = std::to_string(region.rows) + " x " + std::to_string(region.cols) + " at row " +
                            std::to_string(region.row0) + ", col " + std::to_string(region.col0);
  if (region.rows == 0 || region.cols == 0) {
    throw EngineError(prefix + "region " + shape + " (rows x cols) is empty");
  }
  if (region.rows > kMaxSweepSide || region.cols > kMaxSweepSide) {
    throw EngineError(prefix + "region " + shape + " (rows x cols) is larger than " + std::to_string(kMaxSweepSide) +
                      " pixels on a side");
  }
  if (std::uint64_t{region.row0} + region.rows > g.cols || std::uint64_t{region.col0} + region.cols > g.cols) {
    throw EngineError(prefix + "region " + shape + " (rows x cols) leaves the " + std::to_string(g.cols) + " x " +
                      std::to_string(g.cols) + " axial slice");
  }
  const std::uint64_t expected = std::uint64_t{count} * region.rows * region.cols;
  if (out_size != expected) {
    throw EngineError(prefix + "out holds " + std::to_string(out_size) + " floats, expected " +
                      std::to_string(count) + " candidates x " + std::to_string(region.rows) + " x " +
                      std::to_string(region.cols) + " = " + std::to_string(expected));
  }
}

}  // namespace

void check_sweep(std::uint32_t xy_row, std::span<const float> center_offsets_px, const SliceRegion& region,
                 std::size_t out_size, const ScanGeometry& g) {
  check_sweep_shape("sweep_center", "candidate centers", xy_row, center_offsets_px.size(), kMaxSweepCandidates,
                    region, out_size, g);
  for (std::size_t k = 0; k < center_offsets_px.size(); ++k) {
    if (!std::isfinite(center_offsets_px[k])) {
      throw EngineError("sweep_center: candidate " + std::to_string(k) + ", center_offset_px " +
                        format_number(center_offsets_px[k]) + ", is not a finite number");
    }
  }
}

void check_processing_sweep(std::uint32_t xy_row, std::span<const ProcessingParams> candidates,
                            const SliceRegion& region, std::size_t out_size, const ScanGeometry& g) {
  check_sweep_shape("sweep_processing", "candidate settings", xy_row, candidates.size(),
                    kMaxProcessingSweepCandidates, region, out_size, g);
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    try {
      check_processing(candidates[k]);
    } catch (const EngineError& e) {
      throw EngineError("sweep_processing: candidate " + std::to_string(k) + ": " + e.what());
    }
  }
}

void check_oblique_copy(const ObliqueSlice& oblique, const ObliquePlane& plane, std::size_t out_size) {
  if (!oblique.enabled) throw EngineError("copy_oblique_slice: the oblique slice is disabled (set_oblique_slice)");
  const std::size_t size = std::size_t{plane.rows} * plane.cols;
  if (out_size != size) {
    throw EngineError("copy_oblique_slice: out holds " + std::to_string(out_size) + " floats, the oblique slice has " +
                      std::to_string(size) + " (" + std::to_string(plane.rows) + " x " + std::to_string(plane.cols) +
                      ")");
  }
}

void check_preview_copy(const PreviewGrid& grid, std::size_t out_size) {
  if (grid.layers == 0) throw EngineError("copy_preview: the preview is disabled (set_preview)");
  if (out_size != grid.voxels()) {
    throw EngineError("copy_preview: out holds " + std::to_string(out_size) + " floats, the preview has " +
                      std::to_string(grid.voxels()) + " (" + std::to_string(grid.layers) + " x " +
                      std::to_string(grid.rows) + " x " + std::to_string(grid.cols) + ")");
  }
}

void check_volume(const VolumeBox& box, std::uint32_t slab_rows, std::uint32_t max_slab_rows, const ScanGeometry& g) {
  const SliceRegion& r = box.region;
  const std::string shape = std::to_string(box.rows) + " rows from row " + std::to_string(box.row0) + " x " +
                            std::to_string(r.rows) + " x " + std::to_string(r.cols) + " pixels at row " +
                            std::to_string(r.row0) + ", col " + std::to_string(r.col0);
  if (box.rows == 0 || r.rows == 0 || r.cols == 0) {
    throw EngineError("reconstruct_volume: the box (" + shape + ") is empty");
  }
  if (std::uint64_t{r.row0} + r.rows > g.cols || std::uint64_t{r.col0} + r.cols > g.cols) {
    throw EngineError("reconstruct_volume: the box (" + shape + ") leaves the " + std::to_string(g.cols) + " x " +
                      std::to_string(g.cols) + " axial slice");
  }
  if (std::uint64_t{box.row0} + box.rows > g.rows) {
    throw EngineError("reconstruct_volume: the box (" + shape + ") leaves the detector's " + std::to_string(g.rows) +
                      " rows");
  }
  if (slab_rows == 0 || slab_rows > max_slab_rows) {
    throw EngineError("reconstruct_volume: slab_rows " + std::to_string(slab_rows) + " out of range: expected 1.." +
                      std::to_string(max_slab_rows) + " (volume_slab_rows)");
  }
}

}  // namespace tomolive::kernels
