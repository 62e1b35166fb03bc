#include "shared_maps.hpp"

#include <array>

namespace tomolive::protocol::detail {

MapWriter error_map(const Error& error) {
  MapWriter map;
  map.field("code", to_string(error.code)).field("message", error.message);
  return map;
}

Error read_error(MapReader fields) {
  Error error;
  error.code =
      fields.required_name("code", &parse_error_code, ErrorCode::wrong_field_type, "the error codes of PROTOCOL.md");
  error.message = fields.required<std::string>("message");
  return error;
}

void write_slice_fields(MapWriter& out, const SliceUpdate& slice) {
  out.field("scan_id", slice.scan_id)
      .field("slice", to_string(slice.slice))
      .field("position", slice.position)
      .field("shape", std::array{slice.rows, slice.cols})
      .field("dtype", to_string(Dtype::float32))
      .field("projections_included", slice.projections_included)
      .field("sequence", slice.sequence)
      .field("center_offset_px", slice.center_offset_px)
      .field("received_ns", slice.received_ns)
      .field("published_ns", slice.published_ns);
}

SliceUpdate read_slice_fields(MapReader fields) {
  SliceUpdate slice;
  slice.scan_id = fields.required<std::uint64_t>("scan_id");
  slice.slice = fields.required_name("slice", &parse_slice_kind, ErrorCode::wrong_field_type, "xy, xz or yz");
  slice.position = fields.required<double>("position");
  const auto shape = fields.required<std::array<std::uint32_t, 2>>("shape");
  slice.rows = shape[0];
  slice.cols = shape[1];
  const Dtype dtype = fields.required_name("dtype", &parse_dtype, ErrorCode::bad_dtype, "float32");
  if (dtype != Dtype::float32) {
    fields.fail(ErrorCode::bad_dtype,
                "field " + fields.field_name("dtype") + ": slices are float32, found " + quote(to_string(dtype)));
  }
  slice.projections_included = fields.required<std::uint32_t>("projections_included");
  slice.sequence = fields.required<std::uint64_t>("sequence");
  slice.center_offset_px = fields.required<double>("center_offset_px");
  slice.received_ns = fields.required<std::int64_t>("received_ns");
  slice.published_ns = fields.required<std::int64_t>("published_ns");
  return slice;
}

}  // namespace tomolive::protocol::detail
