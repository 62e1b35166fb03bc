// The field list of every protocol map, written once (internal to tomolive_protocol; the codec tests read it too).
//
// `visit_fields(visitor, message)` calls the visitor once per key of the message's map, in wire order, saying how
// the key is read and written. The reader (field_codec.hpp) decodes with it, the writer encodes with it, and the
// tests walk it to check every listed field; so reading and writing cannot disagree on a key, a type or an order.
// The order matters: when several fields are wrong, the first in the list is the one reported.
//
// What a visitor is called with:
//   field(key, member)             required; a std::optional member makes it optional (absent or nil = nullopt,
//                                  written only when set). TOMOLIVE_FIELDS(v, message, a, b) lists plain fields
//                                  whose key is the member's name: v.field("a", message.a); v.field("b", message.b);
//   field(key, member, Default{})  optional with a default (absent or nil = the default); written unless it equals
//                                  the default and the Default says so
//   name(key, member, rule[, Default{}])  an enumerator as its wire name (see NameRule); std::optional as above
//   constant(key, value, rule, why)       a name that must be `value` (e.g. a slice's dtype); `why` explains it
//   shape(key, rows, cols)         required [rows, cols] array of unsigned 32-bit integers
//   map(key, member)               a nested map with its own field list; std::optional member = optional map.
//                                  TOMOLIVE_MAPS(v, message, a, b) is to map what TOMOLIVE_FIELDS is to field
//   list(key, member)              a std::vector of nested maps, each with its own field list: an array of maps,
//                                  always written (empty: []); absent or nil reads as empty
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

// TOMOLIVE_FIELDS(visitor, object, member...): visitor.field("member", object.member); for each member, in order.
// TOMOLIVE_MAPS(visitor, object, member...): the same with visitor.map.
// (A for-each over the arguments: TOMOLIVE_EXPAND rescans 64 times, one member a rescan, so 64 members at most.)
#define TOMOLIVE_FIELDS(visitor, object, ...) TOMOLIVE_EACH(visitor.field, object, __VA_ARGS__)
#define TOMOLIVE_MAPS(visitor, object, ...) TOMOLIVE_EACH(visitor.map, object, __VA_ARGS__)
#define TOMOLIVE_EACH(call, object, ...) __VA_OPT__(TOMOLIVE_EXPAND(TOMOLIVE_EACH_STEP(call, object, __VA_ARGS__)))
#define TOMOLIVE_EACH_STEP(call, object, member, ...) \
  call(#member, object.member) __VA_OPT__(; TOMOLIVE_EACH_AGAIN TOMOLIVE_PARENS(call, object, __VA_ARGS__))
#define TOMOLIVE_EACH_AGAIN() TOMOLIVE_EACH_STEP
#define TOMOLIVE_PARENS ()
#define TOMOLIVE_EXPAND(...) TOMOLIVE_EXPAND3(TOMOLIVE_EXPAND3(TOMOLIVE_EXPAND3(TOMOLIVE_EXPAND3(__VA_ARGS__))))
#define TOMOLIVE_EXPAND3(...) TOMOLIVE_EXPAND2(TOMOLIVE_EXPAND2(TOMOLIVE_EXPAND2(TOMOLIVE_EXPAND2(__VA_ARGS__))))
#define TOMOLIVE_EXPAND2(...) TOMOLIVE_EXPAND1(TOMOLIVE_EXPAND1(TOMOLIVE_EXPAND1(TOMOLIVE_EXPAND1(__VA_ARGS__))))
#define TOMOLIVE_EXPAND1(...) __VA_ARGS__

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
                                                         "xy, xz, yz or oblique"};
inline constexpr NameRule<SliceKind> kRequestedSliceKind{&parse_slice_kind, ErrorCode::invalid_argument,
                                                         "xy, xz, yz or oblique"};
// A sweep parameter or spacing a client asks for (sweep_processing) is an argument; one the daemon reports a field.
inline constexpr std::string_view kSweepParameterNames = "delta_over_beta, ring_size or window";
inline constexpr NameRule<SweepParameter> kRequestedSweepParameter{&parse_sweep_parameter,
                                                                   ErrorCode::invalid_argument, kSweepParameterNames};
inline constexpr NameRule<SweepParameter> kReportedSweepParameter{&parse_sweep_parameter,
                                                                  ErrorCode::wrong_field_type, kSweepParameterNames};
inline constexpr NameRule<SweepSpacing> kSweepSpacingName{&parse_sweep_spacing, ErrorCode::invalid_argument,
                                                          "log or linear"};
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
  TOMOLIVE_FIELDS(v, error, message);
}

// --- data messages (the frame kind and the message type travel as "type", outside the list) ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanBegin> auto& begin) {
  TOMOLIVE_FIELDS(v, begin, scan_id);
  v.field("name", begin.name, Default<std::string>{"", WhenDefault::omitted});
  v.shape("shape", begin.rows, begin.cols);
  v.name("dtype", begin.dtype, kFrameDtype);
  TOMOLIVE_FIELDS(v, begin, num_darks, num_flats, num_projections);
  v.special("angles", begin.angles);  // "angles_deg", or "angle_start_deg" + "angle_step_deg"
  v.field("window", begin.window, Default<std::uint32_t>{0});
  v.field("streams", begin.streams, Default<std::uint32_t>{1});
  v.field("center_offset_px", begin.center_offset_px, Default<double>{0.0});
  TOMOLIVE_FIELDS(v, begin, pixel_size_um);
  v.field("half_acquisition", begin.half_acquisition, Default<bool>{false, WhenDefault::omitted});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<FrameHeader> auto& frame) {
  TOMOLIVE_FIELDS(v, frame, scan_id, frame_id);
  v.shape("shape", frame.rows, frame.cols);
  v.name("dtype", frame.dtype, kFrameDtype);
  TOMOLIVE_FIELDS(v, frame, angle_deg, timestamp_ns);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanEnd> auto& end) {
  TOMOLIVE_FIELDS(v, end, scan_id);
}

// --- published messages (also the result of get_slice) ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SliceUpdate> auto& slice) {
  TOMOLIVE_FIELDS(v, slice, scan_id);
  v.name("slice", slice.slice, kPublishedSliceKind);
  TOMOLIVE_FIELDS(v, slice, position);
  v.shape("shape", slice.rows, slice.cols);
  v.constant("dtype", Dtype::float32, kSliceDtype, "slices are float32");
  TOMOLIVE_FIELDS(v, slice, projections_included, sequence, center_offset_px, received_ns, published_ns);
  TOMOLIVE_FIELDS(v, slice, normal);  // the oblique slice only
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Event> auto& event) {
  TOMOLIVE_FIELDS(v, event, kind, scan_id, frame_id);
  TOMOLIVE_MAPS(v, event, error);
  TOMOLIVE_FIELDS(v, event, message, time_ns);
}

// --- control requests (their "type" is command_name) ---

template <typename Visitor>
void visit_fields(Visitor&, FieldsOf<GetStatus> auto&) {}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetCenter> auto& center) {
  TOMOLIVE_FIELDS(v, center, center_offset_px, center_column_px, tilt_deg);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetSlices> auto& slices) {
  TOMOLIVE_FIELDS(v, slices, xy_row, xz_y_px, yz_x_px);
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
  TOMOLIVE_FIELDS(v, sweep, start_offset_px, step_px, count, xy_row, region, pixel_step);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SweepProcessing> auto& sweep) {
  v.name("parameter", sweep.parameter, kRequestedSweepParameter);
  TOMOLIVE_FIELDS(v, sweep, values, windows, start, stop, count);
  v.name("spacing", sweep.spacing, kSweepSpacingName);
  TOMOLIVE_FIELDS(v, sweep, xy_row, region);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetObliqueSlice> auto& oblique) {
  v.field("enabled", oblique.enabled, Default<bool>{true});
  TOMOLIVE_FIELDS(v, oblique, normal, offset_px, points);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetPreview> auto& preview) {
  v.field("enabled", preview.enabled, Default<bool>{true});
  TOMOLIVE_FIELDS(v, preview, side);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ReconstructVolume> auto& volume) {
  TOMOLIVE_FIELDS(v, volume, region, rows);
  v.field("binning", volume.binning, Default<std::uint32_t>{1});
}

template <typename Visitor>
void visit_fields(Visitor&, FieldsOf<CancelVolume> auto&) {}

// The processing maps have the same keys in a set_processing request (every field optional: an Update) and in the
// setting the daemon reports (every field required: ProcessingSetting's members), so one list serves both.
template <typename Visitor, typename Zingers>
  requires FieldsOf<Zingers, ZingersUpdate> || FieldsOf<Zingers, ProcessingSetting::Zingers>
void visit_fields(Visitor& v, Zingers& zingers) {
  TOMOLIVE_FIELDS(v, zingers, enabled, threshold);
}

template <typename Visitor, typename Phase>
  requires FieldsOf<Phase, PhaseUpdate> || FieldsOf<Phase, ProcessingSetting::Phase>
void visit_fields(Visitor& v, Phase& phase) {
  TOMOLIVE_FIELDS(v, phase, enabled, energy_kev, distance_m, pixel_size_um, delta_over_beta);
}

template <typename Visitor, typename Rings>
  requires FieldsOf<Rings, RingsUpdate> || FieldsOf<Rings, ProcessingSetting::Rings>
void visit_fields(Visitor& v, Rings& rings) {
  TOMOLIVE_FIELDS(v, rings, enabled, size);
}

template <typename Visitor, typename Defective>
  requires FieldsOf<Defective, DefectivePixelsUpdate> || FieldsOf<Defective, ProcessingSetting::DefectivePixels>
void visit_fields(Visitor& v, Defective& defective) {
  TOMOLIVE_FIELDS(v, defective, enabled, dead_threshold, hot_threshold, noisy_threshold);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetProcessing> auto& processing) {
  v.name("window", processing.window, kRequestedWindow);
  TOMOLIVE_MAPS(v, processing, zingers, phase, rings, defective_pixels);
}

inline constexpr NameRule<FrameKind> kPlanImageKey{&parse_frame_kind, ErrorCode::invalid_argument,
                                                   "dark, flat or projection"};

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SetScanPlan> auto& plan) {
  v.field("n_darks", plan.n_darks, Default<std::uint32_t>{0});
  v.field("n_flats", plan.n_flats, Default<std::uint32_t>{0});
  TOMOLIVE_FIELDS(v, plan, n_projections, first_projection_image_id, angle_range_deg, angle_start_deg,
                  angle_step_deg, angles_deg, center_offset_px, name, layout);
  v.name("image_key", plan.image_key, kPlanImageKey);
  v.field("scan_unique_id", plan.scan_unique_id);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Record> auto& record) {
  TOMOLIVE_FIELDS(v, record, enabled);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Capture> auto& capture) {
  v.field("after_s", capture.after_s, Default<double>{0.0});
}

template <typename Visitor>
void visit_fields(Visitor&, FieldsOf<GetDefectivePixels> auto&) {}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CenterSample> auto& sample) {
  TOMOLIVE_FIELDS(v, sample, slice, point, box, pixel_size_um);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CenterSampleResult> auto& result) {
  TOMOLIVE_FIELDS(v, result, slice, x_px, y_px, z_px, move_x_px, move_y_px, move_z_px, pixel_size_um, move_x_um,
                  move_y_um, move_z_um, projections, fit_rms_px, axis_offset_px);
}

// --- results of control replies ---

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingSetting::HalfAcquisition> auto& half) {
  TOMOLIVE_FIELDS(v, half, enabled, detector_col0, detector_cols);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingSetting> auto& processing) {
  v.name("window", processing.window, kReportedWindow);
  TOMOLIVE_MAPS(v, processing, zingers, phase, rings, half_acquisition, defective_pixels);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<DefectivePixelCounts> auto& counts) {
  TOMOLIVE_FIELDS(v, counts, dead, hot, noisy, detector_mask, total);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<DefectivePixel> auto& pixel) {
  TOMOLIVE_FIELDS(v, pixel, row, col, kind);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<DefectivePixelsResult> auto& result) {
  TOMOLIVE_FIELDS(v, result, scan_id, built, rows, cols);
  TOMOLIVE_MAPS(v, result, counts);
  v.list("pixels", result.pixels);
  TOMOLIVE_FIELDS(v, result, truncated);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<MemoryPlan> auto& memory) {
  TOMOLIVE_FIELDS(v, memory, device, store_precision, store_bytes, corrected_store_bytes, slice_bytes, other_bytes,
                  total_bytes, available_bytes);
  v.field("preview_bytes", memory.preview_bytes, Default<std::uint64_t>{0});  // added with the 3D preview
  v.list("slabs", memory.slabs);  // added with several GPUs
  v.field("fits_one_device", memory.fits_one_device, Default<bool>{false});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<EngineSlab> auto& slab) {
  TOMOLIVE_FIELDS(v, slab, engine, rows, frame_rows, lost, lost_reason);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<EngineSlabsStatus> auto& slabs) {
  TOMOLIVE_FIELDS(v, slabs, halo_rows, halo_needed_rows, edge_rows_approximate, lost);
  v.list("slabs", slabs.slabs);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CenterEstimateResult> auto& estimate) {
  TOMOLIVE_FIELDS(v, estimate, method, center_offset_px, center_column_px, confidence, samples, elapsed_ms, applied,
                  tilt_deg, tilt_confidence);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CommandProgress> auto& progress) {
  TOMOLIVE_FIELDS(v, progress, command, done, total, elapsed_s, remaining_s);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<RefilterResult> auto& refilter) {
  TOMOLIVE_FIELDS(v, refilter, projections, elapsed_ms, zingers_replaced, clamped_values);
}

// One flat map: the reason, then the re-filter's own fields.
template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanRefilter> auto& refilter) {
  TOMOLIVE_FIELDS(v, refilter, reason);
  visit_fields(v, refilter.refilter);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ScanStatus> auto& scan) {
  TOMOLIVE_FIELDS(v, scan, scan_id, name, state, rows, cols, window, half_acquisition, slice_cols, darks_received,
                  darks_expected, flats_received, flats_expected, projections_received, projections_expected,
                  projections_missing, projection_rate_hz, center_offset_px, center_column_px, xy_row, xz_y_px,
                  yz_x_px, pixel_size_um);
  // Added after the first release of version 1: a status without it reads as 0.
  v.field("projections_reconstructed", scan.projections_reconstructed, Default<std::uint32_t>{0});
  v.field("axis_tilt_deg", scan.axis_tilt_deg, Default<double>{0.0});
  TOMOLIVE_MAPS(v, scan, memory, center_estimate, refilter, defective_pixels, command);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SecurityStatus> auto& security) {
  TOMOLIVE_FIELDS(v, security, curve, insecure_network, control_token);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<RdmaStatus> auto& rdma) {
  TOMOLIVE_FIELDS(v, rdma, endpoints, memory, gpudirect, connections);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<DataSocketStatus> auto& socket) {
  TOMOLIVE_FIELDS(v, socket, endpoint, connected, format_option, format, messages, bytes, frames, rejected,
                  images_held, curve);
  // Added later: a status without them reads as none.
  v.field("handshake_failures", socket.handshake_failures, Default<std::uint64_t>{0});
  v.field("dectris_channel", socket.dectris_channel, Default<std::string>{""});
  v.field("dectris_channels", socket.dectris_channels, Default<std::vector<std::string>>{{}});
  v.field("ignored_keys", socket.ignored_keys, Default<std::vector<std::string>>{{}});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<VolumeStatus> auto& volume) {
  TOMOLIVE_FIELDS(v, volume, scan_id, state, path, format, dtype, shape, region, rows, binning, slab_rows, slabs_total,
                  slabs_done, slabs_written, bytes_written, compute_s, elapsed_s, error);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<RecordingStatus> auto& recording) {
  TOMOLIVE_FIELDS(v, recording, enabled, directory, policy, state, scan_id, file, frames_written, frames_durable, bytes_written,
                  frames_dropped, queue_frames, queue_capacity, error);
  // Added with the record command: a status without it reads as false.
  v.field("next_scan", recording.next_scan, Default<bool>{false});
  // Added with compressed recordings: a status without it reads as "".
  v.field("encoding", recording.encoding, Default<std::string>{""});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CaptureStatus> auto& capture) {
  TOMOLIVE_FIELDS(v, capture, enabled, ring_s, ring_capacity_bytes, ring_frames, ring_bytes, ring_span_s, state,
                  scan_id, file, frames_written, remaining_s, error);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ConfigStatus> auto& config) {
  TOMOLIVE_FIELDS(v, config, file, loaded_at, reloads, last_error, restart_needed);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<Status> auto& status) {
  TOMOLIVE_FIELDS(v, status, version, engine, uptime_s, counters, rejected_by_reason);
  TOMOLIVE_MAPS(v, status, processing, scan, security, rdma);
  v.list("data_sockets", status.data_sockets);  // added after the first release of version 1
  TOMOLIVE_MAPS(v, status, volume, recording, capture, config, preview, engine_slabs);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<CenterResult> auto& center) {
  TOMOLIVE_FIELDS(v, center, center_offset_px, center_column_px, recompute_ms);
  // Added after the first release of version 1: a reply without it reads as 0.
  v.field("tilt_deg", center.tilt_deg, Default<double>{0.0});
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SlicesResult> auto& slices) {
  TOMOLIVE_FIELDS(v, slices, xy_row, xz_y_px, yz_x_px, recompute_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<SweepResult> auto& sweep) {
  TOMOLIVE_FIELDS(v, sweep, xy_row, region);
  // Added within version 1: a reply without pixel_step reads as 1.
  v.field("pixel_step", sweep.pixel_step, Default<std::uint32_t>{1});
  TOMOLIVE_FIELDS(v, sweep, shape, centers_px, metric, best_offset_px, elapsed_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingSweepResult> auto& sweep) {
  v.name("parameter", sweep.parameter, kReportedSweepParameter);
  TOMOLIVE_FIELDS(v, sweep, xy_row, region, values, labels, metric, best_index, elapsed_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<PreviewStatus> auto& preview) {
  TOMOLIVE_FIELDS(v, preview, enabled, side, shape, binning, bytes, budget_bytes, version, published, interval_s);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ObliqueResult> auto& oblique) {
  TOMOLIVE_FIELDS(v, oblique, enabled, normal, offset_px, shape, recompute_ms);
}

template <typename Visitor>
void visit_fields(Visitor& v, FieldsOf<ProcessingResult> auto& result) {
  TOMOLIVE_MAPS(v, result, processing, refilter);
}

}  // namespace tomolive::protocol::detail
