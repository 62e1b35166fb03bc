#include "tomolive/kernels/cpu_preprocess.hpp"

#include <cstddef>

#include "tomolive/kernels/pixel_dispatch.hpp"
#include "tomolive/kernels/preprocess.hpp"

namespace tomolive::kernels {

std::uint64_t compute_attenuation(const FrameView& frame, const float* dark, const float* flat, float* out,
                                  std::uint32_t row_begin, std::uint32_t row_end, RowRange counted,
                                  float min_transmission) {
  return visit_pixel_type(frame.type, [&]<class T>(std::type_identity<T>) {
    const T* raw = static_cast<const T*>(frame.data);
    std::uint64_t clamped_count = 0;
    for (std::uint32_t row = row_begin; row < row_end; ++row) {
      const std::size_t begin = std::size_t{row} * frame.cols;
      const std::size_t end = begin + frame.cols;
      std::uint64_t clamped_in_row = 0;
      for (std::size_t k = begin; k < end; ++k) {
        bool clamped = false;
        out[k] = attenuation(static_cast<float>(raw[k]), dark[k], flat[k], min_transmission, clamped);
        clamped_in_row += clamped ? 1 : 0;
      }
      if (counted.contains(row)) clamped_count += clamped_in_row;
    }
    return clamped_count;
  });
}

std::int64_t repair_pixels(const FrameView& frame, const float* dark, const float* flat,
                           std::span<const PixelRepair> repairs, float* out, RowRange counted,
                           float min_transmission) {
  return visit_pixel_type(frame.type, [&]<class T>(std::type_identity<T>) {
    const T* raw = static_cast<const T*>(frame.data);
    std::int64_t delta = 0;
    for (const PixelRepair& r : repairs) {
      bool was_clamped = false, clamped = false;
      attenuation(static_cast<float>(raw[r.pixel]), dark[r.pixel], flat[r.pixel], min_transmission, was_clamped);
      out[r.pixel] = repaired_attenuation(static_cast<float>(raw[r.left]), dark[r.left], flat[r.left],
                                          static_cast<float>(raw[r.right]), dark[r.right], flat[r.right],
                                          r.right_weight, min_transmission, clamped);
      if (counted.contains(static_cast<std::uint32_t>(r.pixel / frame.cols))) {
        delta += static_cast<std::int64_t>(clamped) - static_cast<std::int64_t>(was_clamped);
      }
    }
    return delta;
  });
}

}  // namespace tomolive::kernels
