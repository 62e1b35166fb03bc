// Conversion of float32 volume values to the stored element types (volume_writer.hpp: float16 rounded to nearest
// even, uint16 scaled and clamped). Internal to tomolive_storage. Pure functions.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "tomolive/storage/volume_writer.hpp"

namespace tomolive::storage::detail {

// IEEE binary16 bits of `value`, rounded to nearest even; overflow gives infinity, NaN stays NaN.
inline std::uint16_t half_bits(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  std::uint32_t mantissa = x & 0x7fffffu;
  const int exponent = static_cast<int>((x >> 23) & 0xffu);
  if (exponent == 255) return static_cast<std::uint16_t>(sign | 0x7c00u | (mantissa != 0 ? 0x200u : 0u));
  const int e = exponent - 127 + 15;
  if (e >= 31) return static_cast<std::uint16_t>(sign | 0x7c00u);
  if (e <= 0) {  // a half subnormal (or zero)
    if (e < -10) return sign;
    mantissa |= 0x800000u;
    const int shift = 14 - e;
    std::uint32_t half = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u) != 0)) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = (static_cast<std::uint32_t>(e) << 10) | (mantissa >> 13);
  const std::uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u) != 0)) ++half;  // a carry rounds into the exponent
  return static_cast<std::uint16_t>(sign | half);
}

// round((value - offset) / scale) clamped to 0..65535; `clamped` counts the values that were outside (NaN: 0).
inline std::uint16_t scaled_uint16(float value, double scale, double offset, std::uint64_t& clamped) {
  const double stored = std::nearbyint((static_cast<double>(value) - offset) / scale);
  if (!(stored >= 0.0)) {
    ++clamped;
    return 0;
  }
  if (stored > 65535.0) {
    ++clamped;
    return 65535;
  }
  return static_cast<std::uint16_t>(stored);
}

// Bytes of one stored element.
inline std::size_t element_bytes(VolumeDtype dtype) { return dtype == VolumeDtype::float32 ? 4 : 2; }

// `values` as the spec's element type, little-endian bytes (this code runs on little-endian hosts only), into `out`
// (exactly values.size() * element_bytes(spec.dtype) bytes).
inline void encode_values(std::span<const float> values, const VolumeFileSpec& spec, std::span<unsigned char> out,
                          std::uint64_t& clamped) {
  if (spec.dtype == VolumeDtype::float32) {
    std::memcpy(out.data(), values.data(), values.size_bytes());
    return;
  }
  auto* elements = reinterpret_cast<std::uint16_t*>(out.data());
  for (std::size_t k = 0; k < values.size(); ++k) {
    elements[k] = spec.dtype == VolumeDtype::float16
                      ? half_bits(values[k])
                      : scaled_uint16(values[k], spec.scale_factor, spec.add_offset, clamped);
  }
}

// The same into `out`, resized to fit.
inline void encode_values(std::span<const float> values, const VolumeFileSpec& spec, std::vector<unsigned char>& out,
                          std::uint64_t& clamped) {
  out.resize(values.size() * element_bytes(spec.dtype));
  encode_values(values, spec, std::span<unsigned char>(out), clamped);
}

}  // namespace tomolive::storage::detail
