#include "tomolive/sim/scan_spec.hpp"

#include <cmath>
#include <cstdint>

namespace tomolive::sim {

std::optional<std::string> validate(const ScanSpec& spec) {
  using namespace protocol;
  const auto side_ok = [](std::uint32_t n) { return n >= 8 && n <= kMaxDetectorPixelsPerSide; };
  if (!side_ok(spec.rows) || !side_ok(spec.cols)) {
    return "detector size " + std::to_string(spec.rows) + " x " + std::to_string(spec.cols) +
           ": rows and cols must be in [8, " + std::to_string(kMaxDetectorPixelsPerSide) + "]";
  }
  const std::uint64_t projections = std::uint64_t{spec.projections_per_turn} * spec.turns;
  if (projections == 0 || projections > kMaxProjections) {
    return std::to_string(spec.projections_per_turn) + " projections per turn x " + std::to_string(spec.turns) +
           " turns: the total must be in [1, " + std::to_string(kMaxProjections) + "]";
  }
  if (spec.num_darks > kMaxReferenceFrames || spec.num_flats > kMaxReferenceFrames) {
    return std::to_string(spec.num_darks) + " darks, " + std::to_string(spec.num_flats) + " flats: at most " +
           std::to_string(kMaxReferenceFrames) + " of each";
  }
  if (spec.streams < 1 || spec.streams > kMaxStreams) {
    return std::to_string(spec.streams) + " streams: expected 1.." + std::to_string(kMaxStreams);
  }
  if (!(spec.range_deg > 0.0 && spec.range_deg <= 360.0)) {
    return "angular range " + std::to_string(spec.range_deg) + " degrees: expected (0, 360]";
  }
  const double max_offset = 0.45 * spec.cols - 1.0;
  const double announced = spec.announced_center_offset_px.value_or(spec.center_offset_px);
  if (!(std::abs(spec.center_offset_px) <= max_offset) || !std::isfinite(announced)) {
    return "center offset " + std::to_string(spec.center_offset_px) + " px (announced " + std::to_string(announced) +
           "): expected finite, |offset| <= 0.45 * cols - 1 = " + std::to_string(max_offset);
  }
  if (spec.half_acquisition && !(spec.range_deg == 360.0 && spec.center_offset_px != 0.0 &&
                                 std::abs(announced) >= kMinHalfAcquisitionOffsetPx)) {
    return "half acquisition needs a 360 degree range, a non-zero center offset and an announced offset of at least " +
           std::to_string(kMinHalfAcquisitionOffsetPx) + " px; got " + std::to_string(spec.range_deg) +
           " degrees, offset " + std::to_string(spec.center_offset_px) + " px (announced " +
           std::to_string(announced) + ")";
  }
  if (!(spec.photons > 0.0 && std::isfinite(spec.photons))) {
    return "photons " + std::to_string(spec.photons) + ": expected a positive count";
  }
  return std::nullopt;
}

std::uint32_t ScanSpec::slice_cols() const {
  if (!half_acquisition) return cols;
  return cols + protocol::half_acquisition_added_cols(announced_center_offset_px.value_or(center_offset_px));
}

protocol::ScanBegin make_scan_begin(const ScanSpec& spec) {
  protocol::ScanBegin begin;
  begin.scan_id = spec.scan_id;
  begin.name = spec.name;
  begin.rows = spec.rows;
  begin.cols = spec.cols;
  begin.dtype = protocol::Dtype::uint16;
  begin.num_darks = spec.num_darks;
  begin.num_flats = spec.num_flats;
  begin.num_projections = spec.num_projections();
  begin.angles = protocol::AngleRange{0.0, spec.angle_step_deg()};
  begin.window = spec.turns > 1 ? spec.projections_per_turn : 0;
  begin.streams = spec.streams;
  begin.center_offset_px = spec.announced_center_offset_px.value_or(spec.center_offset_px);
  begin.half_acquisition = spec.half_acquisition;
  return begin;
}

protocol::FrameHeader make_frame_header(const ScanSpec& spec, protocol::FrameKind kind, std::uint64_t frame_id,
                                        std::optional<std::int64_t> timestamp_ns) {
  protocol::FrameHeader header;
  header.kind = kind;
  header.scan_id = spec.scan_id;
  header.frame_id = frame_id;
  header.rows = spec.rows;
  header.cols = spec.cols;
  header.dtype = protocol::Dtype::uint16;
  header.timestamp_ns = timestamp_ns;
  return header;
}

protocol::ScanEnd make_scan_end(const ScanSpec& spec) { return protocol::ScanEnd{spec.scan_id}; }

}  // namespace tomolive::sim
