// attenuation() (the shared core), compute_attenuation() over every pixel type, and FrameAverage.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_preprocess.hpp"
#include "tomolive/kernels/frame_average.hpp"
#include "tomolive/kernels/preprocess.hpp"

namespace tomolive::kernels {
namespace {

TEST(Attenuation, KnownValues) {
  bool clamped = true;
  // (raw - dark) / (flat - dark) = 50 / 100 = 0.5
  EXPECT_NEAR(attenuation(150.f, 100.f, 200.f, kMinTransmission, clamped), std::log(2.f), 1e-6f);
  EXPECT_FALSE(clamped);
  clamped = true;
  EXPECT_FLOAT_EQ(attenuation(200.f, 100.f, 200.f, kMinTransmission, clamped), 0.f);  // open beam
  EXPECT_FALSE(clamped);
  EXPECT_NEAR(attenuation(std::exp(-1.5f), 0.f, 1.f, kMinTransmission, clamped), 1.5f, 1e-6f);
  EXPECT_FALSE(clamped);
  // Brighter than the flat: negative attenuation is kept, not clamped.
  EXPECT_NEAR(attenuation(300.f, 100.f, 200.f, kMinTransmission, clamped), -std::log(2.f), 1e-6f);
  EXPECT_FALSE(clamped);
}

TEST(Attenuation, ClampsLowTransmission) {
  bool clamped = false;
  const float at_min = -std::log(kMinTransmission);
  EXPECT_FLOAT_EQ(attenuation(100.f, 100.f, 200.f, kMinTransmission, clamped), at_min);  // zero transmission
  EXPECT_TRUE(clamped);
  clamped = false;
  EXPECT_FLOAT_EQ(attenuation(50.f, 100.f, 200.f, kMinTransmission, clamped), at_min);  // raw below dark
  EXPECT_TRUE(clamped);
  clamped = false;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FLOAT_EQ(attenuation(nan, 0.f, 1.f, kMinTransmission, clamped), at_min);
  EXPECT_TRUE(clamped);
  clamped = false;
  EXPECT_FLOAT_EQ(attenuation(1e-3f, 0.f, 1.f, 1e-2f, clamped), -std::log(1e-2f));  // caller's minimum
  EXPECT_TRUE(clamped);
}

TEST(Attenuation, DeadPixelHasNoAttenuation) {
  bool clamped = false;
  EXPECT_EQ(attenuation(123.f, 100.f, 100.f, kMinTransmission, clamped), 0.f);  // flat == dark
  EXPECT_TRUE(clamped);
  clamped = false;
  EXPECT_EQ(attenuation(123.f, 100.f, 90.f, kMinTransmission, clamped), 0.f);  // flat below dark
  EXPECT_TRUE(clamped);
}

// compute_attenuation over a frame of each pixel type equals attenuation() pixel by pixel and counts clamps.
template <class T>
void check_compute_attenuation(PixelType type) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::uint32_t rows = 5, cols = 7;
  const std::size_t n = std::size_t{rows} * cols;
  std::uniform_int_distribution<int> value(0, 250);
  std::vector<T> raw(n);
  std::vector<float> dark(n), flat(n), out(n, -1.f);
  for (std::size_t k = 0; k < n; ++k) {
    raw[k] = static_cast<T>(value(rng.gen));
    dark[k] = static_cast<float>(value(rng.gen) % 20);
    flat[k] = 200.f + static_cast<float>(value(rng.gen) % 50);
  }
  raw[cols + 3] = static_cast<T>(0);  // transmission <= 0: clamped
  flat[8] = dark[8];                  // dead pixel
  const FrameView frame{raw.data(), type, rows, cols};

  // Rows 1..4 only; row 0 must stay untouched.
  const std::uint64_t clamped = compute_attenuation(frame, dark.data(), flat.data(), out.data(), 1, rows);
  std::uint64_t expected_clamped = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (k < cols) {
      EXPECT_EQ(out[k], -1.f) << k;
      continue;
    }
    bool c = false;
    const float expected = attenuation(static_cast<float>(raw[k]), dark[k], flat[k], kMinTransmission, c);
    expected_clamped += c ? 1 : 0;
    EXPECT_EQ(out[k], expected) << k;
  }
  EXPECT_EQ(clamped, expected_clamped);
  EXPECT_GE(clamped, 1u);  // the dead pixel at index 8
  EXPECT_EQ(out[8], 0.f);

  // An engine over a slab counts its owned rows only (engine_rows.hpp): rows 1 and 2 here, the values as before.
  std::vector<float> again(n, -1.f);
  std::uint64_t expected_in_rows = 0;
  for (std::size_t k = cols; k < 3 * cols; ++k) {
    bool c = false;
    attenuation(static_cast<float>(raw[k]), dark[k], flat[k], kMinTransmission, c);
    expected_in_rows += c ? 1 : 0;
  }
  EXPECT_GE(expected_in_rows, 1u);  // raw[cols + 3]
  EXPECT_EQ(compute_attenuation(frame, dark.data(), flat.data(), again.data(), 1, rows, RowRange{1, 3}),
            expected_in_rows);
  EXPECT_EQ(again, out);
}

TEST(ComputeAttenuation, Uint8) { check_compute_attenuation<std::uint8_t>(PixelType::uint8); }
TEST(ComputeAttenuation, Uint16) { check_compute_attenuation<std::uint16_t>(PixelType::uint16); }
TEST(ComputeAttenuation, Uint32) { check_compute_attenuation<std::uint32_t>(PixelType::uint32); }
TEST(ComputeAttenuation, Float32) { check_compute_attenuation<float>(PixelType::float32); }

TEST(ComputeAttenuation, LargeUint32ValuesConvertToFloat) {
  const std::vector<std::uint32_t> raw = {4000000000u, 2000000000u};
  const std::vector<float> dark = {0.f, 0.f}, flat = {4000000000.f, 4000000000.f};
  std::vector<float> out(2);
  EXPECT_EQ(compute_attenuation(FrameView{raw.data(), PixelType::uint32, 1, 2}, dark.data(), flat.data(),
                                out.data(), 0, 1),
            0u);
  EXPECT_NEAR(out[0], 0.f, 1e-6f);
  EXPECT_NEAR(out[1], std::log(2.f), 1e-6f);
}

TEST(FrameAverage, AveragesFramesOfAnyType) {
  FrameAverage average;
  average.reset(1, 3);
  const std::vector<std::uint16_t> a = {10, 20, 65535};
  const std::vector<std::uint8_t> b = {20, 40, 255};
  average.add(FrameView{a.data(), PixelType::uint16, 1, 3});
  average.add(FrameView{b.data(), PixelType::uint8, 1, 3});
  EXPECT_EQ(average.count(), 2u);
  std::vector<float> out(3);
  average.average_into(out.data(), -1.f);
  EXPECT_FLOAT_EQ(out[0], 15.f);
  EXPECT_FLOAT_EQ(out[1], 30.f);
  EXPECT_FLOAT_EQ(out[2], 32895.f);
}

TEST(FrameAverage, EmptyGivesDefaultLevel) {
  FrameAverage average;
  average.reset(2, 2);
  std::vector<float> out(4, 0.f);
  average.average_into(out.data(), 1.f);
  for (const float v : out) EXPECT_EQ(v, 1.f);
}

TEST(FrameAverage, RejectsWrongShape) {
  FrameAverage average;
  average.reset(2, 3);
  const std::vector<float> frame(6, 1.f);
  EXPECT_THROW(average.add(FrameView{frame.data(), PixelType::float32, 3, 2}), std::invalid_argument);
  EXPECT_THROW(average.add(FrameView{nullptr, PixelType::float32, 2, 3}), std::invalid_argument);
  EXPECT_EQ(average.count(), 0u);
}

}  // namespace
}  // namespace tomolive::kernels
