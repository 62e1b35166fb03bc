// visit_pixel_type: calls a generic callable with a value of the C++ type of a frame's pixels, so that the launchers
// of kernels templated on the raw pixel type (frame_preprocess.cu, fused_ramp_filter.cu) choose the instantiation in
// one way. Private to tomolive_cuda_engine.
#pragma once

#include <cstdint>
#include <string>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels::cuda {

// Calls f(T{}) with T the C++ type of the pixels of `type`. Throws EngineError for a value outside PixelType.
template <class F>
void visit_pixel_type(PixelType type, F&& f) {
  switch (type) {
    case PixelType::uint8: f(std::uint8_t{}); return;
    case PixelType::uint16: f(std::uint16_t{}); return;
    case PixelType::uint32: f(std::uint32_t{}); return;
    case PixelType::float32: f(float{}); return;
  }
  throw EngineError("unknown pixel type " + std::to_string(static_cast<int>(type)));
}

}  // namespace tomolive::kernels::cuda
