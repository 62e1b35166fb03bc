// Control messages (client REQ <-> daemon REP): requests and replies with their results.
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "msgpack_reader.hpp"
#include "msgpack_writer.hpp"
#include "shared_maps.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol {
namespace {

using detail::MapReader;
using detail::MapWriter;

constexpr std::string_view kReplyType = "reply";
constexpr std::string_view kRequestTypes =
    "get_status, set_center, set_slices, get_slice, estimate_center, sweep_center, set_processing";
constexpr std::string_view kFilterWindows = "ram-lak, shepp-logan, cosine, hamming, hann or parzen";

template <typename... Lambdas>
struct Overloaded : Lambdas... {
  using Lambdas::operator()...;
};
template <typename... Lambdas>
Overloaded(Lambdas...) -> Overloaded<Lambdas...>;  // for compilers without aggregate deduction (clang < 17)

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

Expected<ControlRequest> read_set_center(MapReader& fields) {
  SetCenter request{fields.optional<double>("center_offset_px"), fields.optional<double>("center_column_px")};
  if (fields.error()) return *fields.error();
  if (request.center_offset_px.has_value() == request.center_column_px.has_value()) {
    return invalid_argument(
        std::string("set_center needs exactly one of center_offset_px or center_column_px; got ") +
        (request.center_offset_px ? "both" : "neither"));
  }
  if (std::optional<Error> error = check_finite(
          {{"center_offset_px", request.center_offset_px}, {"center_column_px", request.center_column_px}})) {
    return *error;
  }
  return ControlRequest(request);
}

Expected<ControlRequest> read_set_slices(MapReader& fields) {
  SetSlices request{fields.optional<std::uint32_t>("xy_row"), fields.optional<double>("xz_y_px"),
                    fields.optional<double>("yz_x_px")};
  if (fields.error()) return *fields.error();
  if (!request.xy_row && !request.xz_y_px && !request.yz_x_px) {
    return invalid_argument("set_slices needs at least one of xy_row, xz_y_px, yz_x_px; got none");
  }
  if (std::optional<Error> error = check_finite({{"xz_y_px", request.xz_y_px}, {"yz_x_px", request.yz_x_px}})) {
    return *error;
  }
  return ControlRequest(request);
}

Expected<ControlRequest> read_estimate_center(MapReader& fields) {
  EstimateCenter request;
  if (fields.has("method")) {
    request.method = fields.required_name("method", &parse_center_method, ErrorCode::invalid_argument,
                                          "registration or metric");
  }
  request.apply = fields.optional<bool>("apply").value_or(false);
  return detail::decoded(fields, ControlRequest(request));
}

Expected<ControlRequest> read_sweep_center(MapReader& fields) {
  SweepCenter request;
  request.start_offset_px = fields.required<double>("start_offset_px");
  request.step_px = fields.required<double>("step_px");
  request.count = fields.required<std::uint32_t>("count");
  request.xy_row = fields.optional<std::uint32_t>("xy_row");
  request.region = fields.optional<SliceRegionField>("region");
  if (fields.error()) return *fields.error();
  if (std::optional<Error> error =
          check_finite({{"start_offset_px", request.start_offset_px}, {"step_px", request.step_px}})) {
    return *error;
  }
  if (!(request.step_px > 0.0)) {
    return invalid_argument("step_px = " + detail::format_number(request.step_px) + " must be > 0");
  }
  if (request.count < 1 || request.count > kMaxSweepCount) {
    return invalid_argument("count = " + std::to_string(request.count) + " is out of range; expected 1.." +
                            std::to_string(kMaxSweepCount));
  }
  return ControlRequest(request);
}

Expected<ControlRequest> read_set_processing(MapReader& fields) {
  SetProcessing request;
  if (fields.has("window")) {
    request.window =
        fields.required_name("window", &parse_filter_window, ErrorCode::invalid_argument, kFilterWindows);
  }
  if (std::optional<MapReader> zingers = fields.optional_map("zingers")) {
    request.zingers = ZingersUpdate{zingers->optional<bool>("enabled"), zingers->optional<double>("threshold")};
  }
  if (std::optional<MapReader> phase = fields.optional_map("phase")) {
    request.phase = PhaseUpdate{phase->optional<bool>("enabled"), phase->optional<double>("energy_kev"),
                                phase->optional<double>("distance_m"), phase->optional<double>("pixel_size_um"),
                                phase->optional<double>("delta_over_beta")};
  }
  if (std::optional<MapReader> rings = fields.optional_map("rings")) {
    request.rings = RingsUpdate{rings->optional<bool>("enabled"), rings->optional<std::uint32_t>("size")};
  }
  if (fields.error()) return *fields.error();
  if (!request.window && !request.zingers && !request.phase && !request.rings) {
    return invalid_argument("set_processing needs at least one of window, zingers, phase, rings; got none");
  }
  return ControlRequest(request);
}

MapWriter zingers_update_map(const ZingersUpdate& zingers) {
  MapWriter map;
  map.optional("enabled", zingers.enabled).optional("threshold", zingers.threshold);
  return map;
}

MapWriter phase_update_map(const PhaseUpdate& phase) {
  MapWriter map;
  map.optional("enabled", phase.enabled)
      .optional("energy_kev", phase.energy_kev)
      .optional("distance_m", phase.distance_m)
      .optional("pixel_size_um", phase.pixel_size_um)
      .optional("delta_over_beta", phase.delta_over_beta);
  return map;
}

MapWriter rings_update_map(const RingsUpdate& rings) {
  MapWriter map;
  map.optional("enabled", rings.enabled).optional("size", rings.size);
  return map;
}

// --- results ---

MapWriter memory_map(const MemoryPlan& memory) {
  MapWriter map;
  map.field("device", memory.device)
      .field("store_precision", memory.store_precision)
      .field("store_bytes", memory.store_bytes)
      .field("corrected_store_bytes", memory.corrected_store_bytes)
      .field("slice_bytes", memory.slice_bytes)
      .field("other_bytes", memory.other_bytes)
      .field("total_bytes", memory.total_bytes)
      .field("available_bytes", memory.available_bytes);
  return map;
}

MemoryPlan read_memory(MapReader fields) {
  MemoryPlan memory;
  memory.device = fields.required<std::string>("device");
  memory.store_precision = fields.required<std::string>("store_precision");
  memory.store_bytes = fields.required<std::uint64_t>("store_bytes");
  memory.corrected_store_bytes = fields.required<std::uint64_t>("corrected_store_bytes");
  memory.slice_bytes = fields.required<std::uint64_t>("slice_bytes");
  memory.other_bytes = fields.required<std::uint64_t>("other_bytes");
  memory.total_bytes = fields.required<std::uint64_t>("total_bytes");
  memory.available_bytes = fields.required<std::uint64_t>("available_bytes");
  return memory;
}

MapWriter estimate_map(const CenterEstimateResult& estimate) {
  MapWriter map;
  map.field("method", estimate.method)
      .field("center_offset_px", estimate.center_offset_px)
      .field("center_column_px", estimate.center_column_px)
      .field("confidence", estimate.confidence)
      .field("samples", estimate.samples)
      .field("elapsed_ms", estimate.elapsed_ms)
      .field("applied", estimate.applied);
  return map;
}

CenterEstimateResult read_estimate(MapReader fields) {
  CenterEstimateResult estimate;
  estimate.method = fields.required<std::string>("method");
  estimate.center_offset_px = fields.required<double>("center_offset_px");
  estimate.center_column_px = fields.required<double>("center_column_px");
  estimate.confidence = fields.required<double>("confidence");
  estimate.samples = fields.required<std::uint32_t>("samples");
  estimate.elapsed_ms = fields.required<double>("elapsed_ms");
  estimate.applied = fields.required<bool>("applied");
  return estimate;
}

MapWriter sweep_map(const SweepResult& sweep) {
  MapWriter map;
  map.field("xy_row", sweep.xy_row)
      .field("region", sweep.region)
      .field("centers_px", sweep.centers_px)
      .field("metric", sweep.metric)
      .field("best_offset_px", sweep.best_offset_px)
      .field("elapsed_ms", sweep.elapsed_ms);
  return map;
}

SweepResult read_sweep(MapReader fields) {
  SweepResult sweep;
  sweep.xy_row = fields.required<std::uint32_t>("xy_row");
  sweep.region = fields.required<SliceRegionField>("region");
  sweep.centers_px = fields.required<std::vector<double>>("centers_px");
  sweep.metric = fields.required<std::vector<double>>("metric");
  sweep.best_offset_px = fields.required<double>("best_offset_px");
  sweep.elapsed_ms = fields.required<double>("elapsed_ms");
  return sweep;
}

// The setting's zingers, phase and rings maps are written as updates that give every field.
MapWriter processing_map(const ProcessingSetting& processing) {
  const ProcessingSetting::Phase& phase = processing.phase;
  const MapWriter zingers = zingers_update_map({processing.zingers.enabled, processing.zingers.threshold});
  const MapWriter phase_map = phase_update_map(
      {phase.enabled, phase.energy_kev, phase.distance_m, phase.pixel_size_um, phase.delta_over_beta});
  const MapWriter rings = rings_update_map({processing.rings.enabled, processing.rings.size});
  MapWriter half;
  half.field("enabled", processing.half_acquisition.enabled)
      .field("detector_col0", processing.half_acquisition.detector_col0)
      .field("detector_cols", processing.half_acquisition.detector_cols);
  MapWriter map;
  map.field("window", to_string(processing.window))
      .map("zingers", zingers)
      .map("phase", phase_map)
      .map("rings", rings)
      .map("half_acquisition", half);
  return map;
}

ProcessingSetting read_processing(MapReader fields) {
  ProcessingSetting processing;
  processing.window =
      fields.required_name("window", &parse_filter_window, ErrorCode::wrong_field_type, kFilterWindows);
  MapReader zingers = fields.required_map("zingers");
  processing.zingers = {zingers.required<bool>("enabled"), zingers.required<double>("threshold")};
  MapReader phase = fields.required_map("phase");
  processing.phase = {phase.required<bool>("enabled"), phase.required<double>("energy_kev"),
                      phase.required<double>("distance_m"), phase.required<double>("pixel_size_um"),
                      phase.required<double>("delta_over_beta")};
  MapReader rings = fields.required_map("rings");
  processing.rings = {rings.required<bool>("enabled"), rings.required<std::uint32_t>("size")};
  MapReader half = fields.required_map("half_acquisition");
  processing.half_acquisition = {half.required<bool>("enabled"), half.required<std::uint32_t>("detector_col0"),
                                 half.required<std::uint32_t>("detector_cols")};
  return processing;
}

void write_refilter_fields(MapWriter& out, const RefilterResult& refilter) {
  out.field("projections", refilter.projections)
      .field("elapsed_ms", refilter.elapsed_ms)
      .field("zingers_replaced", refilter.zingers_replaced)
      .field("clamped_values", refilter.clamped_values);
}

RefilterResult read_refilter_fields(MapReader& fields) {
  RefilterResult refilter;
  refilter.projections = fields.required<std::uint32_t>("projections");
  refilter.elapsed_ms = fields.required<double>("elapsed_ms");
  refilter.zingers_replaced = fields.required<std::uint64_t>("zingers_replaced");
  refilter.clamped_values = fields.required<std::uint64_t>("clamped_values");
  return refilter;
}

MapWriter processing_result_map(const ProcessingResult& result) {
  MapWriter refilter;
  write_refilter_fields(refilter, result.refilter);
  MapWriter map;
  map.map("processing", processing_map(result.processing)).map("refilter", refilter);
  return map;
}

ProcessingResult read_processing_result(MapReader fields) {
  ProcessingResult result;
  result.processing = read_processing(fields.required_map("processing"));
  MapReader refilter = fields.required_map("refilter");
  result.refilter = read_refilter_fields(refilter);
  return result;
}

MapWriter scan_status_map(const ScanStatus& scan) {
  MapWriter map;
  map.field("scan_id", scan.scan_id)
      .field("name", scan.name)
      .field("state", scan.state)
      .field("rows", scan.rows)
      .field("cols", scan.cols)
      .field("window", scan.window)
      .field("half_acquisition", scan.half_acquisition)
      .field("slice_cols", scan.slice_cols)
      .field("darks_received", scan.darks_received)
      .field("darks_expected", scan.darks_expected)
      .field("flats_received", scan.flats_received)
      .field("flats_expected", scan.flats_expected)
      .field("projections_received", scan.projections_received)
      .field("projections_expected", scan.projections_expected)
      .field("projections_missing", scan.projections_missing)
      .field("projection_rate_hz", scan.projection_rate_hz)
      .field("center_offset_px", scan.center_offset_px)
      .field("center_column_px", scan.center_column_px)
      .field("xy_row", scan.xy_row)
      .field("xz_y_px", scan.xz_y_px)
      .field("yz_x_px", scan.yz_x_px)
      .optional("pixel_size_um", scan.pixel_size_um)
      .map("memory", memory_map(scan.memory));
  if (scan.center_estimate) map.map("center_estimate", estimate_map(*scan.center_estimate));
  if (scan.refilter) {
    MapWriter refilter;
    refilter.field("reason", scan.refilter->reason);
    write_refilter_fields(refilter, scan.refilter->refilter);
    map.map("refilter", refilter);
  }
  return map;
}

ScanStatus read_scan_status(MapReader fields) {
  ScanStatus scan;
  scan.scan_id = fields.required<std::uint64_t>("scan_id");
  scan.name = fields.required<std::string>("name");
  scan.state = fields.required<std::string>("state");
  scan.rows = fields.required<std::uint32_t>("rows");
  scan.cols = fields.required<std::uint32_t>("cols");
  scan.window = fields.required<std::uint32_t>("window");
  scan.half_acquisition = fields.required<bool>("half_acquisition");
  scan.slice_cols = fields.required<std::uint32_t>("slice_cols");
  scan.darks_received = fields.required<std::uint32_t>("darks_received");
  scan.darks_expected = fields.required<std::uint32_t>("darks_expected");
  scan.flats_received = fields.required<std::uint32_t>("flats_received");
  scan.flats_expected = fields.required<std::uint32_t>("flats_expected");
  scan.projections_received = fields.required<std::uint32_t>("projections_received");
  scan.projections_expected = fields.required<std::uint32_t>("projections_expected");
  scan.projections_missing = fields.required<std::uint32_t>("projections_missing");
  scan.projection_rate_hz = fields.required<double>("projection_rate_hz");
  scan.center_offset_px = fields.required<double>("center_offset_px");
  scan.center_column_px = fields.required<double>("center_column_px");
  scan.xy_row = fields.required<std::uint32_t>("xy_row");
  scan.xz_y_px = fields.required<double>("xz_y_px");
  scan.yz_x_px = fields.required<double>("yz_x_px");
  scan.pixel_size_um = fields.optional<double>("pixel_size_um");
  scan.memory = read_memory(fields.required_map("memory"));
  if (std::optional<MapReader> estimate = fields.optional_map("center_estimate")) {
    scan.center_estimate = read_estimate(*estimate);
  }
  if (std::optional<MapReader> refilter = fields.optional_map("refilter")) {
    scan.refilter = ScanRefilter{refilter->required<std::string>("reason"), read_refilter_fields(*refilter)};
  }
  return scan;
}

MapWriter status_map(const Status& status) {
  MapWriter map;
  map.field("version", status.version)
      .field("engine", status.engine)
      .field("uptime_s", status.uptime_s)
      .field("counters", status.counters)
      .field("rejected_by_reason", status.rejected_by_reason)
      .map("processing", processing_map(status.processing));
  if (status.scan) map.map("scan", scan_status_map(*status.scan));
  return map;
}

Status read_status(MapReader fields) {
  Status status;
  status.version = fields.required<std::string>("version");
  status.engine = fields.required<std::string>("engine");
  status.uptime_s = fields.required<double>("uptime_s");
  status.counters = fields.required<CounterList>("counters");
  status.rejected_by_reason = fields.required<CounterList>("rejected_by_reason");
  status.processing = read_processing(fields.required_map("processing"));
  if (std::optional<MapReader> scan = fields.optional_map("scan")) status.scan = read_scan_status(*scan);
  return status;
}

MapWriter center_map(const CenterResult& center) {
  MapWriter map;
  map.field("center_offset_px", center.center_offset_px)
      .field("center_column_px", center.center_column_px)
      .field("recompute_ms", center.recompute_ms);
  return map;
}

CenterResult read_center(MapReader fields) {
  CenterResult center;
  center.center_offset_px = fields.required<double>("center_offset_px");
  center.center_column_px = fields.required<double>("center_column_px");
  center.recompute_ms = fields.required<double>("recompute_ms");
  return center;
}

MapWriter slices_map(const SlicesResult& slices) {
  MapWriter map;
  map.field("xy_row", slices.xy_row)
      .field("xz_y_px", slices.xz_y_px)
      .field("yz_x_px", slices.yz_x_px)
      .field("recompute_ms", slices.recompute_ms);
  return map;
}

SlicesResult read_slices(MapReader fields) {
  SlicesResult slices;
  slices.xy_row = fields.required<std::uint32_t>("xy_row");
  slices.xz_y_px = fields.required<double>("xz_y_px");
  slices.yz_x_px = fields.required<double>("yz_x_px");
  slices.recompute_ms = fields.required<double>("recompute_ms");
  return slices;
}

MapWriter slice_map(const SliceUpdate& slice) {
  MapWriter map;
  detail::write_slice_fields(map, slice);
  return map;
}

// The result map of a reply, or nullopt when the result is empty.
std::optional<MapWriter> result_map(const ReplyResult& result) {
  return std::visit(Overloaded{[](std::monostate) { return std::optional<MapWriter>(); },
                               [](const Status& status) { return std::optional(status_map(status)); },
                               [](const CenterResult& center) { return std::optional(center_map(center)); },
                               [](const SlicesResult& slices) { return std::optional(slices_map(slices)); },
                               [](const SliceUpdate& slice) { return std::optional(slice_map(slice)); },
                               [](const CenterEstimateResult& estimate) { return std::optional(estimate_map(estimate)); },
                               [](const SweepResult& sweep) { return std::optional(sweep_map(sweep)); },
                               [](const ProcessingResult& processing) {
                                 return std::optional(processing_result_map(processing));
                               }},
                    result);
}

// The result type is the one of the command; the result of a command this library does not know is skipped.
ReplyResult read_result(const std::string& command, MapReader fields) {
  if (command == command_name(GetStatus{})) return read_status(fields);
  if (command == command_name(SetCenter{})) return read_center(fields);
  if (command == command_name(SetSlices{})) return read_slices(fields);
  if (command == command_name(GetSlice{})) return detail::read_slice_fields(fields);
  if (command == command_name(EstimateCenter{})) return read_estimate(fields);
  if (command == command_name(SweepCenter{})) return read_sweep(fields);
  if (command == command_name(SetProcessing{})) return read_processing_result(fields);
  return std::monostate{};
}

}  // namespace

Expected<ControlRequest> decode_control_request(ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  MapReader fields = header->fields();
  const std::string& type = header->type;

  if (type == command_name(GetStatus{})) return ControlRequest(GetStatus{});
  if (type == command_name(SetCenter{})) return read_set_center(fields);
  if (type == command_name(SetSlices{})) return read_set_slices(fields);
  if (type == command_name(GetSlice{})) {
    const SliceKind slice =
        fields.required_name("slice", &parse_slice_kind, ErrorCode::invalid_argument, "xy, xz or yz");
    return detail::decoded(fields, ControlRequest(GetSlice{slice}));
  }
  if (type == command_name(EstimateCenter{})) return read_estimate_center(fields);
  if (type == command_name(SweepCenter{})) return read_sweep_center(fields);
  if (type == command_name(SetProcessing{})) return read_set_processing(fields);
  return detail::unknown_type(type, kRequestTypes);
}

Bytes encode(const ControlRequest& request) {
  MapWriter header = detail::message_header(command_name(request));
  std::visit(Overloaded{[](const GetStatus&) {},
                        [&](const SetCenter& center) {
                          header.optional("center_offset_px", center.center_offset_px)
                              .optional("center_column_px", center.center_column_px);
                        },
                        [&](const SetSlices& slices) {
                          header.optional("xy_row", slices.xy_row)
                              .optional("xz_y_px", slices.xz_y_px)
                              .optional("yz_x_px", slices.yz_x_px);
                        },
                        [&](const GetSlice& get) { header.field("slice", to_string(get.slice)); },
                        [&](const EstimateCenter& estimate) {
                          header.field("method", to_string(estimate.method)).field("apply", estimate.apply);
                        },
                        [&](const SweepCenter& sweep) {
                          header.field("start_offset_px", sweep.start_offset_px)
                              .field("step_px", sweep.step_px)
                              .field("count", sweep.count)
                              .optional("xy_row", sweep.xy_row)
                              .optional("region", sweep.region);
                        },
                        [&](const SetProcessing& processing) {
                          if (processing.window) header.field("window", to_string(*processing.window));
                          if (processing.zingers) header.map("zingers", zingers_update_map(*processing.zingers));
                          if (processing.phase) header.map("phase", phase_update_map(*processing.phase));
                          if (processing.rings) header.map("rings", rings_update_map(*processing.rings));
                        }},
             request);
  return header.bytes();
}

Bytes encode(const Reply& reply) {
  MapWriter header = detail::message_header(kReplyType);
  header.field("command", reply.command).field("ok", reply.ok());
  if (reply.error) {
    header.map("error", detail::error_map(*reply.error));
  } else if (std::optional<MapWriter> result = result_map(reply.result)) {
    header.map("result", *result);
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
    reply.error = detail::read_error(fields.required_map("error"));
  } else if (std::optional<MapReader> result = fields.optional_map("result")) {
    reply.result = read_result(reply.command, *result);
  }
  return detail::decoded(fields, std::move(reply));
}

}  // namespace tomolive::protocol
