// Slice frames for browsers (PROTOCOL.md 14.3): a slice version cut to the region a viewer pane shows, averaged
// down to the pane's size and quantized to 16 bits over its value range, in one binary WebSocket message.
// Pure functions; used by the WebSocket sessions, one call per slice update per browser.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "tomolive/daemon/slice_board.hpp"

namespace tomolive::daemon {

// What a browser pane asked for with a `view` message. Sizes in slice pixels.
struct SliceView {
  static constexpr std::uint32_t kDefaultMaxSide = 512;  // before the first `view` message
  static constexpr std::uint32_t kMaxSide = 16384;

  std::uint32_t max_rows = kDefaultMaxSide;  // the most data rows the pane wants
  std::uint32_t max_cols = kDefaultMaxSide;
  // [row0, col0, rows, cols] of the full-resolution slice to show; nullopt = the whole slice.
  std::optional<std::array<std::uint32_t, 4>> region;
};

// The part of a rows x cols slice a view covers, and how it is binned.
struct SliceCut {
  std::uint32_t row0 = 0, col0 = 0, rows = 0, cols = 0;  // the region, clipped to the slice (rows, cols >= 1)
  std::uint32_t binning = 1;                             // f: f x f slice pixels per data pixel
  std::uint32_t data_rows = 0, data_cols = 0;            // ceil(rows / f), ceil(cols / f); fit max_rows, max_cols
};

// Clips the view's region to the slice (an empty or outside region becomes the nearest 1-pixel one) and picks the
// smallest binning that fits. Precondition: slice_rows, slice_cols >= 1; view.max_* >= 1.
SliceCut cut_slice(const SliceView& view, std::uint32_t slice_rows, std::uint32_t slice_cols);

// The whole binary message: magic "TLS1", uint32 header length, JSON header, zero padding to 8 bytes, then
// data_rows x data_cols little-endian uint16 values (q = 0 for non-finite values). sent_ns: ns since the Unix epoch.
std::string encode_slice_frame(const SliceSnapshot& slice, const SliceView& view, std::int64_t sent_ns);

// One candidate image of a center or processing sweep (PROTOCOL.md 14.3, "Sweep frames"): `image` holds rows x cols
// values. A center sweep's frame carries its candidate's center_offset_px; a processing sweep's (parameter not empty)
// its parameter, value and label instead.
struct SweepFrameInfo {
  std::uint64_t sweep_id = 0;
  std::uint32_t index = 0;
  std::uint32_t count = 0;
  double center_offset_px = 0.0;
  std::uint32_t xy_row = 0;
  std::string parameter;  // sweep_processing: "delta_over_beta", "ring_size" or "window"
  double value = 0.0;
  std::string label;
  std::uint32_t pixel_step = 1;  // pixels of the XY slice between neighbouring image pixels (a processing sweep: 1)
};
std::string encode_sweep_frame(std::span<const float> image, std::uint32_t rows, std::uint32_t cols,
                               const SweepFrameInfo& info, const SliceView& view, std::int64_t sent_ns);

}  // namespace tomolive::daemon
