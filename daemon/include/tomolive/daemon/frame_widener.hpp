// FrameWidener: the engine thread's one reusable buffer for the widened frames of a half-acquisition scan
// (half_acquisition_layout.hpp). Each dark, flat and projection is widened into it just before the engine takes it;
// Engine::add_* copy the frame out before returning, so one buffer serves every frame of a scan. The buffer comes
// from the engine's preferred memory (page-locked with CUDA) and is (re)allocated only by prepare(), at begin: the
// per-frame path never allocates. Without half acquisition frames pass through untouched.
// Not thread-safe: owned by the engine thread.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/daemon/half_acquisition_layout.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::daemon {

class FrameWidener {
 public:
  // `allocate` gives host memory aligned for any pixel type (e.g. allocate_plain_buffer, or the engine's
  // page-locked allocator).
  explicit FrameWidener(FrameBufferPool::Allocator allocate) : allocate_(std::move(allocate)) {}

  // Sets the layout for a scan of `rows` x layout.detector_cols frames of `type`. A widening layout gets a buffer
  // of widened_frame_bytes (the previous one is kept when large enough). Throws what the allocator throws.
  void prepare(const HalfAcquisitionLayout& layout, std::uint32_t rows, kernels::PixelType type);

  // `frame` itself without widening; else the frame widened into the buffer (valid until the next widen or
  // prepare), the added columns filled as `fill` says. Throws std::invalid_argument (widen_frame) when the frame
  // does not match the prepared shape.
  kernels::FrameView widen(const kernels::FrameView& frame, WideningFill fill);

 private:
  FrameBufferPool::Allocator allocate_;
  HalfAcquisitionLayout layout_;
  std::unique_ptr<HostBuffer> buffer_;
};

}  // namespace tomolive::daemon
