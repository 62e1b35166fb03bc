// .npy stacks as a FrameSource (frame_source.hpp): darks, flats, then projections.
#include <stdexcept>
#include <string>

#include "frame_kinds.hpp"
#include "frame_source.hpp"
#include "npy_stack.hpp"

namespace tomolive::send {
namespace {

class NpyFrames : public FrameSource {
 public:
  explicit NpyFrames(const NpyFiles& files)
      : projections_(read_npy_stack(files.projections)), name_(files.projections.filename().string()) {
    if (!files.darks.empty()) darks_ = read_npy_stack(files.darks);
    if (!files.flats.empty()) flats_ = read_npy_stack(files.flats);
    for (const NpyStack* references : {&darks_, &flats_}) {
      if (references->frames && (references->rows != projections_.rows || references->cols != projections_.cols ||
                                 references->dtype != projections_.dtype)) {
        throw std::runtime_error("the darks and flats must have the projections' rows, cols and dtype");
      }
    }
    if (projections_.frames == 0) throw std::runtime_error(files.projections.string() + ": holds no frames");
    order_ = {darks_.frames, flats_.frames, projections_.frames};
    scan_.scan_id = 1;
    scan_.name = name_.c_str();
    scan_.rows = static_cast<std::uint32_t>(projections_.rows);
    scan_.cols = static_cast<std::uint32_t>(projections_.cols);
    scan_.dtype = projections_.dtype;
    scan_.num_darks = static_cast<std::uint32_t>(darks_.frames);
    scan_.num_flats = static_cast<std::uint32_t>(flats_.frames);
    scan_.num_projections = static_cast<std::uint32_t>(projections_.frames);
    scan_.angle_start_deg = files.angles.start_deg;
    scan_.angle_step_deg = files.angles.step_deg > 0 ? files.angles.step_deg
                                                     : 180.0 / static_cast<double>(projections_.frames);
  }

  std::string description() const override { return name_ + " (.npy)"; }
  const tl_scan& scan() const override { return scan_; }
  std::size_t count() const override { return order_.count(); }
  tl_frame_kind kind(std::size_t index) const override { return order_.kind(index); }
  std::uint64_t frame_id(std::size_t index) const override { return order_.frame_id(index); }
  std::span<const std::byte> pixels(std::size_t index) override {
    const std::uint64_t id = frame_id(index);
    switch (kind(index)) {
      case TL_DARK: return darks_.frame(id);
      case TL_FLAT: return flats_.frame(id);
      case TL_PROJECTION: break;
    }
    return projections_.frame(id);
  }
  std::span<const std::byte> resident() const override { return projections_.data; }
  std::optional<std::size_t> resident_offset(std::size_t index) const override {
    if (kind(index) != TL_PROJECTION) return std::nullopt;
    return frame_id(index) * projections_.frame_bytes();
  }

 private:
  NpyStack projections_, darks_, flats_;
  ReferencesFirst order_;
  std::string name_;
  tl_scan scan_{};
};

}  // namespace

std::unique_ptr<FrameSource> npy_frames(const NpyFiles& files) { return std::make_unique<NpyFrames>(files); }

}  // namespace tomolive::send
