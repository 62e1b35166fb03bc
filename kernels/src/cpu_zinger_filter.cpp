#include "tomolive/kernels/cpu_zinger_filter.hpp"

#include <algorithm>
#include <cstddef>

namespace tomolive::kernels {
namespace {

// The median of the 9 values (the 5th smallest). Reorders `values`.
float median_of_9(float (&values)[9]) {
  std::nth_element(values, values + 4, values + 9);
  return values[4];
}

}  // namespace

std::uint64_t remove_zingers(const float* in, float* out, std::uint32_t rows, std::uint32_t cols,
                             const DetectorColumns& detector, float threshold, std::uint32_t row_begin,
                             std::uint32_t row_end, RowRange counted) {
  const std::uint32_t last_col = detector.first + detector.count - 1;
  std::uint64_t replaced = 0;
  for (std::uint32_t row = row_begin; row < row_end; ++row) {
    const float* neighbour_rows[3] = {in + std::size_t{row == 0 ? 0 : row - 1} * cols, in + std::size_t{row} * cols,
                                      in + std::size_t{row + 1 < rows ? row + 1 : row} * cols};
    const float* source = neighbour_rows[1];
    float* target = out + std::size_t{row} * cols;
    std::copy_n(source, detector.first, target);
    std::copy(source + last_col + 1, source + cols, target + last_col + 1);
    for (std::uint32_t col = detector.first; col <= last_col; ++col) {
      const std::uint32_t left = col == detector.first ? col : col - 1;
      const std::uint32_t right = col == last_col ? col : col + 1;
      float neighbourhood[9];
      for (std::size_t r = 0; r < 3; ++r) {
        neighbourhood[3 * r] = neighbour_rows[r][left];
        neighbourhood[3 * r + 1] = neighbour_rows[r][col];
        neighbourhood[3 * r + 2] = neighbour_rows[r][right];
      }
      const float median = median_of_9(neighbourhood);
      const bool replace = zinger_replaces(source[col], median, threshold);
      target[col] = replace ? median : source[col];
      replaced += replace && counted.contains(row) ? 1 : 0;
    }
  }
  return replaced;
}

}  // namespace tomolive::kernels
