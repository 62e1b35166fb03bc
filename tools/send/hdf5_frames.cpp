// An NXtomo or DXchange HDF5 file as a FrameSource (frame_source.hpp), read by tomolive-replay's reader.
#include <string>
#include <variant>
#include <vector>

#include "frame_kinds.hpp"
#include "frame_source.hpp"
#include "tomolive/replay/recorded_scan.hpp"

namespace tomolive::send {
namespace {

class Hdf5Frames : public FrameSource {
 public:
  explicit Hdf5Frames(const std::filesystem::path& path)
      : recorded_(path), begin_(recorded_.begin()), path_(path), pixels_(recorded_.frame_bytes()) {
    const auto& table = std::get<protocol::AngleTable>(begin_.angles);  // the reader gives a table (by frame id)
    scan_.scan_id = begin_.scan_id;
    scan_.name = begin_.name.c_str();
    scan_.rows = begin_.rows;
    scan_.cols = begin_.cols;
    scan_.dtype = dtype_of(begin_.dtype);
    scan_.num_darks = begin_.num_darks;
    scan_.num_flats = begin_.num_flats;
    scan_.num_projections = begin_.num_projections;
    scan_.angles_deg = table.angles_deg.data();
    scan_.angles_count = static_cast<std::uint32_t>(table.angles_deg.size());
    scan_.window = begin_.window;
    scan_.center_offset_px = begin_.center_offset_px;
    scan_.pixel_size_um = begin_.pixel_size_um.value_or(0.0);
    scan_.half_acquisition = begin_.half_acquisition ? 1 : 0;
  }

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
  protocol::ScanBegin begin_;  // the pointers in scan_ point into it
  std::filesystem::path path_;
  std::vector<std::byte> pixels_;  // the frame read last
  tl_scan scan_{};
};

}  // namespace

std::unique_ptr<FrameSource> hdf5_frames(const std::filesystem::path& path) {
  return std::make_unique<Hdf5Frames>(path);
}

}  // namespace tomolive::send
