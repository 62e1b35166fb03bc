#include "typed_array.hpp"

#include <array>

namespace tomolive::detector {

std::optional<protocol::Dtype> typed_array_dtype(std::uint64_t tag) {
  switch (tag) {
    case 64:  // uint8
    case 68:  // uint8, clamped arithmetic
      return protocol::Dtype::uint8;
    case 69:
      return protocol::Dtype::uint16;
    case 70:
      return protocol::Dtype::uint32;
    case 85:
      return protocol::Dtype::float32;
    default:
      return std::nullopt;
  }
}

std::string typed_array_name(std::uint64_t tag) {
  // RFC 8746 section 2.1: tag = 0b010_f_s_e_ll; for integers (f = 0) s = signed, e = little-endian, ll = size
  // (8 << ll bits); for floats (f = 1) ll = half, single, double, quad.
  if (tag < kFirstTypedArrayTag || tag > kLastTypedArrayTag) return "tag " + std::to_string(tag);
  if (tag == 68) return "uint8 clamped";
  if (tag == 76) return "reserved typed-array tag 76";
  const auto bits = tag & 0x1F;
  const bool is_float = (bits & 0x10) != 0, is_signed = (bits & 0x08) != 0, little = (bits & 0x04) != 0;
  const auto ll = bits & 0x03;
  std::string name;
  if (is_float) {
    constexpr std::array<const char*, 4> kFloats = {"float16", "float32", "float64", "float128"};
    name = kFloats[ll];
  } else {
    name = std::string(is_signed ? "sint" : "uint") + std::to_string(8u << ll);
  }
  if (is_float || ll != 0) name += little ? " little-endian" : " big-endian";
  return name;
}

}  // namespace tomolive::detector
