// Dispatch on a frame's PixelType to code templated on the C++ pixel type: the one rule both engines follow (the CPU
// engine's loops, the CUDA engine's kernel launchers): uint8, uint16, uint32 and float32 map to std::uint8_t,
// std::uint16_t, std::uint32_t and float; any other value (a PixelType cast from a wrong integer) is refused with an
// EngineError naming the value. Host code only; thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <type_traits>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels {

// Frames are little endian on the wire and read in place.
static_assert(std::endian::native == std::endian::little, "tomolive reads little-endian frames in place");

// "unknown pixel type 7 (expected 0 uint8, 1 uint16, 2 uint32 or 3 float32)": how every refusal of a pixel type reads.
inline std::string unknown_pixel_type(PixelType type) {
  return "unknown pixel type " + std::to_string(static_cast<int>(type)) +
         " (expected 0 uint8, 1 uint16, 2 uint32 or 3 float32)";
}

// Returns f(std::type_identity<T>{}) with T the C++ type of the pixels of `type`. Throws EngineError
// (unknown_pixel_type) for a value outside PixelType, before calling f.
template <class F>
decltype(auto) visit_pixel_type(PixelType type, F&& f) {
  switch (type) {
    case PixelType::uint8: return f(std::type_identity<std::uint8_t>{});
    case PixelType::uint16: return f(std::type_identity<std::uint16_t>{});
    case PixelType::uint32: return f(std::type_identity<std::uint32_t>{});
    case PixelType::float32: return f(std::type_identity<float>{});
  }
  throw EngineError(unknown_pixel_type(type));
}

}  // namespace tomolive::kernels
