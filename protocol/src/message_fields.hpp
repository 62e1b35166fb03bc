// The field list of every protocol map, written once (internal to tomolive_protocol; the codec tests read it too).
//
// `visit_fields(visitor, message)` calls the visitor once per key of the message's map, in wire order, saying how
// the key is read and written. The reader (field_codec.hpp) decodes with it, the writer encodes with it, and the
// tests walk it to check every listed field; so reading and writing cannot disagree on a key, a type or an order.
// The order matters: when several fields are wrong, the first in the list is the one reported.
//
// What a visitor is called with:
//   field(key, member)             required; a std::optional member makes it optional (absent or nil = nullopt,
//                                  written only when set)
//   field(key, member, Default{})  optional with a default (absent or nil = the default); written unless it equals
//                                  the default and the Default says so
//   name(key, member, rule[, Default{}])  an enumerator as its wire name (see NameRule); std::optional as above
//   constant(key, value, rule, why)       a name that must be `value` (e.g. a slice's dtype); `why` explains it
//   shape(key, rows, cols)         required [rows, cols] array of unsigned 32-bit integers
//   map(key, member)               a nested map with its own field list; std::optional member = optional map
//   special(label, member)         keys with rules a list cannot express (a begin's two forms of angles): read
//                                  and written by read_special / write_special of field_codec.hpp
// Only a field's presence and type are the list's business; ranges and rules across fields (exactly one of, at
// least one of, finite, limits) are checked by each decoder next to its call of the reader.
#pragma once

#include <concepts>
#include <optional>
#include <string_view>
#include <type_traits>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::protocol::detail {

// `Self` is `Message` or const `Message`: the reader visits a message to fill, the writer a const one.
template <typename Self, typename Message>
concept FieldsOf = std::same_as<std::remove_const_t<Self>, Message>;

// How an enumerator travels: as a str that `parse` accepts. A str it rejects fails with `unknown_code`, and the
// message lists `expected`; other types fail with wrong_field_type.
template <typename Enum>
struct NameRule {
  std::optional<Enum> (*parse)(std::string_view);
  ErrorCode unknown_code;
  std::string_view expected;
};

// The value of an optional field that is absent (or nil), and whether the writer writes it when it has that value.
enum class WhenDefault { written, omitted };
template <typename T>
struct Default {
  T value;
  WhenDefault when = WhenDefault::written;
};

inline constexpr NameRule<Dtype> kFrameDtype{&parse_dtype, ErrorCode::bad_dtype, "uint8, uint16, uint32, float32"};
inline constexpr NameRule<Dtype> kSliceDtype{&parse_dtype, ErrorCode::bad_dtype, "float32"};
inline constexpr NameRule<SliceKind> kPublishedSliceKind{&parse_slice_kind, ErrorCode::wrong_field_type,
                                                         "xy, xz or yz"};
inline constexpr NameRule<SliceKind> kRequestedSliceKind{&parse_slice_kind, ErrorCode::invalid_argument,
                                                         "xy, xz or yz"};
inline constexpr NameRule<ErrorCode> kErrorCodeName{&parse_error_code, ErrorCode::wrong_field_type,
                                                    "the error codes of PROTOCOL.md"};
inline constexpr NameRule<CenterMethod> kCenterMethodName{&parse_center_method, ErrorCode::invalid_argument,
                                                          "registration or metric"};
inline constexpr std::string_view kFilterWindowNames = "ram-lak, shepp-logan, cosine, hamming, hann or parzen";
// A window a client asks for (set_processing) is an argument; one the daemon reports is a field.
inline constexpr NameRule<FilterWindow> kRequestedWindow{&parse_filter_window, ErrorCode::invalid_argument,
                                                         kFilterWindowNames};
inline constexpr NameRule<FilterWindow> kReportedWindow{&parse_filter_window, ErrorCode::wrong_field_type,
                                                        kFilterWindowNames};

// --- maps shared by several messages ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Error> auto& error) {
  v.name("code", error.code, kErrorCodeName);
  v.field("message", error.message);
}

// --- data messages (the frame kind and the message type travel as "type", outside the list) ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanBegin> auto& begin) {
  v.field("scan_id", begin.scan_id);
  v.field("name", begin.name, Default<std::string>{"", WhenDefault::omitted});
  v.shape("shape", begin.rows, begin.cols);
  v.name("dtype", begin.dtype, kFrameDtype);
  v.field("num_darks", begin.num_darks);
  v.field("num_flats", begin.num_flats);
  v.field("num_projections", begin.num_projections);
  v.special("angles", begin.angles);  // "angles_deg", or "angle_start_deg" + "angle_step_deg"
  v.field("window", begin.window, Default<std::uint32_t>{0});
  v.field("streams", begin.streams, Default<std::uint32_t>{1});
  v.field("center_offset_px", begin.center_offset_px, Default<double>{0.0});
  v.field("pixel_size_um", begin.pixel_size_um);
  v.field("half_acquisition", begin.half_acquisition, Default<bool>{false, WhenDefault::omitted});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<FrameHeader> auto& frame) {
  v.field("scan_id", frame.scan_id);
  v.field("frame_id", frame.frame_id);
  v.shape("shape", frame.rows, frame.cols);
  v.name("dtype", frame.dtype, kFrameDtype);
  v.field("angle_deg", frame.angle_deg);
  v.field("timestamp_ns", frame.timestamp_ns);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanEnd> auto& end) {
  v.field("scan_id", end.scan_id);
}

// --- published messages (also the result of get_slice) ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SliceUpdate> auto& slice) {
  v.field("scan_id", slice.scan_id);
  v.name("slice", slice.slice, kPublishedSliceKind);
  v.field("position", slice.position);
  v.shape("shape", slice.rows, slice.cols);
  v.constant("dtype", Dtype::float32, kSliceDtype, "slices are float32");
  v.field("projections_included", slice.projections_included);
  v.field("sequence", slice.sequence);
  v.field("center_offset_px", slice.center_offset_px);
  v.field("received_ns", slice.received_ns);
  v.field("published_ns", slice.published_ns);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Event> auto& event) {
  v.field("kind", event.kind);
  v.field("scan_id", event.scan_id);
  v.field("frame_id", event.frame_id);
  v.map("error", event.error);
  v.field("message", event.message);
  v.field("time_ns", event.time_ns);
}

// --- control requests (their "type" is command_name) ---

template <typename Visitor>
void visit_fields(Visitor&, FieldsOf<GetStatus> auto&) {}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetCenter> auto& center) {
  v.field("center_offset_px", center.center_offset_px);
  v.field("center_column_px", center.center_column_px);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetSlices> auto& slices) {
  v.field("xy_row", slices.xy_row);
  v.field("xz_y_px", slices.xz_y_px);
  v.field("yz_x_px", slices.yz_x_px);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<GetSlice> auto& get) {
  v.name("slice", get.slice, kRequestedSliceKind);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<EstimateCenter> auto& estimate) {
  v.name("method", estimate.method, kCenterMethodName, Default<CenterMethod>{CenterMethod::registration});
  v.field("apply", estimate.apply, Default<bool>{false});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SweepCenter> auto& sweep) {
  v.field("start_offset_px", sweep.start_offset_px);
  v.field("step_px", sweep.step_px);
  v.field("count", sweep.count);
  v.field("xy_row", sweep.xy_row);
  v.field("region", sweep.region);
}

// The processing maps have the same keys in a set_processing request (every field optional: an Update) and in the
// setting the daemon reports (every field required: ProcessingSetting's members), so one list serves both.
template <typename Visitor, typename Zingers>
  requires FieldsOf<Zingers, ZingersUpdate> || FieldsOf<Zingers, ProcessingSetting::Zingers>
void visit_fields(Visitor& v, Zingers& zingers) {
  v.field("enabled", zingers.enabled);
  v.field("threshold", zingers.threshold);
}

template <typename Visitor, typename Phase>
  requires FieldsOf<Phase, PhaseUpdate> || FieldsOf<Phase, ProcessingSetting::Phase>
void visit_fields(Visitor& v, Phase& phase) {
  v.field("enabled", phase.enabled);
  v.field("energy_kev", phase.energy_kev);
  v.field("distance_m", phase.distance_m);
  v.field("pixel_size_um", phase.pixel_size_um);
  v.field("delta_over_beta", phase.delta_over_beta);
}

template <typename Visitor, typename Rings>
  requires FieldsOf<Rings, RingsUpdate> || FieldsOf<Rings, ProcessingSetting::Rings>
void visit_fields(Visitor& v, Rings& rings) {
  v.field("enabled", rings.enabled);
  v.field("size", rings.size);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetProcessing> auto& processing) {
  v.name("window", processing.window, kRequestedWindow);
  v.map("zingers", processing.zingers);
  v.map("phase", processing.phase);
  v.map("rings", processing.rings);
}

// --- results of control replies ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingSetting::HalfAcquisition> auto& half) {
  v.field("enabled", half.enabled);
  v.field("detector_col0", half.detector_col0);
  v.field("detector_cols", half.detector_cols);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingSetting> auto& processing) {
  v.name("window", processing.window, kReportedWindow);
  v.map("zingers", processing.zingers);
  v.map("phase", processing.phase);
  v.map("rings", processing.rings);
  v.map("half_acquisition", processing.half_acquisition);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<MemoryPlan> auto& memory) {
  v.field("device", memory.device);
  v.field("store_precision", memory.store_precision);
  v.field("store_bytes", memory.store_bytes);
  v.field("corrected_store_bytes", memory.corrected_store_bytes);
  v.field("slice_bytes", memory.slice_bytes);
  v.field("other_bytes", memory.other_bytes);
  v.field("total_bytes", memory.total_bytes);
  v.field("available_bytes", memory.available_bytes);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CenterEstimateResult> auto& estimate) {
  v.field("method", estimate.method);
  v.field("center_offset_px", estimate.center_offset_px);
  v.field("center_column_px", estimate.center_column_px);
  v.field("confidence", estimate.confidence);
  v.field("samples", estimate.samples);
  v.field("elapsed_ms", estimate.elapsed_ms);
  v.field("applied", estimate.applied);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<RefilterResult> auto& refilter) {
  v.field("projections", refilter.projections);
  v.field("elapsed_ms", refilter.elapsed_ms);
  v.field("zingers_replaced", refilter.zingers_replaced);
  v.field("clamped_values", refilter.clamped_values);
}

// One flat map: the reason, then the re-filter's own fields.
template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanRefilter> auto& refilter) {
  v.field("reason", refilter.reason);
  visit_fields(v, refilter.refilter);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanStatus> auto& scan) {
  v.field("scan_id", scan.scan_id);
  v.field("name", scan.name);
  v.field("state", scan.state);
  v.field("rows", scan.rows);
  v.field("cols", scan.cols);
  v.field("window", scan.window);
  v.field("half_acquisition", scan.half_acquisition);
  v.field("slice_cols", scan.slice_cols);
  v.field("darks_received", scan.darks_received);
  v.field("darks_expected", scan.darks_expected);
  v.field("flats_received", scan.flats_received);
  v.field("flats_expected", scan.flats_expected);
  v.field("projections_received", scan.projections_received);
  v.field("projections_expected", scan.projections_expected);
  v.field("projections_missing", scan.projections_missing);
  v.field("projection_rate_hz", scan.projection_rate_hz);
  v.field("center_offset_px", scan.center_offset_px);
  v.field("center_column_px", scan.center_column_px);
  v.field("xy_row", scan.xy_row);
  v.field("xz_y_px", scan.xz_y_px);
  v.field("yz_x_px", scan.yz_x_px);
  v.field("pixel_size_um", scan.pixel_size_um);
  v.map("memory", scan.memory);
  v.map("center_estimate", scan.center_estimate);
  v.map("refilter", scan.refilter);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Status> auto& status) {
  v.field("version", status.version);
  v.field("engine", status.engine);
  v.field("uptime_s", status.uptime_s);
  v.field("counters", status.counters);
  v.field("rejected_by_reason", status.rejected_by_reason);
  v.map("processing", status.processing);
  v.map("scan", status.scan);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CenterResult> auto& center) {
  v.field("center_offset_px", center.center_offset_px);
  v.field("center_column_px", center.center_column_px);
  v.field("recompute_ms", center.recompute_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SlicesResult> auto& slices) {
  v.field("xy_row", slices.xy_row);
  v.field("xz_y_px", slices.xz_y_px);
  v.field("yz_x_px", slices.yz_x_px);
  v.field("recompute_ms", slices.recompute_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SweepResult> auto& sweep) {
  v.field("xy_row", sweep.xy_row);
  v.field("region", sweep.region);
  v.field("centers_px", sweep.centers_px);
  v.field("metric", sweep.metric);
  v.field("best_offset_px", sweep.best_offset_px);
  v.field("elapsed_ms", sweep.elapsed_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingResult> auto& result) {
  v.map("processing", result.processing);
  v.map("refilter", result.refilter);
}

}  // namespace tomolive::protocol::detail
