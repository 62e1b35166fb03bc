// RFC 8746 typed-array tags (64..87) and what tomolive makes of them: the pixel types it accepts are the
// little-endian unsigned ones and little-endian float32; every other tag is named in the refusal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::detector {

inline constexpr std::uint64_t kFirstTypedArrayTag = 64;
inline constexpr std::uint64_t kLastTypedArrayTag = 87;

// The Dtype of a typed-array tag, nullopt for tags tomolive does not accept (signed, big-endian, 64-bit, float16/64).
std::optional<protocol::Dtype> typed_array_dtype(std::uint64_t tag);
// "uint16 little-endian", "sint32 big-endian", ... for tags 64..87.
std::string typed_array_name(std::uint64_t tag);

}  // namespace tomolive::detector
