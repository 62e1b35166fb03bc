// Published messages (daemon -> subscribers): slice headers and events.
#include "msgpack_reader.hpp"
#include "msgpack_writer.hpp"
#include "shared_maps.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol {
namespace {

constexpr std::string_view kSliceType = "slice";
constexpr std::string_view kEventType = "event";

}  // namespace

Bytes encode(const SliceUpdate& slice) {
  detail::MapWriter header = detail::message_header(kSliceType);
  detail::write_slice_fields(header, slice);
  return header.bytes();
}

Bytes encode(const Event& event) {
  detail::MapWriter header = detail::message_header(kEventType);
  header.field("kind", event.kind).optional("scan_id", event.scan_id).optional("frame_id", event.frame_id);
  if (event.error) header.map("error", detail::error_map(*event.error));
  header.field("message", event.message).field("time_ns", event.time_ns);
  return header.bytes();
}

Expected<SliceUpdate> decode_slice_update(ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  if (header->type != kSliceType) return detail::unknown_type(header->type, kSliceType);
  detail::MapReader fields = header->fields();
  return detail::decoded(fields, detail::read_slice_fields(fields));
}

Expected<Event> decode_event(ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  if (header->type != kEventType) return detail::unknown_type(header->type, kEventType);
  detail::MapReader fields = header->fields();
  Event event;
  event.kind = fields.required<std::string>("kind");
  event.scan_id = fields.optional<std::uint64_t>("scan_id");
  event.frame_id = fields.optional<std::uint64_t>("frame_id");
  if (std::optional<detail::MapReader> error = fields.optional_map("error")) event.error = detail::read_error(*error);
  event.message = fields.required<std::string>("message");
  event.time_ns = fields.required<std::int64_t>("time_ns");
  return detail::decoded(fields, std::move(event));
}

}  // namespace tomolive::protocol
