// repair_masked_pixels: interpolation between the nearest unmasked row neighbours, edges, whole rows, dtypes.
#include <gtest/gtest.h>

#include <vector>

#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::detector {
namespace {

using protocol::Dtype;

template <typename T>
std::size_t repair(std::vector<T>& pixels, Dtype dtype, std::uint32_t rows, std::uint32_t cols,
                   std::vector<std::uint32_t> flags) {
  const PixelMask mask{rows, cols, std::move(flags)};
  return repair_masked_pixels(std::as_writable_bytes(std::span(pixels)), dtype, mask);
}

TEST(MaskRepair, InterpolatesARunBetweenItsNeighbours) {
  std::vector<std::uint16_t> pixels = {10, 999, 999, 999, 50, 7};
  EXPECT_EQ(repair(pixels, Dtype::uint16, 1, 6, {0, 1, 2, 0x80000000u, 0, 0}), 3u);
  EXPECT_EQ(pixels, (std::vector<std::uint16_t>{10, 20, 30, 40, 50, 7}));
}

TEST(MaskRepair, RoundsIntegerPixels) {
  std::vector<std::uint8_t> pixels = {0, 200, 1};
  EXPECT_EQ(repair(pixels, Dtype::uint8, 1, 3, {0, 1, 0}), 1u);
  EXPECT_EQ(pixels[1], 1);  // 0.5 rounds away from zero
}

TEST(MaskRepair, EdgesTakeTheNearestUnmaskedNeighbour) {
  std::vector<std::uint32_t> pixels = {5, 5, 70, 80, 9, 9};
  EXPECT_EQ(repair(pixels, Dtype::uint32, 1, 6, {1, 1, 0, 0, 1, 1}), 4u);
  EXPECT_EQ(pixels, (std::vector<std::uint32_t>{70, 70, 70, 80, 80, 80}));
}

TEST(MaskRepair, AWholeMaskedRowBecomesZeroAndRowsAreIndependent) {
  std::vector<float> pixels = {1.f, 2.f, 3.f, 4.f, 5.f, 6.f};
  EXPECT_EQ(repair(pixels, Dtype::float32, 2, 3, {1, 1, 1, 0, 1, 0}), 4u);
  EXPECT_EQ(pixels, (std::vector<float>{0.f, 0.f, 0.f, 4.f, 5.f, 6.f}));
}

TEST(MaskRepair, FloatPixelsInterpolateExactly) {
  std::vector<float> pixels = {1.f, -1.f, -1.f, 2.f};
  EXPECT_EQ(repair(pixels, Dtype::float32, 1, 4, {0, 1, 1, 0}), 2u);
  EXPECT_FLOAT_EQ(pixels[1], 4.f / 3.f);
  EXPECT_FLOAT_EQ(pixels[2], 5.f / 3.f);
}

TEST(MaskRepair, NothingMaskedChangesNothing) {
  std::vector<std::uint16_t> pixels = {1, 2, 3, 4};
  EXPECT_EQ(repair(pixels, Dtype::uint16, 2, 2, {0, 0, 0, 0}), 0u);
  EXPECT_EQ(pixels, (std::vector<std::uint16_t>{1, 2, 3, 4}));
}

TEST(MaskRepair, AMaskOfAnotherSizeChangesNothing) {
  std::vector<std::uint16_t> pixels = {1, 2, 3, 4};
  EXPECT_EQ(repair(pixels, Dtype::uint16, 1, 3, {1, 1, 1}), 0u);
  EXPECT_EQ(pixels, (std::vector<std::uint16_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace tomolive::detector
