// HalfAcquisitionLayout: where a half-acquisition detector sits inside the wider frame the engine reconstructs.
//
// In a 360 degree scan with the rotation axis near one edge of the detector (extended field of view), the engine
// reconstructs a field about twice the detector's width. The daemon widens every frame (darks, flats, projections) to
// engine_cols columns, placing the detector's columns at [detector_col0, detector_col0 + detector_cols) so that the
// axis lies within half a pixel of the wide frame's centre; the added columns are filled so that their transmission
// is 1 (darks 0, flats and projections 1: attenuation 0), and the engine's half-acquisition weights
// (kernels/processing.hpp) combine the two halves of each line.
//
// Center offsets: the protocol, the status and the user speak of the detector's offset (pixels from
// (detector_cols - 1) / 2, as in begin); the engine of its own (from (engine_cols - 1) / 2). The two differ by
// offset_shift_px(); engine_offset / detector_offset convert between the two types of center_offset.hpp. Without
// half acquisition the layout is the identity (engine_cols = detector_cols, shift 0).
// Thread safety: a plain value; the functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tomolive/daemon/center_offset.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::daemon {

struct HalfAcquisitionLayout {
  std::uint32_t detector_cols = 0;  // columns the detector sends
  std::uint32_t engine_cols = 0;    // columns of the widened frame and of the slices
  std::uint32_t detector_col0 = 0;  // first widened column holding the detector's column 0

  // The layout for an axis announced at `center_offset` (|offset| < cols / 2):
  // round(2 |offset|) columns are added on the side away from which the axis is shifted.
  static HalfAcquisitionLayout widened(std::uint32_t cols, DetectorOffsetPx center_offset);
  // The identity layout of a scan without half acquisition.
  static HalfAcquisitionLayout identity(std::uint32_t cols) { return {cols, cols, 0}; }

  bool widens() const { return engine_cols != detector_cols; }
  // engine offset = detector offset - offset_shift_px(), pixels.
  double offset_shift_px() const {
    return 0.5 * (static_cast<double>(engine_cols) - static_cast<double>(detector_cols)) -
           static_cast<double>(detector_col0);
  }
  EngineOffsetPx engine_offset(DetectorOffsetPx offset) const { return EngineOffsetPx(offset.px - offset_shift_px()); }
  DetectorOffsetPx detector_offset(EngineOffsetPx offset) const {
    return DetectorOffsetPx(offset.px + offset_shift_px());
  }
};

// One phrase for logs and events: "half acquisition: the detector is columns 0..63 of 125 reconstructed".
std::string describe(const HalfAcquisitionLayout& layout);

// What the added columns of a widened frame hold, in detector counts: darks 0; flats and projections 1.
enum class WideningFill : std::uint8_t { zero, one };

// Bytes of one widened frame of `rows` rows and pixel type `type`.
std::size_t widened_frame_bytes(const HalfAcquisitionLayout& layout, std::uint32_t rows, kernels::PixelType type);

// Writes `frame` (rows x layout.detector_cols) widened to rows x layout.engine_cols pixels of the same type into
// `out` (widened_frame_bytes, aligned for the pixel type) and returns the view of it. Throws std::invalid_argument
// when the frame's width differs from detector_cols or `out` is too small.
kernels::FrameView widen_frame(const HalfAcquisitionLayout& layout, const kernels::FrameView& frame, WideningFill fill,
                               std::span<std::byte> out);

}  // namespace tomolive::daemon
