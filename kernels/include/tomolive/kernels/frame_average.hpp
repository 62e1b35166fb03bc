// FrameAverage: the running per-pixel mean and variance of reference frames (darks or flats) of one scan.
//
// Units: detector counts. Sums are kept in double so that thousands of uint32 frames average exactly enough.
// Thread safety: not thread-safe; one owner (the engine).
#pragma once

#include <cstdint>
#include <vector>

#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels {

class FrameAverage {
 public:
  FrameAverage() = default;

  // Clears the sums and sets the frame shape; allocates 2 x rows x cols doubles.
  void reset(std::uint32_t rows, std::uint32_t cols);

  // Adds one frame. Throws std::invalid_argument if its shape differs from reset()'s or its data is null.
  void add(const FrameView& frame);

  std::uint32_t count() const { return count_; }

  // Writes the mean into `out` (rows x cols floats), or `level_if_empty` everywhere when no frame was added.
  void average_into(float* out, float level_if_empty) const;

  // Writes the unbiased sample variance across the frames (counts^2) into `out` (rows x cols floats), or 0
  // everywhere with fewer than 2 frames.
  void variance_into(float* out) const;

 private:
  std::uint32_t rows_ = 0;
  std::uint32_t cols_ = 0;
  std::uint32_t count_ = 0;
  std::vector<double> sum_;
  std::vector<double> sum_of_squares_;
};

}  // namespace tomolive::kernels
