#include "tomolive/daemon/frame_widener.hpp"

#include <span>

namespace tomolive::daemon {

void FrameWidener::prepare(const HalfAcquisitionLayout& layout, std::uint32_t rows, kernels::PixelType type) {
  layout_ = layout;
  if (!layout.widens()) return;
  const std::size_t bytes = widened_frame_bytes(layout, rows, type);
  if (!buffer_ || buffer_->size() < bytes) {
    buffer_.reset();  // the old buffer goes before the new one is allocated
    buffer_ = allocate_(bytes);
  }
}

kernels::FrameView FrameWidener::widen(const kernels::FrameView& frame, WideningFill fill) {
  if (!layout_.widens()) return frame;
  return widen_frame(layout_, frame, fill, std::span<std::byte>(buffer_->data(), buffer_->size()));
}

}  // namespace tomolive::daemon
