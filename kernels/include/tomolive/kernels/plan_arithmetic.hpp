// Byte arithmetic for engine memory plans: sums and products that saturate instead of wrapping, so that an absurd
// geometry yields "needs 16 EiB" rather than a small wrapped number that seems to fit. Header-only; thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

namespace tomolive::kernels {

inline std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

inline std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

// Bytes as MiB with one decimal, e.g. "47.6".
inline std::string format_mib(std::uint64_t bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace tomolive::kernels
