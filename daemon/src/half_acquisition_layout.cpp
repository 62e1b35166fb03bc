#include "tomolive/daemon/half_acquisition_layout.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {
namespace {

// Fills `count` pixels of `type` at `out` with the value `fill` stands for.
void fill_pixels(std::byte* out, std::size_t count, kernels::PixelType type, WideningFill fill) {
  if (fill == WideningFill::zero) {
    std::memset(out, 0, count * kernels::pixel_bytes(type));
    return;
  }
  switch (type) {
    case kernels::PixelType::uint8:
      std::fill_n(reinterpret_cast<std::uint8_t*>(out), count, std::uint8_t{1});
      return;
    case kernels::PixelType::uint16:
      std::fill_n(reinterpret_cast<std::uint16_t*>(out), count, std::uint16_t{1});
      return;
    case kernels::PixelType::uint32:
      std::fill_n(reinterpret_cast<std::uint32_t*>(out), count, std::uint32_t{1});
      return;
    case kernels::PixelType::float32:
      std::fill_n(reinterpret_cast<float*>(out), count, 1.f);
      return;
  }
}

}  // namespace

HalfAcquisitionLayout HalfAcquisitionLayout::widened(std::uint32_t cols, DetectorOffsetPx center_offset) {
  const std::uint32_t added = protocol::half_acquisition_added_cols(center_offset.px);
  // An axis right of the detector's centre leaves the far field on the right: the detector stays at column 0.
  return {cols, cols + added, center_offset.px >= 0.0 ? 0u : added};
}

std::string describe(const HalfAcquisitionLayout& layout) {
  return fmt::format("half acquisition: the detector is columns {}..{} of {} reconstructed", layout.detector_col0,
                     layout.detector_col0 + layout.detector_cols - 1, layout.engine_cols);
}

std::size_t widened_frame_bytes(const HalfAcquisitionLayout& layout, std::uint32_t rows, kernels::PixelType type) {
  return std::size_t{rows} * layout.engine_cols * kernels::pixel_bytes(type);
}

kernels::FrameView widen_frame(const HalfAcquisitionLayout& layout, const kernels::FrameView& frame, WideningFill fill,
                               std::span<std::byte> out) {
  if (frame.cols != layout.detector_cols) {
    throw std::invalid_argument("widen_frame: the frame has " + std::to_string(frame.cols) +
                                " columns, the detector " + std::to_string(layout.detector_cols));
  }
  const std::size_t pixel = kernels::pixel_bytes(frame.type);
  const std::size_t needed = widened_frame_bytes(layout, frame.rows, frame.type);
  if (out.size() < needed) {
    throw std::invalid_argument("widen_frame: the output holds " + std::to_string(out.size()) + " bytes, " +
                                std::to_string(needed) + " needed");
  }
  const std::size_t left = layout.detector_col0;
  const std::size_t right = layout.engine_cols - layout.detector_col0 - layout.detector_cols;
  const auto* in = static_cast<const std::byte*>(frame.data);
  for (std::uint32_t r = 0; r < frame.rows; ++r) {
    std::byte* row = out.data() + std::size_t{r} * layout.engine_cols * pixel;
    fill_pixels(row, left, frame.type, fill);
    std::memcpy(row + left * pixel, in + std::size_t{r} * frame.cols * pixel, frame.cols * pixel);
    fill_pixels(row + (left + frame.cols) * pixel, right, frame.type, fill);
  }
  return {out.data(), frame.type, frame.rows, layout.engine_cols};
}

}  // namespace tomolive::daemon
