// UTF-8 checks for strings read off the wire (internal to tomolive_protocol). Every str a sender or client writes
// must be valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), so that no reply, event,
// log line or JSON message ever carries bytes a strict decoder refuses.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tomolive::protocol::detail {

// The length in bytes (1..4) of the valid UTF-8 sequence that starts text[offset], or 0 when the bytes there do not
// start one (a stray continuation byte, an overlong form, a surrogate, a code point above U+10FFFF, a cut sequence).
// Precondition: offset < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t offset);

// The byte offset of the first byte that is not part of a valid UTF-8 sequence; nullopt when `text` is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

}  // namespace tomolive::protocol::detail
