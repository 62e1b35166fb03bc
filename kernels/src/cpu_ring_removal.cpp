#include "tomolive/kernels/cpu_ring_removal.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "tomolive/kernels/plan_arithmetic.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

SinogramRingFilter::SinogramRingFilter(std::uint32_t max_projections, std::uint32_t max_cols)
    : max_projections_(max_projections),
      max_cols_(max_cols),
      column_(max_projections),
      sorted_(std::size_t{max_projections} * max_cols),
      source_(std::size_t{max_projections} * max_cols),
      median_row_(max_cols),
      change_(max_cols) {
  window_.reserve(kMaxRingSize);
}

std::uint64_t SinogramRingFilter::work_bytes(std::uint32_t max_projections, std::uint32_t max_cols) {
  const std::uint64_t values = std::uint64_t{max_projections} * max_cols;
  const std::uint64_t small = std::uint64_t{max_projections} * sizeof(std::pair<float, std::uint32_t>) +
                              std::uint64_t{max_cols} * (sizeof(float) + sizeof(double)) + kMaxRingSize * sizeof(float);
  return saturating_add(saturating_mul(values, sizeof(float) + sizeof(std::uint32_t)), small);
}

void SinogramRingFilter::median_filter_row(const float* row, std::uint32_t cols, std::uint32_t size) {
  const auto half = static_cast<std::int64_t>(size / 2);
  const auto last = static_cast<std::int64_t>(cols) - 1;
  const auto at = [&](std::int64_t c) { return row[std::clamp<std::int64_t>(c, 0, last)]; };
  window_.clear();
  for (std::int64_t c = -half; c <= half; ++c) window_.push_back(at(c));
  std::sort(window_.begin(), window_.end());
  for (std::int64_t c = 0; c <= last; ++c) {
    median_row_[static_cast<std::size_t>(c)] = window_[static_cast<std::size_t>(half)];
    if (c == last) break;
    // Slide right: the value at c - half leaves, the one at c + half + 1 enters; the window stays sorted.
    window_.erase(std::lower_bound(window_.begin(), window_.end(), at(c - half)));
    const float entering = at(c + half + 1);
    window_.insert(std::upper_bound(window_.begin(), window_.end(), entering), entering);
  }
}

void SinogramRingFilter::apply(float* sinogram, std::uint32_t projections, std::uint32_t cols, std::uint32_t size,
                               float* offsets) {
  if (projections > max_projections_ || cols > max_cols_) {
    throw std::invalid_argument("SinogramRingFilter: sinogram " + std::to_string(projections) + " x " +
                                std::to_string(cols) + " exceeds the work memory for " +
                                std::to_string(max_projections_) + " x " + std::to_string(max_cols_));
  }
  if (size % 2 == 0 || size > kMaxRingSize) {
    throw std::invalid_argument("SinogramRingFilter: median window " + std::to_string(size) + " must be odd, <= " +
                                std::to_string(kMaxRingSize));
  }
  std::fill_n(offsets, cols, 0.f);
  if (projections == 0 || cols == 0) return;

  for (std::uint32_t c = 0; c < cols; ++c) {
    for (std::uint32_t k = 0; k < projections; ++k) column_[k] = {sinogram[std::size_t{k} * cols + c], k};
    // (value, projection) pairs in lexicographic order: sorted by value, ties in projection order.
    std::sort(column_.begin(), column_.begin() + projections);
    for (std::uint32_t rank = 0; rank < projections; ++rank) {
      sorted_[std::size_t{rank} * cols + c] = column_[rank].first;
      source_[std::size_t{rank} * cols + c] = column_[rank].second;
    }
  }
  std::fill_n(change_.begin(), cols, 0.0);
  for (std::uint32_t rank = 0; rank < projections; ++rank) {
    const float* sorted_row = sorted_.data() + std::size_t{rank} * cols;
    const std::uint32_t* source_row = source_.data() + std::size_t{rank} * cols;
    median_filter_row(sorted_row, cols, size);
    for (std::uint32_t c = 0; c < cols; ++c) {
      sinogram[std::size_t{source_row[c]} * cols + c] = median_row_[c];
      change_[c] += static_cast<double>(median_row_[c]) - static_cast<double>(sorted_row[c]);
    }
  }
  for (std::uint32_t c = 0; c < cols; ++c) offsets[c] = static_cast<float>(change_[c] / projections);
}

}  // namespace tomolive::kernels
