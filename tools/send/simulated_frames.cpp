// The simulated phantom scan as a FrameSource (frame_source.hpp).
#include <stdexcept>
#include <string>
#include <vector>

#include "frame_kinds.hpp"
#include "frame_source.hpp"
#include "tomolive/sim/scan_simulator.hpp"
#include "tomolive/sim/stream_frames.hpp"

namespace tomolive::send {
namespace {

class SimulatedFrames : public FrameSource {
 public:
  explicit SimulatedFrames(const SimulatedScan& options)
      : simulator_(options.spec, options.threads),
        stream_index_(options.stream_index),
        frames_(sim::stream_frames(simulator_, options.stream_index)),
        prerendered_(simulator_, options.prerender),
        pixels_(simulator_.frame_pixels()),
        begin_(sim::make_scan_begin(simulator_.spec())),
        scan_(scan_of(begin_)) {}

  std::string description() const override {
    std::string text = "simulated phantom";
    if (scan_.streams > 1) {
      text += " (stream " + std::to_string(stream_index_) + " of " + std::to_string(scan_.streams) + ")";
    }
    return prerendered_.empty() ? text : text + ", projections cycling " +
                                             std::to_string(prerendered_.block().size() / pixels_.size()) +
                                             " prerendered frames";
  }
  const tl_scan& scan() const override { return scan_; }
  std::size_t count() const override { return frames_.size(); }
  tl_frame_kind kind(std::size_t index) const override { return frame_kind_of(frame(index).kind); }
  std::uint64_t frame_id(std::size_t index) const override { return frame(index).frame_id; }
  std::span<const std::byte> pixels(std::size_t index) override {
    if (const std::optional<std::size_t> offset = resident_offset(index)) {
      return resident().subspan(*offset, pixels_.size() * sizeof(std::uint16_t));
    }
    simulator_.render(frames_.at(index), pixels_);
    return std::as_bytes(std::span(pixels_));
  }
  std::span<const std::byte> resident() const override { return std::as_bytes(prerendered_.block()); }
  std::optional<std::size_t> resident_offset(std::size_t index) const override {
    const sim::FrameRef ref = frame(index);
    if (prerendered_.empty() || ref.kind != protocol::FrameKind::projection) return std::nullopt;
    return prerendered_.offset_of(ref.frame_id) * sizeof(std::uint16_t);
  }

 private:
  sim::FrameRef frame(std::size_t index) const { return simulator_.frame_at(frames_.at(index)); }

  sim::ScanSimulator simulator_;
  std::uint32_t stream_index_;
  std::vector<std::size_t> frames_;  // indices into the simulator's frames, in this stream's order
  sim::PrerenderedProjections prerendered_;
  std::vector<std::uint16_t> pixels_;  // the frame rendered last
  protocol::ScanBegin begin_;          // scan_ points into it
  tl_scan scan_;
};

}  // namespace

std::unique_ptr<FrameSource> simulated_frames(const SimulatedScan& scan) {
  if (const auto problem = sim::validate(scan.spec)) throw std::runtime_error(*problem);
  if (scan.stream_index >= scan.spec.streams) {
    throw std::runtime_error("--stream-index " + std::to_string(scan.stream_index) + ": expected 0.." +
                             std::to_string(scan.spec.streams - 1));
  }
  return std::make_unique<SimulatedFrames>(scan);
}

}  // namespace tomolive::send
