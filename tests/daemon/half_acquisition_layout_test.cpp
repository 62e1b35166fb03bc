#include "tomolive/daemon/half_acquisition_layout.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace tomolive::daemon {
namespace {

TEST(HalfAcquisitionLayout, AxisRightOfCentreAddsColumnsOnTheRight) {
  const auto layout = HalfAcquisitionLayout::widened(96, DetectorOffsetPx(30.0));  // axis at detector column 77.5
  EXPECT_EQ(layout.engine_cols, 156u);
  EXPECT_EQ(layout.detector_col0, 0u);
  EXPECT_TRUE(layout.widens());
  // The axis lands on the wide frame's centre, (156 - 1) / 2 = 77.5.
  EXPECT_DOUBLE_EQ(layout.engine_offset(DetectorOffsetPx(30.0)).px, 0.0);
  EXPECT_DOUBLE_EQ(layout.detector_offset(EngineOffsetPx(0.25)).px, 30.25);
}

TEST(HalfAcquisitionLayout, AxisLeftOfCentreAddsColumnsOnTheLeft) {
  const auto layout = HalfAcquisitionLayout::widened(96, DetectorOffsetPx(-30.2));  // axis at detector column 17.3
  EXPECT_EQ(layout.engine_cols, 156u);
  EXPECT_EQ(layout.detector_col0, 60u);
  // In the wide frame the axis is at 60 + 17.3 = 77.3, 0.2 px left of its centre.
  EXPECT_NEAR(layout.engine_offset(DetectorOffsetPx(-30.2)).px, -0.2, 1e-12);
  EXPECT_NEAR(layout.detector_offset(layout.engine_offset(DetectorOffsetPx(-12.0))).px, -12.0, 1e-12);
}

TEST(HalfAcquisitionLayout, IdentityChangesNothing) {
  const auto layout = HalfAcquisitionLayout::identity(64);
  EXPECT_FALSE(layout.widens());
  EXPECT_DOUBLE_EQ(layout.engine_offset(DetectorOffsetPx(3.5)).px, 3.5);
}

TEST(HalfAcquisitionLayout, WidenFramePlacesTheDetectorAndFillsTheRest) {
  const auto layout = HalfAcquisitionLayout::widened(3, DetectorOffsetPx(-1.0));  // 2 columns added on the left
  const std::vector<std::uint16_t> frame = {10, 11, 12, 20, 21, 22};
  std::vector<std::uint16_t> out(2 * 5, 99);
  const kernels::FrameView wide = widen_frame(layout, {frame.data(), kernels::PixelType::uint16, 2, 3},
                                              WideningFill::one, std::as_writable_bytes(std::span(out)));
  EXPECT_EQ(wide.cols, 5u);
  EXPECT_EQ(wide.rows, 2u);
  EXPECT_EQ(out, (std::vector<std::uint16_t>{1, 1, 10, 11, 12, 1, 1, 20, 21, 22}));

  std::vector<float> dark = {5.f, 6.f, 7.f};
  std::vector<float> wide_dark(5, 99.f);
  widen_frame(layout, {dark.data(), kernels::PixelType::float32, 1, 3}, WideningFill::zero,
              std::as_writable_bytes(std::span(wide_dark)));
  EXPECT_EQ(wide_dark, (std::vector<float>{0.f, 0.f, 5.f, 6.f, 7.f}));
}

TEST(HalfAcquisitionLayout, WidenFrameRefusesAWrongWidthOrASmallBuffer) {
  const auto layout = HalfAcquisitionLayout::widened(3, DetectorOffsetPx(1.0));
  std::vector<std::uint8_t> frame(4);
  std::vector<std::uint8_t> out(5);
  EXPECT_THROW(widen_frame(layout, {frame.data(), kernels::PixelType::uint8, 1, 4}, WideningFill::one,
                           std::as_writable_bytes(std::span(out))),
               std::invalid_argument);
  EXPECT_THROW(widen_frame(layout, {frame.data(), kernels::PixelType::uint8, 2, 3}, WideningFill::one,
                           std::as_writable_bytes(std::span(out))),
               std::invalid_argument);
}

}  // namespace
}  // namespace tomolive::daemon
