#include "tomolive/detector/stream_format.hpp"

#include <array>
#include <string>

#include "json_part.hpp"

namespace tomolive::detector {
namespace {

constexpr std::array<std::string_view, 4> kFormatNames = {"native", "dectris2", "dectris1", "array"};
constexpr std::array<std::string_view, 5> kDectris1Htypes = {"dheader-1.0", "dimage-1.0", "dimage_d-1.0",
                                                             "dconfig-1.0", "dseries_end-1.0"};

// CBOR's self-describe tag 55799 (RFC 8949 3.4.6), which every Stream V2 message starts with.
bool starts_with_self_describe_tag(protocol::ByteView part) {
  return part.size() >= 3 && part[0] == std::byte{0xd9} && part[1] == std::byte{0xd9} && part[2] == std::byte{0xf7};
}

// The head of a well-formed CBOR map (RFC 8949 3.1, major type 5): 0xa0..0xb7 (up to 23 pairs), 0xb8..0xbb (the
// count in 1, 2, 4 or 8 bytes), 0xbf (indefinite length); 0xbc..0xbe are reserved. A Stream V2 message without the
// self-describe tag starts so. No native message does (its first part is a msgpack map, 0x80..0x8f, 0xde, 0xdf; in
// msgpack 0xa0..0xbf are fixstr heads) and no JSON text does (0xa0..0xbf are UTF-8 continuation bytes).
bool starts_with_cbor_map(protocol::ByteView part) {
  const auto first = std::to_integer<unsigned>(part[0]);
  return (first >= 0xa0 && first <= 0xbb) || first == 0xbf;
}

// A msgpack map (fixmap, map 16, map 32): the native protocol's header. JSON text never starts with these bytes.
bool starts_with_msgpack_map(protocol::ByteView part) {
  const auto first = std::to_integer<unsigned>(part[0]);
  return (first & 0xf0) == 0x80 || first == 0xde || first == 0xdf;
}

}  // namespace

std::string_view to_string(StreamFormat format) {
  const auto index = static_cast<std::size_t>(format);
  return index < kFormatNames.size() ? kFormatNames[index] : std::string_view("invalid");
}

std::optional<StreamFormat> parse_stream_format(std::string_view name) {
  for (std::size_t i = 0; i < kFormatNames.size(); ++i) {
    if (kFormatNames[i] == name) return static_cast<StreamFormat>(i);
  }
  return std::nullopt;
}

std::optional<StreamFormat> detect_format(std::span<const protocol::ByteView> parts) {
  if (parts.empty() || parts[0].empty()) return std::nullopt;
  const protocol::ByteView first = parts[0];
  if (starts_with_self_describe_tag(first) || starts_with_cbor_map(first)) return StreamFormat::dectris2;
  if (starts_with_msgpack_map(first)) return StreamFormat::native;
  const auto header = parse_json(first);
  if (!header || !header->is_object()) return std::nullopt;
  const auto htype = htype_of(*header);
  if (!htype) return std::nullopt;
  if (*htype == "array-1.0") return StreamFormat::array;
  for (std::string_view known : kDectris1Htypes) {
    if (*htype == known) return StreamFormat::dectris1;
  }
  return std::nullopt;
}

}  // namespace tomolive::detector
