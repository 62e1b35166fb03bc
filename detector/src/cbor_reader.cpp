#include "cbor_reader.hpp"

#include <cbor.h>

namespace tomolive::detector {
namespace {

using Kind = CborHead::Kind;

CborHead& head_of(void* context) { return *static_cast<CborHead*>(context); }
void set_uint(void* c, std::uint64_t v) { head_of(c) = {Kind::uint, v, 0.0, false, {}}; }
void set_negint(void* c, std::uint64_t v) { head_of(c) = {Kind::negint, v, 0.0, false, {}}; }
void set_string(void* c, Kind kind, cbor_data data, std::uint64_t length) {
  head_of(c) = {kind, length, 0.0, false,
                protocol::ByteView(reinterpret_cast<const std::byte*>(data), static_cast<std::size_t>(length))};
}
void set_simple(void* c, Kind kind) { head_of(c) = {kind, 0, 0.0, false, {}}; }
void set_float(void* c, double v) { head_of(c) = {Kind::floating, 0, v, false, {}}; }

const cbor_callbacks kCallbacks = [] {
  cbor_callbacks callbacks = cbor_empty_callbacks;
  callbacks.uint8 = [](void* c, std::uint8_t v) { set_uint(c, v); };
  callbacks.uint16 = [](void* c, std::uint16_t v) { set_uint(c, v); };
  callbacks.uint32 = [](void* c, std::uint32_t v) { set_uint(c, v); };
  callbacks.uint64 = [](void* c, std::uint64_t v) { set_uint(c, v); };
  callbacks.negint8 = [](void* c, std::uint8_t v) { set_negint(c, v); };
  callbacks.negint16 = [](void* c, std::uint16_t v) { set_negint(c, v); };
  callbacks.negint32 = [](void* c, std::uint32_t v) { set_negint(c, v); };
  callbacks.negint64 = [](void* c, std::uint64_t v) { set_negint(c, v); };
  callbacks.byte_string = [](void* c, cbor_data d, std::size_t n) { set_string(c, Kind::bytes, d, n); };
  callbacks.string = [](void* c, cbor_data d, std::size_t n) { set_string(c, Kind::text, d, n); };
  callbacks.byte_string_start = [](void* c) { set_simple(c, Kind::indef_bytes); };
  callbacks.string_start = [](void* c) { set_simple(c, Kind::indef_text); };
  callbacks.array_start = [](void* c, std::size_t n) { head_of(c) = {Kind::array, n, 0.0, false, {}}; };
  callbacks.map_start = [](void* c, std::size_t n) { head_of(c) = {Kind::map, n, 0.0, false, {}}; };
  callbacks.indef_array_start = [](void* c) { set_simple(c, Kind::indef_array); };
  callbacks.indef_map_start = [](void* c) { set_simple(c, Kind::indef_map); };
  callbacks.tag = [](void* c, std::uint64_t v) { head_of(c) = {Kind::tag, v, 0.0, false, {}}; };
  callbacks.float2 = [](void* c, float v) { set_float(c, v); };
  callbacks.float4 = [](void* c, float v) { set_float(c, v); };
  callbacks.float8 = [](void* c, double v) { set_float(c, v); };
  callbacks.boolean = [](void* c, bool v) { head_of(c) = {Kind::boolean, 0, 0.0, v, {}}; };
  callbacks.null = [](void* c) { set_simple(c, Kind::null); };
  callbacks.undefined = [](void* c) { set_simple(c, Kind::undefined); };
  callbacks.indef_break = [](void* c) { set_simple(c, Kind::brk); };
  return callbacks;
}();

}  // namespace

std::string_view describe(CborHead::Kind kind) {
  switch (kind) {
    case Kind::uint: return "unsigned integer";
    case Kind::negint: return "negative integer";
    case Kind::bytes: return "byte string";
    case Kind::text: return "text string";
    case Kind::array: return "array";
    case Kind::map: return "map";
    case Kind::tag: return "tag";
    case Kind::floating: return "float";
    case Kind::boolean: return "boolean";
    case Kind::null: return "null";
    case Kind::undefined: return "undefined";
    case Kind::indef_bytes: return "indefinite-length byte string";
    case Kind::indef_text: return "indefinite-length text string";
    case Kind::indef_array: return "indefinite-length array";
    case Kind::indef_map: return "indefinite-length map";
    case Kind::brk: return "break";
  }
  return "item";
}

protocol::Expected<CborHead> CborReader::next() {
  if (at_end()) {
    return protocol::Error{protocol::ErrorCode::malformed_header,
                           "CBOR ends after " + std::to_string(data_.size()) + " bytes, inside an item"};
  }
  CborHead head;
  const auto* start = reinterpret_cast<cbor_data>(data_.data() + offset_);
  const cbor_decoder_result result = cbor_stream_decode(start, data_.size() - offset_, &kCallbacks, &head);
  if (result.status == CBOR_DECODER_NEDATA) {
    return protocol::Error{protocol::ErrorCode::malformed_header,
                           "CBOR truncated: the item at byte " + std::to_string(offset_) + " needs " +
                               std::to_string(result.required) + " bytes, " +
                               std::to_string(data_.size() - offset_) + " remain"};
  }
  if (result.status != CBOR_DECODER_FINISHED || result.read == 0) {
    return protocol::Error{protocol::ErrorCode::malformed_header,
                           "not well-formed CBOR at byte " + std::to_string(offset_)};
  }
  offset_ += result.read;
  return head;
}

}  // namespace tomolive::detector
