#include "tomolive/kernels/cpu_preprocess.hpp"

#include <cstddef>

#include "tomolive/kernels/pixel_dispatch.hpp"
#include "tomolive/kernels/preprocess.hpp"

namespace tomolive::kernels {

std::uint64_t compute_attenuation(const FrameView& frame, const float* dark, const float* flat, float* out,
                                  std::uint32_t row_begin, std::uint32_t row_end, float min_transmission) {
  return visit_pixel_type(frame.type, [&]<class T>(std::type_identity<T>) {
    const T* raw = static_cast<const T*>(frame.data);
    const std::size_t begin = std::size_t{row_begin} * frame.cols;
    const std::size_t end = std::size_t{row_end} * frame.cols;
    std::uint64_t clamped_count = 0;
    for (std::size_t k = begin; k < end; ++k) {
      bool clamped = false;
      out[k] = attenuation(static_cast<float>(raw[k]), dark[k], flat[k], min_transmission, clamped);
      clamped_count += clamped ? 1 : 0;
    }
    return clamped_count;
  });
}

}  // namespace tomolive::kernels
