// An NXtomo or DXchange HDF5 file as a FrameSource (frame_source.hpp), read by tomolive-replay's reader.
#include <string>
#include <vector>

#include "frame_kinds.hpp"
#include "frame_source.hpp"
#include "tomolive/replay/recorded_scan.hpp"

namespace tomolive::send {
namespace {

class Hdf5Frames : public FrameSource {
 public:
  explicit Hdf5Frames(const std::filesystem::path& path)
      : recorded_(path), path_(path), pixels_(recorded_.frame_bytes()),
        scan_(scan_of(recorded_.begin())) {}  // the begin lives as long as recorded_

  std::string description() const override { return path_.string() + " (" + recorded_.layout() + ")"; }
  const tl_scan& scan() const override { return scan_; }
  std::size_t count() const override { return recorded_.frames().size(); }
  tl_frame_kind kind(std::size_t index) const override { return frame_kind_of(recorded_.frames().at(index).kind); }
  std::uint64_t frame_id(std::size_t index) const override { return recorded_.frames().at(index).frame_id; }
  double angle_deg(std::size_t index) const override {
    const replay::RecordedFrame& frame = recorded_.frames().at(index);
    return frame.kind == protocol::FrameKind::projection ? frame.angle_deg : FrameSource::angle_deg(index);
  }
  std::span<const std::byte> pixels(std::size_t index) override {
    recorded_.read(index, pixels_);
    return pixels_;
  }

 private:
  replay::RecordedScan recorded_;
  std::filesystem::path path_;
  std::vector<std::byte> pixels_;  // the frame read last
  tl_scan scan_{};
};

}  // namespace

std::unique_ptr<FrameSource> hdf5_frames(const std::filesystem::path& path) {
  return std::make_unique<Hdf5Frames>(path);
}

}  // namespace tomolive::send
