// repair_masked_pixels: row-wise linear interpolation across each run of masked pixels.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::detector {
namespace {

// Loads/stores through memcpy: the pixels are bytes of a message buffer, not necessarily aligned for T.
template <typename T>
T load(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
template <typename T>
void store(std::byte* p, double value) {
  T out;
  if constexpr (std::is_floating_point_v<T>) {
    out = static_cast<T>(value);
  } else {
    out = static_cast<T>(std::lround(value));  // between two T values, so in range
  }
  std::memcpy(p, &out, sizeof(T));
}

template <typename T>
std::size_t repair_rows(std::span<std::byte> pixels, const PixelMask& mask) {
  std::size_t replaced = 0;
  for (std::size_t r = 0; r < mask.rows; ++r) {
    const std::uint32_t* flags = mask.flags.data() + r * mask.cols;
    std::byte* row = pixels.data() + r * mask.cols * sizeof(T);
    std::size_t c = 0;
    while (c < mask.cols) {
      if (flags[c] == 0) {
        ++c;
        continue;
      }
      const std::size_t begin = c;  // a run of masked pixels [begin, end)
      while (c < mask.cols && flags[c] != 0) ++c;
      const std::size_t end = c;
      const bool has_left = begin > 0, has_right = end < mask.cols;
      const double left = has_left ? static_cast<double>(load<T>(row + (begin - 1) * sizeof(T))) : 0.0;
      const double right = has_right ? static_cast<double>(load<T>(row + end * sizeof(T))) : 0.0;
      for (std::size_t i = begin; i < end; ++i) {
        double value = 0.0;
        if (has_left && has_right) {
          const double t = static_cast<double>(i - (begin - 1)) / static_cast<double>(end - (begin - 1));
          value = left + (right - left) * t;
        } else if (has_left) {
          value = left;
        } else if (has_right) {
          value = right;
        }
        store<T>(row + i * sizeof(T), value);
      }
      replaced += end - begin;
    }
  }
  return replaced;
}

}  // namespace

std::size_t repair_masked_pixels(std::span<std::byte> pixels, protocol::Dtype dtype, const PixelMask& mask) {
  const std::size_t count = std::size_t{mask.rows} * mask.cols;
  if (mask.flags.size() != count || pixels.size() != count * protocol::itemsize(dtype)) return 0;
  switch (dtype) {
    case protocol::Dtype::uint8:
      return repair_rows<std::uint8_t>(pixels, mask);
    case protocol::Dtype::uint16:
      return repair_rows<std::uint16_t>(pixels, mask);
    case protocol::Dtype::uint32:
      return repair_rows<std::uint32_t>(pixels, mask);
    case protocol::Dtype::float32:
      return repair_rows<float>(pixels, mask);
  }
  return 0;
}

}  // namespace tomolive::detector
