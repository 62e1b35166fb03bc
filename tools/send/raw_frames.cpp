// A raw file of frames as a FrameSource (frame_source.hpp): darks, flats, then projections, nothing else.
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "frame_kinds.hpp"
#include "frame_source.hpp"

namespace tomolive::send {
namespace {

class RawFrames : public FrameSource {
 public:
  explicit RawFrames(const RawFile& file)
      : file_(file), name_(file.path.filename().string()), in_(file.path, std::ios::binary),
        pixels_(std::size_t{file.rows} * file.cols * itemsize(file.dtype)) {
    if (!in_) throw std::runtime_error(file.path.string() + ": cannot open");
    scan_.scan_id = 1;
    scan_.name = name_.c_str();
    scan_.rows = file.rows;
    scan_.cols = file.cols;
    scan_.dtype = file.dtype;
    scan_.num_darks = file.num_darks;
    scan_.num_flats = file.num_flats;
    scan_.num_projections = file.num_projections;
    scan_.angle_start_deg = file.angles.start_deg;
    scan_.angle_step_deg = file.angles.step_deg > 0 ? file.angles.step_deg
                                                    : 180.0 / static_cast<double>(file.num_projections);
  }

  std::string description() const override { return file_.path.string() + " (raw)"; }
  const tl_scan& scan() const override { return scan_; }
  std::size_t count() const override { return order_.count(); }
  tl_frame_kind kind(std::size_t index) const override { return order_.kind(index); }
  std::uint64_t frame_id(std::size_t index) const override { return order_.frame_id(index); }
  std::span<const std::byte> pixels(std::size_t index) override {
    in_.seekg(static_cast<std::streamoff>(index * pixels_.size()));
    if (!in_.read(reinterpret_cast<char*>(pixels_.data()), static_cast<std::streamsize>(pixels_.size()))) {
      throw std::runtime_error(file_.path.string() + ": reading frame " + std::to_string(index) + " failed");
    }
    return pixels_;
  }

 private:
  RawFile file_;
  ReferencesFirst order_{file_.num_darks, file_.num_flats, file_.num_projections};
  std::string name_;
  std::ifstream in_;
  std::vector<std::byte> pixels_;  // the frame read last
  tl_scan scan_{};
};

}  // namespace

std::unique_ptr<FrameSource> raw_frames(const RawFile& file) {
  const std::string where = file.path.string() + ": ";
  if (file.rows == 0 || file.cols == 0) throw std::runtime_error(where + "give the frames' --rows and --cols (> 0)");
  if (file.num_projections == 0) throw std::runtime_error(where + "give --projections (> 0)");
  std::error_code error;
  const std::uintmax_t bytes = std::filesystem::file_size(file.path, error);
  if (error) throw std::runtime_error(where + "cannot read its size: " + error.message());
  const std::size_t frames = std::size_t{file.num_darks} + file.num_flats + file.num_projections;
  const std::size_t frame_bytes = std::size_t{file.rows} * file.cols * itemsize(file.dtype);
  if (bytes != frames * frame_bytes) {
    throw std::runtime_error(
        where + "holds " + std::to_string(bytes) + " bytes; " + std::to_string(file.num_darks) + " darks + " +
        std::to_string(file.num_flats) + " flats + " + std::to_string(file.num_projections) + " projections of " +
        std::to_string(file.rows) + " x " + std::to_string(file.cols) + " " +
        std::string(protocol::to_string(static_cast<protocol::Dtype>(file.dtype))) + " are " +
        std::to_string(frames * frame_bytes) + " bytes");
  }
  return std::make_unique<RawFrames>(file);
}

}  // namespace tomolive::send
