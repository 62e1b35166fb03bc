// Names and sizes of the wire enums. Each enum has one table of wire names, indexed by the enumerator's value, so
// that to_string and parse_* cannot disagree.
#include "tomolive/protocol/messages.hpp"

#include <array>
#include <cmath>
#include <variant>

namespace tomolive::protocol {
namespace {

template <typename Enum, std::size_t N>
std::string_view name_of(Enum value, const std::array<std::string_view, N>& names) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view("invalid");
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(std::string_view name, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kDtypeNames = {"uint8", "uint16", "uint32", "float32"};
constexpr std::array<std::size_t, 4> kDtypeItemsize = {1, 2, 4, 4};

constexpr std::array<std::string_view, 3> kFrameKindNames = {"dark", "flat", "projection"};

constexpr std::array<std::string_view, kErrorCodeCount> kErrorCodeNames = {
    "malformed_header",
    "unsupported_version",
    "unknown_type",
    "missing_field",
    "wrong_field_type",
    "bad_dtype",
    "size_mismatch",
    "missing_payload",
    "unexpected_payload",
    "invalid_geometry",
    "scan_too_large",
    "no_active_scan",
    "scan_id_mismatch",
    "shape_mismatch",
    "frame_id_out_of_range",
    "duplicate_frame",
    "reference_after_projections",
    "queue_full",
    "invalid_argument",
    "permission_denied",
    "duplicate_scan",
    "invalid_field",
    "transport_error",
    "disk_error",
    "internal_error",
};

constexpr std::array<std::string_view, 4> kSliceKindNames = {"xy", "xz", "yz", "oblique"};

// Requests in ControlRequest's alternative order.
constexpr std::array<std::string_view, std::variant_size_v<ControlRequest>> kCommandNames = {
    "get_status",     "set_center",    "set_slices",         "get_slice",     "estimate_center", "sweep_center",
    "set_processing", "set_scan_plan", "reconstruct_volume", "cancel_volume", "record",          "capture",
    "sweep_processing", "set_oblique_slice", "get_defective_pixels", "center_sample", "set_preview"};

constexpr std::array<std::string_view, 3> kSweepParameterNames = {"delta_over_beta", "ring_size", "window"};
constexpr std::array<std::string_view, 2> kSweepSpacingNames = {"log", "linear"};

constexpr std::array<std::string_view, 2> kCenterMethodNames = {"registration", "metric"};

constexpr std::array<std::string_view, 6> kFilterWindowNames = {"ram-lak", "shepp-logan", "cosine",
                                                                "hamming", "hann",        "parzen"};

}  // namespace

std::size_t itemsize(Dtype dtype) {
  const auto index = static_cast<std::size_t>(dtype);
  return index < kDtypeItemsize.size() ? kDtypeItemsize[index] : 0;
}
std::string_view to_string(Dtype dtype) { return name_of(dtype, kDtypeNames); }
std::optional<Dtype> parse_dtype(std::string_view name) { return parse_name<Dtype>(name, kDtypeNames); }

std::string_view to_string(FrameKind kind) { return name_of(kind, kFrameKindNames); }
std::optional<FrameKind> parse_frame_kind(std::string_view name) {
  return parse_name<FrameKind>(name, kFrameKindNames);
}

std::string_view to_string(ErrorCode code) { return name_of(code, kErrorCodeNames); }
std::optional<ErrorCode> parse_error_code(std::string_view name) {
  return parse_name<ErrorCode>(name, kErrorCodeNames);
}

std::string_view to_string(SliceKind kind) { return name_of(kind, kSliceKindNames); }
std::optional<SliceKind> parse_slice_kind(std::string_view name) {
  return parse_name<SliceKind>(name, kSliceKindNames);
}

std::string_view command_name(const ControlRequest& request) { return kCommandNames[request.index()]; }
std::span<const std::string_view> command_names() { return kCommandNames; }

std::string_view to_string(CenterMethod method) { return name_of(method, kCenterMethodNames); }
std::optional<CenterMethod> parse_center_method(std::string_view name) {
  return parse_name<CenterMethod>(name, kCenterMethodNames);
}

std::string_view to_string(FilterWindow window) { return name_of(window, kFilterWindowNames); }
std::optional<FilterWindow> parse_filter_window(std::string_view name) {
  return parse_name<FilterWindow>(name, kFilterWindowNames);
}

std::string_view to_string(SweepParameter parameter) { return name_of(parameter, kSweepParameterNames); }
std::optional<SweepParameter> parse_sweep_parameter(std::string_view name) {
  return parse_name<SweepParameter>(name, kSweepParameterNames);
}

std::string_view to_string(SweepSpacing spacing) { return name_of(spacing, kSweepSpacingNames); }
std::optional<SweepSpacing> parse_sweep_spacing(std::string_view name) {
  return parse_name<SweepSpacing>(name, kSweepSpacingNames);
}

std::uint32_t half_acquisition_added_cols(double center_offset_px) {
  return static_cast<std::uint32_t>(std::lround(2.0 * std::abs(center_offset_px)));
}

}  // namespace tomolive::protocol
