// Maps that appear inside more than one message (internal to tomolive_protocol): the error map {"code", "message"}
// (events, replies) and the fields of a slice (the slice header, and the result of a get_slice reply).
#pragma once

#include "msgpack_reader.hpp"
#include "msgpack_writer.hpp"

namespace tomolive::protocol::detail {

MapWriter error_map(const Error& error);
// "code" must name an ErrorCode (wrong_field_type otherwise).
Error read_error(MapReader fields);

// scan_id, slice, position, shape, dtype ("float32"), projections_included, sequence, center_offset_px,
// received_ns, published_ns.
void write_slice_fields(MapWriter& out, const SliceUpdate& slice);
// A dtype other than float32 fails with bad_dtype, an unknown slice name with wrong_field_type.
SliceUpdate read_slice_fields(MapReader fields);

}  // namespace tomolive::protocol::detail
