#include "tomolive/kernels/frame_average.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "tomolive/kernels/pixel_dispatch.hpp"

namespace tomolive::kernels {

void FrameAverage::reset(std::uint32_t rows, std::uint32_t cols) {
  rows_ = rows;
  cols_ = cols;
  count_ = 0;
  sum_.assign(std::size_t{rows} * cols, 0.0);
  sum_of_squares_.assign(std::size_t{rows} * cols, 0.0);
}

void FrameAverage::add(const FrameView& frame) {
  if (frame.rows != rows_ || frame.cols != cols_ || frame.data == nullptr) {
    throw std::invalid_argument("FrameAverage: frame of " + std::to_string(frame.rows) + " x " +
                                std::to_string(frame.cols) + " does not match " + std::to_string(rows_) + " x " +
                                std::to_string(cols_) + " (or has no data)");
  }
  visit_pixel_type(frame.type, [&]<class T>(std::type_identity<T>) {
    const T* raw = static_cast<const T*>(frame.data);
    for (std::size_t k = 0; k < sum_.size(); ++k) {
      const auto value = static_cast<double>(raw[k]);
      sum_[k] += value;
      sum_of_squares_[k] += value * value;
    }
  });
  ++count_;
}

void FrameAverage::average_into(float* out, float level_if_empty) const {
  if (count_ == 0) {
    std::fill(out, out + sum_.size(), level_if_empty);
    return;
  }
  const double scale = 1.0 / count_;
  for (std::size_t k = 0; k < sum_.size(); ++k) out[k] = static_cast<float>(sum_[k] * scale);
}

void FrameAverage::variance_into(float* out) const {
  if (count_ < 2) {
    std::fill(out, out + sum_.size(), 0.f);
    return;
  }
  const double n = count_;
  for (std::size_t k = 0; k < sum_.size(); ++k) {
    out[k] = static_cast<float>(std::max(0.0, (sum_of_squares_[k] - sum_[k] * sum_[k] / n) / (n - 1.0)));
  }
}

}  // namespace tomolive::kernels
