// Control messages (client REQ <-> daemon REP): requests and replies with their results.
#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "field_codec.hpp"
#include "utf8.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol {
namespace {

using detail::MapReader;
using detail::MapWriter;

constexpr std::string_view kReplyType = "reply";
constexpr std::string_view kRequestTypes =
    "get_status, set_center, set_slices, get_slice, estimate_center, sweep_center, set_processing, set_scan_plan, "
    "reconstruct_volume, cancel_volume, record, capture, sweep_processing, set_oblique_slice, get_defective_pixels, "
    "center_sample, set_preview";

// --- requests ---

Error invalid_argument(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

// nullopt when every given value is finite, else the error naming the first that is not.
std::optional<Error> check_finite(std::initializer_list<std::pair<std::string_view, std::optional<double>>> values) {
  for (const auto& [name, value] : values) {
    if (value && !std::isfinite(*value)) {
      return invalid_argument(std::string(name) + " = " + detail::format_number(*value) + " is not finite");
    }
  }
  return std::nullopt;
}

// The rules of a request beyond its fields' types (invalid_argument); nullopt when it may be executed.
std::optional<Error> check_request(const GetStatus&) { return std::nullopt; }
std::optional<Error> check_request(const GetSlice&) { return std::nullopt; }
std::optional<Error> check_request(const EstimateCenter&) { return std::nullopt; }
std::optional<Error> check_request(const CancelVolume&) { return std::nullopt; }
std::optional<Error> check_request(const Record&) { return std::nullopt; }
std::optional<Error> check_request(const GetDefectivePixels&) { return std::nullopt; }

// Ranges against the scan (the region inside the slice, the rows inside the detector) are the daemon's checks.
std::optional<Error> check_request(const ReconstructVolume& request) {
  if (request.binning < 1 || request.binning > kMaxVolumeBinning) {
    return invalid_argument("binning = " + std::to_string(request.binning) + " is out of range; expected 1.." +
                            std::to_string(kMaxVolumeBinning));
  }
  if (request.region && ((*request.region)[2] == 0 || (*request.region)[3] == 0)) {
    return invalid_argument("region [" + std::to_string((*request.region)[0]) + ", " +
                            std::to_string((*request.region)[1]) + ", " + std::to_string((*request.region)[2]) + ", " +
                            std::to_string((*request.region)[3]) + "] ([row0, col0, rows, cols]) is empty");
  }
  if (request.rows && (*request.rows)[1] == 0) {
    return invalid_argument("rows [" + std::to_string((*request.rows)[0]) + ", 0] ([first, count]) is empty");
  }
  return std::nullopt;
}

std::optional<Error> check_request(const CenterSample& request) {
  const bool from_slice = request.slice == "xy" || request.slice == "xz" || request.slice == "yz";
  if (!from_slice && request.slice != "projections") {
    return invalid_argument("slice = \"" + request.slice + "\" is not one of xy, xz, yz, projections");
  }
  if (from_slice && (request.point.has_value() == request.box.has_value())) {
    return invalid_argument("a point of slice " + request.slice +
                            " needs exactly one of point [row, col] and box [row0, col0, rows, cols]");
  }
  if (request.point && request.point->size() != 2) {
    return invalid_argument("point has " + std::to_string(request.point->size()) + " values; expected [row, col]");
  }
  if (request.box && request.box->size() != 4) {
    return invalid_argument("box has " + std::to_string(request.box->size()) +
                            " values; expected [row0, col0, rows, cols]");
  }
  for (const auto* values : {&request.point, &request.box}) {
    if (!*values) continue;
    for (const double value : **values) {
      if (std::optional<Error> error = check_finite({{values == &request.point ? "point" : "box", value}})) {
        return error;
      }
    }
  }
  if (request.box && ((*request.box)[2] < 0.0 || (*request.box)[3] < 0.0)) {
    return invalid_argument("box rows and cols must be >= 0");
  }
  if (std::optional<Error> error = check_finite({{"pixel_size_um", request.pixel_size_um}})) return error;
  if (request.pixel_size_um && !(*request.pixel_size_um > 0.0)) {
    return invalid_argument("pixel_size_um = " + detail::format_number(*request.pixel_size_um) + " must be > 0");
  }
  return std::nullopt;
}

std::optional<Error> check_request(const Capture& request) {
  if (std::optional<Error> error = check_finite({{"after_s", request.after_s}})) return error;
  if (request.after_s < 0.0 || request.after_s > kMaxCaptureAfterS) {
    return invalid_argument("after_s = " + detail::format_number(request.after_s) + " is out of range; expected 0.." +
                            detail::format_number(kMaxCaptureAfterS) + " seconds");
  }
  return std::nullopt;
}

std::optional<Error> check_request(const SetCenter& request) {
  if (request.center_offset_px && request.center_column_px) {
    return invalid_argument("set_center takes one of center_offset_px or center_column_px; got both");
  }
  if (!request.center_offset_px && !request.center_column_px && !request.tilt_deg) {
    return invalid_argument("set_center needs center_offset_px, center_column_px or tilt_deg; got none");
  }
  return check_finite({{"center_offset_px", request.center_offset_px},
                       {"center_column_px", request.center_column_px},
                       {"tilt_deg", request.tilt_deg}});
}

std::optional<Error> check_request(const SetSlices& request) {
  if (!request.xy_row && !request.xz_y_px && !request.yz_x_px) {
    return invalid_argument("set_slices needs at least one of xy_row, xz_y_px, yz_x_px; got none");
  }
  return check_finite({{"xz_y_px", request.xz_y_px}, {"yz_x_px", request.yz_x_px}});
}

std::optional<Error> check_request(const SweepCenter& request) {
  if (std::optional<Error> error =
          check_finite({{"start_offset_px", request.start_offset_px}, {"step_px", request.step_px}})) {
    return error;
  }
  if (!(request.step_px > 0.0)) {
    return invalid_argument("step_px = " + detail::format_number(request.step_px) + " must be > 0");
  }
  if (request.count < 1 || request.count > kMaxSweepCount) {
    return invalid_argument("count = " + std::to_string(request.count) + " is out of range; expected 1.." +
                            std::to_string(kMaxSweepCount));
  }
  if (request.pixel_step && (*request.pixel_step < 1 || *request.pixel_step > kMaxSweepPixelStep)) {
    return invalid_argument("pixel_step = " + std::to_string(*request.pixel_step) + " is out of range; expected 1.." +
                            std::to_string(kMaxSweepPixelStep));
  }
  return std::nullopt;
}

// nullopt when `values` holds `size` finite numbers, else the error naming the field `name`.
std::optional<Error> check_numbers(std::string_view name, const std::vector<double>& values, std::size_t size) {
  if (values.size() != size) {
    return invalid_argument(std::string(name) + " has " + std::to_string(values.size()) + " numbers; expected " +
                            std::to_string(size));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return invalid_argument(std::string(name) + "[" + std::to_string(i) + "] = " +
                              detail::format_number(values[i]) + " is not finite");
    }
  }
  return std::nullopt;
}

// The candidates' form (one of values, windows, or start + stop + count) and count; their ranges against the
// parameter (delta/beta > 0, odd ring sizes) are the daemon's checks.
std::optional<Error> check_request(const SweepProcessing& request) {
  const bool range = request.start || request.stop || request.count || request.spacing;
  const int forms = int{request.values.has_value()} + int{request.windows.has_value()} + int{range};
  if (forms > 1) {
    return invalid_argument("sweep_processing takes one of values, windows, or start + stop + count; got " +
                            std::string(request.values ? "values " : "") + (request.windows ? "windows " : "") +
                            (range ? "a range" : ""));
  }
  const std::string parameter(to_string(request.parameter));
  const auto count_error = [](std::size_t count) {
    return invalid_argument(std::to_string(count) + " candidates is out of range; expected 1.." +
                            std::to_string(kMaxProcessingSweepCount));
  };
  if (request.parameter == SweepParameter::window) {
    if (request.values || range) {
      return invalid_argument("a window sweep takes windows (names), not values or a range");
    }
    if (request.windows && (request.windows->empty() || request.windows->size() > kMaxProcessingSweepCount)) {
      return count_error(request.windows->size());
    }
    return std::nullopt;
  }
  if (request.windows) return invalid_argument("windows is for parameter window, not " + parameter);
  if (forms == 0) return invalid_argument("sweep_processing of " + parameter + " needs values or start + stop + count");
  if (request.values) {
    if (request.values->empty() || request.values->size() > kMaxProcessingSweepCount) {
      return count_error(request.values->size());
    }
    return check_numbers("values", *request.values, request.values->size());
  }
  if (!request.start || !request.stop || !request.count) {
    return invalid_argument("a range needs start, stop and count; got" + std::string(request.start ? "" : " no start") +
                            (request.stop ? "" : " no stop") + (request.count ? "" : " no count"));
  }
  if (std::optional<Error> error = check_finite({{"start", request.start}, {"stop", request.stop}})) return error;
  if (*request.count < 1 || *request.count > kMaxProcessingSweepCount) return count_error(*request.count);
  return std::nullopt;
}

std::optional<Error> check_request(const SetObliqueSlice& request) {
  if (!request.enabled) return std::nullopt;
  if (request.normal.has_value() == request.points.has_value()) {
    return invalid_argument(std::string("set_oblique_slice needs exactly one of normal (with offset_px) or points; "
                                        "got ") +
                            (request.normal ? "both" : "neither"));
  }
  if (request.points) {
    if (request.offset_px) return invalid_argument("offset_px goes with normal, not with points");
    return check_numbers("points", *request.points, 9);
  }
  if (std::optional<Error> error = check_finite({{"offset_px", request.offset_px}})) return error;
  return check_numbers("normal", *request.normal, 3);
}

std::optional<Error> check_request(const SetPreview& request) {
  if (request.side && (*request.side < kMinPreviewSide || *request.side > kMaxPreviewSide)) {
    return invalid_argument("side = " + std::to_string(*request.side) + " voxels is out of range; expected " +
                            std::to_string(kMinPreviewSide) + ".." + std::to_string(kMaxPreviewSide));
  }
  return std::nullopt;
}

std::optional<Error> check_request(const SetProcessing& request) {
  if (!request.window && !request.zingers && !request.phase && !request.rings && !request.defective_pixels) {
    return invalid_argument(
        "set_processing needs at least one of window, zingers, phase, rings, defective_pixels; got none");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> check_scan_plan(const SetScanPlan& plan) {
  if (plan.layout && *plan.layout != std::vector<std::string>{"dark", "flat", "projection"}) {
    return invalid_argument("layout must be [\"dark\", \"flat\", \"projection\"] (one series holding all three, in "
                            "that order)");
  }
  if (plan.layout && plan.image_key) {
    return invalid_argument("give layout (one series holding all three kinds) or image_key (a series of one kind), "
                            "not both");
  }
  if (plan.image_key && plan.first_projection_image_id) {
    return invalid_argument("first_projection_image_id belongs to the layout form; a series of image_key \"" +
                            std::string(to_string(*plan.image_key)) + "\" numbers its images from 0");
  }
  if (plan.n_projections < 1 || plan.n_projections > kMaxProjections) {
    return invalid_argument("n_projections = " + std::to_string(plan.n_projections) + " is out of range; expected 1.." +
                            std::to_string(kMaxProjections));
  }
  for (const auto& [name, count] : {std::pair{"n_darks", plan.n_darks}, std::pair{"n_flats", plan.n_flats}}) {
    if (count > kMaxReferenceFrames) {
      return invalid_argument(std::string(name) + " = " + std::to_string(count) + " is out of range; expected 0.." +
                              std::to_string(kMaxReferenceFrames));
    }
  }
  const std::uint64_t references = std::uint64_t{plan.n_darks} + plan.n_flats;
  if (plan.first_projection_image_id && *plan.first_projection_image_id < references) {
    return invalid_argument("first_projection_image_id = " + std::to_string(*plan.first_projection_image_id) +
                            " falls among the " + std::to_string(references) +
                            " darks and flats that precede the projections; expected >= " +
                            std::to_string(references));
  }
  if (std::optional<Error> error = check_finite({{"angle_range_deg", plan.angle_range_deg},
                                                 {"angle_start_deg", plan.angle_start_deg},
                                                 {"angle_step_deg", plan.angle_step_deg},
                                                 {"center_offset_px", plan.center_offset_px}})) {
    return error;
  }
  if (plan.angle_start_deg.has_value() != plan.angle_step_deg.has_value()) {
    return invalid_argument("angle_start_deg and angle_step_deg go together; got only " +
                            std::string(plan.angle_start_deg ? "angle_start_deg" : "angle_step_deg"));
  }
  const int angle_forms = int{plan.angle_range_deg.has_value()} + int{plan.angle_start_deg.has_value()} +
                          int{plan.angles_deg.has_value()};
  if (angle_forms > 1) {
    return invalid_argument(
        "give at most one of angle_range_deg, angle_start_deg + angle_step_deg, angles_deg; got " +
        std::to_string(angle_forms));
  }
  if (plan.image_key) {
    const std::uint32_t count = *plan.image_key == FrameKind::dark   ? plan.n_darks
                                : *plan.image_key == FrameKind::flat ? plan.n_flats
                                                                     : plan.n_projections;
    if (count == 0) {
      const std::string kind(to_string(*plan.image_key));
      return invalid_argument("image_key \"" + kind + "\" with n_" + kind + "s = 0: the series would hold no image");
    }
  }
  if (plan.angles_deg) {
    if (plan.angles_deg->size() != plan.n_projections) {
      return invalid_argument("angles_deg has " + std::to_string(plan.angles_deg->size()) +
                              " angles; expected one per projection, " + std::to_string(plan.n_projections));
    }
    for (const double angle : *plan.angles_deg) {
      if (!std::isfinite(angle)) return invalid_argument("angles_deg holds " + detail::format_number(angle));
    }
  }
  return std::nullopt;
}

namespace {

std::optional<Error> check_request(const SetScanPlan& plan) { return check_scan_plan(plan); }

// The keys every request may carry besides its fields (section 3: the envelope; 2: the control token).
constexpr std::array<std::string_view, 3> kEnvelopeKeys = {"v", "type", "token"};

// invalid_argument naming the first key of `fields` that neither the envelope nor Request's field list names, for
// the requests whose keys a typo must not silently drop (set_scan_plan: a misspelt count would give another scan).
template <typename Request>
std::optional<Error> refuse_unknown_keys(const MapReader& fields) {
  detail::FieldNames names;
  const Request request{};
  visit_fields(names, request);
  for (const std::string_view key : fields.keys()) {
    if (std::ranges::find(kEnvelopeKeys, key) != kEnvelopeKeys.end() ||
        std::ranges::find(names.keys, key) != names.keys.end()) {
      continue;
    }
    std::string known;
    for (const std::string_view name : names.keys) known += (known.empty() ? "" : ", ") + std::string(name);
    return invalid_argument("unknown field " + detail::quote(key) + " of " +
                            std::string(command_name(ControlRequest(request))) + "; its fields are " + known);
  }
  return std::nullopt;
}
template <typename Request>
inline constexpr bool kRefusesUnknownKeys = std::is_same_v<Request, SetScanPlan>;

// The request of alternative `I` of ControlRequest or a later one whose command_name is `type`, read from `fields`
// and checked; unknown_type when none has that name.
template <std::size_t I = 0>
Expected<ControlRequest> read_request(std::string_view type, MapReader& fields) {
  if constexpr (I == std::variant_size_v<ControlRequest>) {
    return detail::unknown_type(type, kRequestTypes);
  } else {
    using Request = std::variant_alternative_t<I, ControlRequest>;
    if (type != command_name(ControlRequest(std::in_place_index<I>))) return read_request<I + 1>(type, fields);
    Request request = detail::read_fields<Request>(fields);
    if (fields.error()) return *fields.error();
    if constexpr (kRefusesUnknownKeys<Request>) {
      if (std::optional<Error> unknown = refuse_unknown_keys<Request>(fields)) return *unknown;
    }
    if (std::optional<Error> invalid = check_request(request)) return *invalid;
    return ControlRequest(std::move(request));
  }
}

// --- results ---

// The result type is the one of the command; the result of a command this library does not know is skipped.
ReplyResult read_result(const std::string& command, MapReader& fields) {
  if (command == command_name(GetStatus{})) return detail::read_fields<Status>(fields);
  if (command == command_name(SetCenter{})) return detail::read_fields<CenterResult>(fields);
  if (command == command_name(SetSlices{})) return detail::read_fields<SlicesResult>(fields);
  if (command == command_name(GetSlice{})) return detail::read_fields<SliceUpdate>(fields);
  if (command == command_name(EstimateCenter{})) return detail::read_fields<CenterEstimateResult>(fields);
  if (command == command_name(SweepCenter{})) return detail::read_fields<SweepResult>(fields);
  if (command == command_name(SetProcessing{})) return detail::read_fields<ProcessingResult>(fields);
  if (command == command_name(ReconstructVolume{}) || command == command_name(CancelVolume{})) {
    return detail::read_fields<VolumeStatus>(fields);
  }
  if (command == command_name(Record{})) return detail::read_fields<RecordingStatus>(fields);
  if (command == command_name(Capture{})) return detail::read_fields<CaptureStatus>(fields);
  if (command == command_name(SweepProcessing{})) return detail::read_fields<ProcessingSweepResult>(fields);
  if (command == command_name(SetObliqueSlice{})) return detail::read_fields<ObliqueResult>(fields);
  if (command == command_name(GetDefectivePixels{})) return detail::read_fields<DefectivePixelsResult>(fields);
  if (command == command_name(CenterSample{})) return detail::read_fields<CenterSampleResult>(fields);
  if (command == command_name(SetPreview{})) return detail::read_fields<PreviewStatus>(fields);
  return std::monostate{};
}

}  // namespace

Expected<ControlRequest> decode_control_request(ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  MapReader fields = header->fields();
  return read_request(header->type, fields);
}

namespace {

// The str value of `key` in the header map, or "" (not a map, no such key, not a str).
std::string header_str(ByteView header, std::string_view key) {
  Expected<msgpack::object_handle> map = detail::parse_map(header);
  if (!map) return "";
  const msgpack::object* value = MapReader(map->get()).find(key);
  if (value == nullptr || value->type != msgpack::type::STR) return "";
  const std::string_view text(value->via.str.ptr, value->via.str.size);
  // Never echo bytes a strict decoder refuses, nor control characters into a log line.
  const bool has_control = std::ranges::any_of(text, [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (has_control || detail::first_invalid_utf8(text)) return "";
  return std::string(text);
}

}  // namespace

std::string header_type(ByteView header) { return header_str(header, "type"); }

std::string request_token(ByteView request) { return header_str(request, "token"); }

Bytes encode(const ControlRequest& request) { return encode(request, {}); }

Bytes encode(const ControlRequest& request, std::string_view token) {
  MapWriter header = detail::message_header(command_name(request));
  std::visit([&](const auto& fields) { detail::write_fields(header, fields); }, request);
  if (!token.empty()) header.field("token", token);
  return header.bytes();
}

Bytes encode(const Reply& reply) {
  MapWriter header = detail::message_header(kReplyType);
  header.field("command", reply.command).field("ok", reply.ok());
  if (reply.error) {
    MapWriter error;
    detail::write_fields(error, *reply.error);
    header.map("error", error);
  } else if (!std::holds_alternative<std::monostate>(reply.result)) {
    MapWriter result;
    std::visit(
        [&](const auto& fields) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(fields)>, std::monostate>) {
            detail::write_fields(result, fields);
          }
        },
        reply.result);
    header.map("result", result);
  }
  return header.bytes();
}

Expected<Reply> decode_reply(ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  if (header->type != kReplyType) return detail::unknown_type(header->type, kReplyType);
  MapReader fields = header->fields();
  Reply reply;
  reply.command = fields.required<std::string>("command");
  if (!fields.required<bool>("ok")) {
    MapReader error = fields.required_map("error");
    reply.error = detail::read_fields<Error>(error);
  } else if (std::optional<MapReader> result = fields.optional_map("result")) {
    reply.result = read_result(reply.command, *result);
  }
  return detail::decoded(fields, std::move(reply));
}

}  // namespace tomolive::protocol
