#include "tomolive/daemon/sweep_region.hpp"

#include <algorithm>
#include <string>

namespace tomolive::daemon {

kernels::SliceRegion central_square(std::uint32_t side, std::uint32_t slice_cols) {
  side = std::min(side, slice_cols);
  const std::uint32_t start = (slice_cols - side) / 2;
  return {start, start, side, side};
}

std::variant<kernels::SliceRegion, protocol::Error> sweep_region(
    const std::optional<protocol::SliceRegionField>& requested, std::uint32_t slice_cols) {
  if (!requested) return central_square(kDefaultSweepRegionSide, slice_cols);
  const auto& r = *requested;
  const kernels::SliceRegion region{r[0], r[1], r[2], r[3]};
  const std::uint64_t row_end = std::uint64_t{region.row0} + region.rows;
  const std::uint64_t col_end = std::uint64_t{region.col0} + region.cols;
  if (region.rows < 1 || region.cols < 1 || region.rows > kernels::kMaxSweepSide ||
      region.cols > kernels::kMaxSweepSide || row_end > slice_cols || col_end > slice_cols) {
    return protocol::Error{protocol::ErrorCode::invalid_argument,
                           "region [" + std::to_string(r[0]) + ", " + std::to_string(r[1]) + ", " +
                               std::to_string(r[2]) + ", " + std::to_string(r[3]) + "] must lie inside the " +
                               std::to_string(slice_cols) + " x " + std::to_string(slice_cols) +
                               " XY slice with rows and cols in 1.." + std::to_string(kernels::kMaxSweepSide)};
  }
  return region;
}

std::uint32_t sweep_pixel_step(const std::optional<std::uint32_t>& requested, const kernels::SliceRegion& region) {
  static_assert(protocol::kMaxSweepPixelStep == kernels::kMaxSweepPixelStep, "the protocol's steps are the engine's");
  if (requested) return *requested;
  const std::uint32_t side = std::max(region.rows, region.cols);
  constexpr std::uint32_t kImageSide = protocol::kMaxDefaultSweepImageSide;
  return std::max<std::uint32_t>(1, side / kImageSide + (side % kImageSide != 0 ? 1 : 0));
}

}  // namespace tomolive::daemon
