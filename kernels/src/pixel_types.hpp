// Dispatch on a frame's PixelType to code templated on the C++ pixel type. Private to the kernels library.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels::detail {

// Frames are little endian on the wire and read in place.
static_assert(std::endian::native == std::endian::little, "tomolive reads little-endian frames in place");

// Calls f(std::type_identity<T>{}) with T the pixel type of `type`.
template <class F>
decltype(auto) visit_pixel_type(PixelType type, F&& f) {
  switch (type) {
    case PixelType::uint8: return f(std::type_identity<std::uint8_t>{});
    case PixelType::uint16: return f(std::type_identity<std::uint16_t>{});
    case PixelType::uint32: return f(std::type_identity<std::uint32_t>{});
    case PixelType::float32: break;
  }
  return f(std::type_identity<float>{});
}

}  // namespace tomolive::kernels::detail
