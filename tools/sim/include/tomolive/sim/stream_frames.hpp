// How a simulated scan is sent by the programs that stream it (tomolive-sim, tomolive-send): which frames each data
// connection sends, and projections rendered once for throughput benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/sim/scan_simulator.hpp"

namespace tomolive::sim {

// The frames (indices into scan.frame_at) that stream `stream_index` of scan.spec().streams sends, in order
// (PROTOCOL.md "Several streams"): stream 0 the darks and the flats, stream i the projections k with
// k mod streams == i. Every stream also sends begin and end. Precondition: stream_index < streams.
std::vector<std::size_t> stream_frames(const ScanSimulator& scan, std::uint32_t stream_index);

// The first `count` projections (at most all of them) rendered once, side by side in one block, so that a throughput
// benchmark is not limited by the renderer: projection k is sent with the pixels of projection k mod count (the
// reconstruction is then meaningless). Immutable after construction.
class PrerenderedProjections {
 public:
  PrerenderedProjections(const ScanSimulator& scan, std::uint32_t count);

  bool empty() const { return frames_ == 0; }
  // How many projections were rendered: min(count, the scan's projections).
  std::size_t count() const { return frames_; }
  // Every prerendered frame: frame j at [j * frame_pixels, (j + 1) * frame_pixels).
  std::span<const std::uint16_t> block() const { return pixels_; }
  // The pixels to send for projection `projection_id`, and where they start in block(), in pixels.
  std::size_t offset_of(std::uint64_t projection_id) const { return (projection_id % frames_) * frame_pixels_; }
  std::span<const std::uint16_t> pixels(std::uint64_t projection_id) const {
    return block().subspan(offset_of(projection_id), frame_pixels_);
  }

 private:
  std::size_t frame_pixels_;
  std::size_t frames_;
  std::vector<std::uint16_t> pixels_;
};

}  // namespace tomolive::sim
