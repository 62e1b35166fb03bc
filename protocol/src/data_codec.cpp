// Data messages (detector -> daemon): begin, dark/flat/projection frames, end; and the payload rule of a frame.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "field_codec.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol {
namespace {

using detail::MapReader;
using detail::MapWriter;

constexpr std::string_view kBeginType = "begin";
constexpr std::string_view kEndType = "end";
constexpr std::string_view kDataTypes = "begin, dark, flat, projection, end";
// "<what> = <value> is out of range; expected <allowed>"
Error invalid_geometry(std::string_view what, const std::string& value, std::string_view allowed) {
  return Error{ErrorCode::invalid_geometry,
               std::string(what) + " = " + value + " is out of range; expected " + std::string(allowed)};
}

std::string range_text(std::uint64_t low, std::uint64_t high) {
  return std::to_string(low) + ".." + std::to_string(high);
}

std::optional<Error> check_angles(const ScanBegin& begin) {
  if (const auto* table = std::get_if<AngleTable>(&begin.angles)) {
    const std::size_t length = table->angles_deg.size();
    const bool per_slot = begin.window > 0 && length == begin.window;
    if (length != begin.num_projections && !per_slot) {
      std::string allowed = "num_projections = " + std::to_string(begin.num_projections);
      if (begin.window > 0) allowed += " or window = " + std::to_string(begin.window);
      return Error{ErrorCode::invalid_geometry,
                   "angles_deg has " + std::to_string(length) + " entries; expected " + allowed};
    }
    for (std::size_t k = 0; k < length; ++k) {
      if (!std::isfinite(table->angles_deg[k])) {
        return invalid_geometry("angles_deg[" + std::to_string(k) + "]", detail::format_number(table->angles_deg[k]),
                                "a finite number of degrees");
      }
    }
    return std::nullopt;
  }
  const auto& range = std::get<AngleRange>(begin.angles);
  if (!std::isfinite(range.start_deg)) {
    return invalid_geometry("angle_start_deg", detail::format_number(range.start_deg), "a finite number of degrees");
  }
  if (!std::isfinite(range.step_deg) || (range.step_deg == 0.0 && begin.num_projections > 1)) {
    return invalid_geometry(
        "angle_step_deg", detail::format_number(range.step_deg),
        "a finite, non-zero number of degrees (num_projections = " + std::to_string(begin.num_projections) + ")");
  }
  return std::nullopt;
}

// The angles of the scan's store slots (window, or all projections) span one full turn: slots x step (a range), or
// the first `slots` table entries' span x slots / (slots - 1) (a table), is 360 degrees within half a step.
bool slots_cover_one_turn(const ScanBegin& begin) {
  constexpr double kTurnDeg = 360.0;
  const std::uint32_t slots = begin.window > 0 ? begin.window : begin.num_projections;
  if (slots < 2) return false;
  double turn = 0.0;
  if (const auto* table = std::get_if<AngleTable>(&begin.angles)) {
    const auto first = table->angles_deg.begin();
    const auto [low, high] = std::minmax_element(first, first + slots);
    turn = (*high - *low) * slots / (slots - 1.0);
  } else {
    turn = std::abs(std::get<AngleRange>(begin.angles).step_deg) * slots;
  }
  return std::abs(turn - kTurnDeg) <= 0.5 * kTurnDeg / slots;
}

// A half-acquisition begin's rules on top of the others: one full turn, and an axis far enough off the centre for
// the daemon to widen the frames (|offset| < cols / 2 was checked before).
std::optional<Error> check_half_acquisition(const ScanBegin& begin) {
  if (!begin.half_acquisition) return std::nullopt;
  if (!slots_cover_one_turn(begin)) {
    return Error{ErrorCode::invalid_geometry,
                 "half_acquisition needs the angles of the " +
                     std::string(begin.window > 0 ? "window" : "projections") +
                     " to cover one full turn (360 degrees within half a step); this scan's do not"};
  }
  if (std::abs(begin.center_offset_px) < kMinHalfAcquisitionOffsetPx) {
    return invalid_geometry("center_offset_px", detail::format_number(begin.center_offset_px),
                            "|center_offset_px| >= " + detail::format_number(kMinHalfAcquisitionOffsetPx) +
                                " with half_acquisition (the axis must sit off the detector's centre)");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> check_geometry(const ScanBegin& begin) {
  const std::string pixels_per_side = range_text(1, kMaxDetectorPixelsPerSide);
  if (begin.rows < 1 || begin.rows > kMaxDetectorPixelsPerSide) {
    return invalid_geometry("rows (shape[0])", std::to_string(begin.rows), pixels_per_side);
  }
  if (begin.cols < 1 || begin.cols > kMaxDetectorPixelsPerSide) {
    return invalid_geometry("cols (shape[1])", std::to_string(begin.cols), pixels_per_side);
  }
  if (begin.num_projections < 1 || begin.num_projections > kMaxProjections) {
    return invalid_geometry("num_projections", std::to_string(begin.num_projections), range_text(1, kMaxProjections));
  }
  if (begin.num_darks > kMaxReferenceFrames) {
    return invalid_geometry("num_darks", std::to_string(begin.num_darks), range_text(0, kMaxReferenceFrames));
  }
  if (begin.num_flats > kMaxReferenceFrames) {
    return invalid_geometry("num_flats", std::to_string(begin.num_flats), range_text(0, kMaxReferenceFrames));
  }
  if (begin.window == 1 || begin.window > begin.num_projections) {
    return invalid_geometry("window", std::to_string(begin.window),
                            "0 (no window) or 2..num_projections = " + range_text(2, begin.num_projections));
  }
  if (begin.streams < 1 || begin.streams > kMaxStreams) {
    return invalid_geometry("streams", std::to_string(begin.streams), range_text(1, kMaxStreams));
  }
  if (std::optional<Error> angles = check_angles(begin)) return angles;
  if (!std::isfinite(begin.center_offset_px) || 2.0 * std::abs(begin.center_offset_px) >= begin.cols) {
    return invalid_geometry("center_offset_px", detail::format_number(begin.center_offset_px),
                            "a finite value with |center_offset_px| < cols / 2 = " +
                                detail::format_number(begin.cols / 2.0) + " (the axis must lie on the detector)");
  }
  if (begin.pixel_size_um && !(std::isfinite(*begin.pixel_size_um) && *begin.pixel_size_um > 0.0)) {
    return invalid_geometry("pixel_size_um", detail::format_number(*begin.pixel_size_um), "a finite value > 0");
  }
  return check_half_acquisition(begin);
}

namespace {

FrameHeader read_frame(FrameKind kind, MapReader& fields) {
  FrameHeader frame = detail::read_fields<FrameHeader>(fields);
  frame.kind = kind;
  if (frame.angle_deg && !std::isfinite(*frame.angle_deg)) {
    fields.fail(ErrorCode::wrong_field_type, "field " + fields.field_name("angle_deg") + ": found " +
                                                 detail::describe(*fields.find("angle_deg")) +
                                                 ", expected a finite number of degrees");
  }
  return frame;
}

// rows * cols * itemsize in bytes, or nullopt when that does not fit 64 bits (no payload can match it).
std::optional<std::uint64_t> expected_payload_bytes(const FrameHeader& frame) {
  const std::uint64_t pixels = std::uint64_t{frame.rows} * frame.cols;  // < 2^64 for 32-bit rows and cols
  const std::uint64_t item = itemsize(frame.dtype);
  if (item != 0 && pixels > std::numeric_limits<std::uint64_t>::max() / item) return std::nullopt;
  return pixels * item;
}

}  // namespace

Expected<DataMessage> decode_data_header(ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  MapReader fields = header->fields();
  const std::string& type = header->type;

  if (type == kBeginType) {
    ScanBegin begin = detail::read_fields<ScanBegin>(fields);
    if (fields.error()) return *fields.error();
    if (std::optional<Error> invalid = check_geometry(begin)) return *invalid;
    return DataMessage(std::move(begin));
  }
  if (type == kEndType) {
    return detail::decoded<DataMessage>(fields, detail::read_fields<ScanEnd>(fields));
  }
  if (std::optional<FrameKind> kind = parse_frame_kind(type)) {
    return detail::decoded<DataMessage>(fields, read_frame(*kind, fields));
  }
  return detail::unknown_type(type, kDataTypes);
}

std::optional<Error> check_frame_payload(const FrameHeader& header, std::optional<std::size_t> payload_bytes) {
  const std::optional<std::uint64_t> expected = expected_payload_bytes(header);
  const std::string expected_text = std::to_string(header.rows) + " x " + std::to_string(header.cols) + " x " +
                                    std::to_string(itemsize(header.dtype)) + " = " +
                                    (expected ? std::to_string(*expected) : "more than 2^64") +
                                    " bytes (rows x cols x itemsize of " + std::string(to_string(header.dtype)) + ")";
  if (!payload_bytes) {
    return Error{ErrorCode::missing_payload, std::string(to_string(header.kind)) + " frame " +
                                                 std::to_string(header.frame_id) +
                                                 " has no payload (part 2); expected " + expected_text};
  }
  if (!expected || *payload_bytes != *expected) {
    return Error{ErrorCode::size_mismatch,
                 "payload is " + std::to_string(*payload_bytes) + " bytes, expected " + expected_text};
  }
  return std::nullopt;
}

Bytes encode(const ScanBegin& begin) {
  MapWriter header = detail::message_header(kBeginType);
  detail::write_fields(header, begin);
  return header.bytes();
}

Bytes encode(const FrameHeader& frame) {
  MapWriter header = detail::message_header(to_string(frame.kind));
  detail::write_fields(header, frame);
  return header.bytes();
}

Bytes encode(const ScanEnd& end) {
  MapWriter header = detail::message_header(kEndType);
  detail::write_fields(header, end);
  return header.bytes();
}

namespace detail {

// Exactly one of the two forms: "angles_deg", or "angle_start_deg" + "angle_step_deg".
void read_special(MapReader& fields, AngleSpec& angles) {
  const bool table = fields.has("angles_deg");
  const bool range = fields.has("angle_start_deg") || fields.has("angle_step_deg");
  if (table && range) {
    fields.fail(
        ErrorCode::invalid_geometry,
        "both \"angles_deg\" and \"angle_start_deg\"/\"angle_step_deg\" are given; expected exactly one form");
  } else if (table) {
    angles = AngleTable{fields.required<std::vector<double>>("angles_deg")};
  } else if (!range) {
    fields.fail(ErrorCode::missing_field,
                "missing angles: expected \"angles_deg\" or \"angle_start_deg\" + \"angle_step_deg\"");
  } else {
    // Braced initialisation reads left to right, so a missing start is reported before a missing step.
    angles = AngleRange{fields.required<double>("angle_start_deg"), fields.required<double>("angle_step_deg")};
  }
}

void write_special(MapWriter& out, const AngleSpec& angles) {
  if (const auto* table = std::get_if<AngleTable>(&angles)) {
    out.field("angles_deg", table->angles_deg);
  } else {
    const auto& range = std::get<AngleRange>(angles);
    out.field("angle_start_deg", range.start_deg).field("angle_step_deg", range.step_deg);
  }
}

}  // namespace detail
}  // namespace tomolive::protocol
