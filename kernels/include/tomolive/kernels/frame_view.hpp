// A non-owning view of one raw detector frame as it arrived: rows x cols pixels, row-major, little endian.
// Units: detector counts. Thread safety: a plain value; the viewed memory is only read.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tomolive::kernels {

enum class PixelType : std::uint8_t { uint8, uint16, uint32, float32 };

constexpr std::size_t pixel_bytes(PixelType type) {
  switch (type) {
    case PixelType::uint8: return 1;
    case PixelType::uint16: return 2;
    case PixelType::uint32: return 4;
    case PixelType::float32: return 4;
  }
  return 0;
}

// `data` points to rows * cols * pixel_bytes(type) bytes, aligned to pixel_bytes(type). The view does not own it;
// the memory must stay valid for the duration of the call it is passed to.
struct FrameView {
  const void* data = nullptr;
  PixelType type = PixelType::uint16;
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
};

}  // namespace tomolive::kernels
