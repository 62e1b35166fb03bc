// Published messages (daemon -> subscribers): slice headers and events.
#include "field_codec.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol {
namespace {

constexpr std::string_view kSliceType = "slice";
constexpr std::string_view kEventType = "event";

template <typename Message>
Bytes encode_published(std::string_view type, const Message& message) {
  detail::MapWriter header = detail::message_header(type);
  detail::write_fields(header, message);
  return header.bytes();
}

template <typename Message>
Expected<Message> decode_published(std::string_view type, ByteView bytes) {
  Expected<detail::Header> header = detail::parse_header(bytes);
  if (!header) return header.error();
  if (header->type != type) return detail::unknown_type(header->type, type);
  detail::MapReader fields = header->fields();
  return detail::decoded(fields, detail::read_fields<Message>(fields));
}

}  // namespace

Bytes encode(const SliceUpdate& slice) { return encode_published(kSliceType, slice); }
Bytes encode(const Event& event) { return encode_published(kEventType, event); }

Expected<SliceUpdate> decode_slice_update(ByteView bytes) { return decode_published<SliceUpdate>(kSliceType, bytes); }
Expected<Event> decode_event(ByteView bytes) { return decode_published<Event>(kEventType, bytes); }

}  // namespace tomolive::protocol
