// The region and pixel step of a sweep (PROTOCOL.md 10.1): the central square by default, a requested region checked
// against the slice, and the default pixel step that keeps a center sweep's images within 512 pixels a side.
#include "tomolive/daemon/sweep_region.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace tomolive::daemon {
namespace {

kernels::SliceRegion square(std::uint32_t side) { return {0, 0, side, side}; }

TEST(SweepRegion, DefaultIsTheCentralSquareAndARequestMustFitTheSlice) {
  const auto whole = sweep_region(std::nullopt, 2048);
  ASSERT_TRUE(std::holds_alternative<kernels::SliceRegion>(whole));
  const auto& region = std::get<kernels::SliceRegion>(whole);
  EXPECT_EQ(region.row0, 768u);
  EXPECT_EQ(region.rows, 512u);
  const auto refused = sweep_region(protocol::SliceRegionField{0, 0, 1025, 8}, 2048);
  ASSERT_TRUE(std::holds_alternative<protocol::Error>(refused));
  EXPECT_EQ(std::get<protocol::Error>(refused).code, protocol::ErrorCode::invalid_argument);
}

TEST(SweepRegion, DefaultPixelStepKeepsImagesWithin512) {
  EXPECT_EQ(sweep_pixel_step(std::nullopt, square(1)), 1u);
  EXPECT_EQ(sweep_pixel_step(std::nullopt, square(512)), 1u);
  EXPECT_EQ(sweep_pixel_step(std::nullopt, square(513)), 2u);  // 257 x 257 images
  EXPECT_EQ(sweep_pixel_step(std::nullopt, square(1024)), 2u);  // 512 x 512 images
  EXPECT_EQ(sweep_pixel_step(std::nullopt, kernels::SliceRegion{0, 0, 100, 1000}), 2u);  // the longer side counts
  EXPECT_EQ(sweep_pixel_step(std::nullopt, kernels::SliceRegion{0, 0, 1000, 100}), 2u);
  for (std::uint32_t side = 1; side <= kernels::kMaxSweepSide; ++side) {
    const std::uint32_t step = sweep_pixel_step(std::nullopt, square(side));
    EXPECT_LE(kernels::sweep_image_rows(square(side), step), protocol::kMaxDefaultSweepImageSide) << side;
    if (step > 1) {  // the smallest such step
      EXPECT_GT(kernels::sweep_image_rows(square(side), step - 1), protocol::kMaxDefaultSweepImageSide) << side;
    }
  }
  // A requested step is kept, whatever the region: 1 asks for every pixel of a 1024 region.
  EXPECT_EQ(sweep_pixel_step(1u, square(1024)), 1u);
  EXPECT_EQ(sweep_pixel_step(3u, square(16)), 3u);
}

}  // namespace
}  // namespace tomolive::daemon
