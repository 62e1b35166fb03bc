// SinogramRingFilter: the sorting pass of ring removal over one sinogram on the CPU (processing.hpp step 3; Vo,
// Atwood & Drakopoulos 2018, "sorting-based" stripe removal, their algorithm 3); the reference the CUDA engine's ring
// pass is tested against.
//
// A sinogram here is one detector row of the N stored projections: N rows (projection k = k-th stored slot in
// increasing slot order) of `cols` detector columns, attenuation (dimensionless), row-major. The pass
//   1. sorts each column by value (ties keep projection order),
//   2. median-filters each rank's row of the sorted sinogram across `size` columns (indices clamped to [0, cols)),
//   3. puts each median back where its sorted value came from,
// and reports per column the offset for projections that arrive after the pass: the mean over the N projections of
// (after - before), accumulated in double in rank order.
//
// Memory: work buffers for sinograms up to max_projections x max_cols, allocated at construction; apply() does not
// allocate. Thread safety: an instance is used by one thread at a time; different instances may run concurrently.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace tomolive::kernels {

class SinogramRingFilter {
 public:
  // Work memory for sinograms of up to max_projections x max_cols. Throws std::bad_alloc.
  SinogramRingFilter(std::uint32_t max_projections, std::uint32_t max_cols);

  // Bytes of work memory an instance holds, saturating at 2^64 - 1.
  static std::uint64_t work_bytes(std::uint32_t max_projections, std::uint32_t max_cols);

  // Runs the pass over `sinogram` (projections x cols floats, in place) with a median window of `size` columns (odd,
  // 1..kMaxRingSize) and writes `offsets` (cols floats); all offsets are 0 when projections is 0. Throws
  // std::invalid_argument when the sinogram exceeds the constructed maximum or size is even or too large.
  void apply(float* sinogram, std::uint32_t projections, std::uint32_t cols, std::uint32_t size, float* offsets);

 private:
  // Writes the median of every `size`-wide window of `row` (cols values, indices clamped) into median_row_.
  void median_filter_row(const float* row, std::uint32_t cols, std::uint32_t size);

  std::uint32_t max_projections_;
  std::uint32_t max_cols_;
  std::vector<std::pair<float, std::uint32_t>> column_;  // one column: (value, projection), sorted
  std::vector<float> sorted_;                            // rank x column, the sorted values
  std::vector<std::uint32_t> source_;                    // rank x column, the projection each value came from
  std::vector<float> median_row_;                        // one rank's medians, cols
  std::vector<float> window_;                            // the sorted window of the median filter
  std::vector<double> change_;                           // per column, sum of (median - sorted value)
};

}  // namespace tomolive::kernels
