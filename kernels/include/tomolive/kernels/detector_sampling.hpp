// The one rule by which every backprojection path (CPU engine; CUDA axial, vertical and sweep kernels) samples a
// filtered detector row at a fractional column u (pixels, column k's centre at u = k):
//
//   linear interpolation between columns floor(u) and floor(u) + 1, a column outside [0, cols - 1] counting as 0.
//
// So the value is 0 for u <= -1 and u >= cols, rises linearly from 0 at u = -1 to row[0] at u = 0, and falls from
// row[cols - 1] at u = cols - 1 to 0 at u = cols. The rule is continuous in u (it is the zero-padded row's linear
// interpolant), which is what makes the engines agree at the detector's edges: two positions that differ by d pixels
// (the engines round positions differently: the CPU as x cos + y sin + axis, the CUDA kernels with FMAs and in
// window-local or per-column forms, detector_cells.hpp) give values that differ by at most d times the largest step
// between neighbouring columns (row[-1] = row[cols] = 0 included), whichever neighbours rounding picks. (The previous
// rule, 0 outside [0, cols - 1], jumped by row[0] at u = 0: a few ulps of rounding changed a pixel by a whole edge
// sample.)
// Thread safety: pure functions. TOMOLIVE_HD: compiled for the host and, under nvcc, for the device.
#pragma once

#include <cstdint>

#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// The open interval of positions u whose samples can be non-zero: (kSupportBegin, cols). Outside it (and at its ends)
// a sample is 0. Kernels that test positions against the detector test against this interval.
inline constexpr float kSupportBegin = -1.f;
TOMOLIVE_HD inline float support_end(std::uint32_t cols) { return static_cast<float>(cols); }

// Whether u lies in the support (-1, cols); false for NaN.
TOMOLIVE_HD inline bool in_support(float u, std::uint32_t cols) { return u > kSupportBegin && u < support_end(cols); }

// Whether column c is one of the detector's, [0, cols - 1]; the rule counts any other column as 0.
TOMOLIVE_HD inline bool column_on_detector(std::int64_t c, std::uint32_t cols) {
  return c >= 0 && c < static_cast<std::int64_t>(cols);
}

// Column c of a row under the rule: row[c] on the detector, else 0.
TOMOLIVE_HD inline float detector_column(const float* row, std::uint32_t cols, std::int64_t c) {
  return column_on_detector(c, cols) ? row[c] : 0.f;
}

// The rule: the sample of `row` (cols floats) at fractional column u; 0 outside the support and for NaN.
TOMOLIVE_HD inline float sample_row_linear(const float* row, std::uint32_t cols, float u) {
  if (!in_support(u, cols)) return 0.f;
  // floor(u) without a libm call: u > -1, so floor(u) is -1 for negative u and the truncation otherwise.
  const std::int32_t left = u >= 0.f ? static_cast<std::int32_t>(u) : -1;
  const float frac = u - static_cast<float>(left);
  const float a = detector_column(row, cols, left);
  const float b = detector_column(row, cols, std::int64_t{left} + 1);
  return a + frac * (b - a);
}

}  // namespace tomolive::kernels
