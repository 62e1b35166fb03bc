// The wire formats a detector data socket may carry, and how one message's format is recognised from its parts.
//
// Detection looks only at the first bytes / the JSON "htype" of the parts, never decodes pixels, and is pure and
// thread-safe. PROTOCOL.md ("Detector streams") gives the rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::detector {

enum class StreamFormat : std::uint8_t {
  native,    // tomolive's own msgpack protocol v1 (protocol/PROTOCOL.md)
  dectris2,  // DECTRIS SIMPLON Stream V2: one CBOR part starting with the self-describe tag d9 d9 f7
  dectris1,  // DECTRIS SIMPLON Stream V1: multipart JSON with "htype" dheader-1.0, dimage-1.0, ...
  array,     // "array-1.0": a JSON header with "htype": "array-1.0" and one binary blob (ADZMQ, PSI, UFO)
};
inline constexpr std::size_t kStreamFormatCount = 4;  // the enumerators above, numbered 0..3

// "native", "dectris2", "dectris1", "array".
std::string_view to_string(StreamFormat format);
// The inverse of to_string; nullopt for any other name.
std::optional<StreamFormat> parse_stream_format(std::string_view name);

// What one multipart ZeroMQ message is, from its parts (no full decode); nullopt if none matches.
std::optional<StreamFormat> detect_format(std::span<const protocol::ByteView> parts);

}  // namespace tomolive::detector
