#include "tomolive/sim/stream_frames.hpp"

#include <algorithm>

namespace tomolive::sim {

std::vector<std::size_t> stream_frames(const ScanSimulator& scan, std::uint32_t stream_index) {
  const std::uint32_t streams = scan.spec().streams;
  std::vector<std::size_t> indices;
  for (std::size_t index = 0; index < scan.frame_count(); ++index) {
    const FrameRef frame = scan.frame_at(index);
    const bool sent = frame.kind == protocol::FrameKind::projection ? frame.frame_id % streams == stream_index
                                                                    : stream_index == 0;
    if (sent) indices.push_back(index);
  }
  return indices;
}

PrerenderedProjections::PrerenderedProjections(const ScanSimulator& scan, std::uint32_t count)
    : frame_pixels_(scan.frame_pixels()),
      frames_(std::min<std::size_t>(count, scan.spec().num_projections())),
      pixels_(frames_ * frame_pixels_) {
  const std::size_t first = scan.frame_count() - scan.spec().num_projections();
  for (std::size_t k = 0; k < frames_; ++k) {
    scan.render(first + k, std::span(pixels_).subspan(k * frame_pixels_, frame_pixels_));
  }
}

}  // namespace tomolive::sim
