// The detector model: levels, fixed pattern, defects, noise statistics and reproducibility.
#include "tomolive/sim/detector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace tomolive::sim {
namespace {

using protocol::FrameKind;

DetectorConfig config(std::uint32_t rows, std::uint32_t cols) {
  DetectorConfig c;
  c.rows = rows;
  c.cols = cols;
  return c;
}

std::vector<std::uint16_t> dark(const DetectorModel& d, std::uint64_t id) {
  std::vector<std::uint16_t> frame(d.dark_map().size());
  d.dark(id, frame);
  return frame;
}

std::vector<std::uint16_t> flat(const DetectorModel& d, std::uint64_t id) {
  std::vector<std::uint16_t> frame(d.dark_map().size());
  d.flat(id, frame);
  return frame;
}

bool is_defect(const DetectorModel& d, std::size_t i) {
  const auto& dead = d.dead_pixels();
  const auto& hot = d.hot_pixels();
  return std::binary_search(dead.begin(), dead.end(), i) || std::binary_search(hot.begin(), hot.end(), i);
}

TEST(Detector, NoiselessFramesAreTheRoundedExpectedValues) {
  DetectorConfig c = config(32, 48);
  c.noise = false;
  const DetectorModel d(c);
  const std::vector<std::uint16_t> dk = dark(d, 0), fl = flat(d, 0);
  std::vector<float> integrals(dk.size());
  for (std::size_t i = 0; i < integrals.size(); ++i) integrals[i] = 0.002f * static_cast<float>(i % 1000);
  std::vector<std::uint16_t> pr(dk.size());
  d.projection(0, integrals, pr);
  for (std::size_t i = 0; i < dk.size(); ++i) {
    if (is_defect(d, i)) continue;
    const double dm = d.dark_map()[i], signal = c.photons * d.gain_map()[i];
    ASSERT_EQ(dk[i], std::floor(0.5 + dm));
    ASSERT_EQ(fl[i], std::floor(0.5 + dm + signal));
    ASSERT_EQ(pr[i], std::floor(0.5 + dm + signal * std::exp(-double{integrals[i]})));
  }
}

TEST(Detector, DarkAndFlatLevelsAndFixedPattern) {
  const DetectorModel d(config(64, 64));
  double dark_sum = 0.0, gain_min = 10.0, gain_max = 0.0, gain_sum = 0.0;
  for (std::size_t i = 0; i < d.dark_map().size(); ++i) {
    dark_sum += d.dark_map()[i];
    gain_min = std::min<double>(gain_min, d.gain_map()[i]);
    gain_max = std::max<double>(gain_max, d.gain_map()[i]);
    gain_sum += d.gain_map()[i];
  }
  const double n = static_cast<double>(d.dark_map().size());
  EXPECT_NEAR(dark_sum / n, 100.0, 0.5);
  EXPECT_GT(gain_min, 0.55);  // the beam profile falls to ~0.75 x 0.85 at the corners
  EXPECT_LT(gain_max, 1.2);
  EXPECT_NEAR(gain_sum / n, 0.86, 0.05);
  // Column structure: neighbouring columns differ by more than the per-pixel scatter explains.
  double column_step = 0.0;
  for (std::uint32_t c = 0; c + 1 < 64; ++c) {
    double a = 0.0, b = 0.0;
    for (std::uint32_t r = 28; r < 36; ++r) {
      a += d.gain_map()[r * 64 + c];
      b += d.gain_map()[r * 64 + c + 1];
    }
    column_step += std::abs(a - b) / 8.0;
  }
  EXPECT_GT(column_step / 63.0, 0.015);

  const std::vector<std::uint16_t> dk = dark(d, 3), fl = flat(d, 3);
  double dark_frame = 0.0, flat_frame = 0.0, expected_flat = 0.0, count = 0.0;
  for (std::size_t i = 0; i < dk.size(); ++i) {
    if (is_defect(d, i)) continue;
    dark_frame += dk[i];
    flat_frame += fl[i];
    expected_flat += d.dark_map()[i] + 20000.0 * d.gain_map()[i];
    count += 1.0;
  }
  EXPECT_NEAR(dark_frame / count, 100.0, 0.5);
  EXPECT_NEAR(flat_frame / expected_flat, 1.0, 1e-3);
}

TEST(Detector, DeadAndHotPixelsAreWhereTheModelSays) {
  const DetectorModel d(config(128, 128));
  ASSERT_EQ(d.dead_pixels().size(), 2u);  // max(2, 128 * 128 / 16384)
  ASSERT_EQ(d.hot_pixels().size(), 2u);
  EXPECT_TRUE(std::is_sorted(d.dead_pixels().begin(), d.dead_pixels().end()));
  for (const std::uint32_t p : d.dead_pixels()) {
    EXPECT_FALSE(std::binary_search(d.hot_pixels().begin(), d.hot_pixels().end(), p));
  }
  const std::vector<std::uint16_t> dk = dark(d, 0), fl = flat(d, 0);
  std::vector<float> integrals(dk.size(), 0.5f);
  std::vector<std::uint16_t> pr(dk.size());
  d.projection(0, integrals, pr);
  for (const std::uint32_t p : d.dead_pixels()) {
    EXPECT_NEAR(fl[p], d.dark_map()[p], 10.0);  // dark level + read noise (sigma 2), no light
    EXPECT_NEAR(pr[p], d.dark_map()[p], 10.0);
  }
  for (const std::uint32_t p : d.hot_pixels()) {
    EXPECT_EQ(dk[p], 65535);
    EXPECT_EQ(fl[p], 65535);
    EXPECT_EQ(pr[p], 65535);
  }
  // Nowhere else is anything saturated or dark in a flat.
  for (std::size_t i = 0; i < fl.size(); ++i) {
    if (is_defect(d, i)) continue;
    ASSERT_GT(fl[i], 5000);
    ASSERT_LT(fl[i], 65535);
  }

  DetectorConfig clean = config(128, 128);
  clean.defects = false;
  const DetectorModel without(clean);
  EXPECT_TRUE(without.dead_pixels().empty());
  EXPECT_TRUE(without.hot_pixels().empty());
  const std::vector<std::uint16_t> clean_dark = dark(without, 0);
  EXPECT_LT(*std::max_element(clean_dark.begin(), clean_dark.end()), 200);

  EXPECT_EQ(DetectorModel(config(1024, 512)).dead_pixels().size(), 32u);  // one per 16384 pixels
}

// Per-pixel mean and variance over many flats, pooled: the variance must be the Poisson variance (= the mean signal)
// plus the read noise and the rounding (1/12).
void expect_poisson_flats(double photons, double tolerance) {
  DetectorConfig c = config(32, 32);
  c.photons = photons;
  c.defects = false;
  const DetectorModel d(c);
  constexpr int kFrames = 64;
  const std::size_t n = d.dark_map().size();
  std::vector<double> sum(n, 0.0), sum2(n, 0.0);
  for (int f = 0; f < kFrames; ++f) {
    const std::vector<std::uint16_t> fl = flat(d, static_cast<std::uint64_t>(f));
    for (std::size_t i = 0; i < n; ++i) {
      sum[i] += fl[i];
      sum2[i] += static_cast<double>(fl[i]) * fl[i];
    }
  }
  double variance_ratio = 0.0, mean_ratio = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double mean = sum[i] / kFrames;
    const double variance = (sum2[i] - kFrames * mean * mean) / (kFrames - 1);
    const double signal = photons * d.gain_map()[i];
    variance_ratio += variance / (signal + c.read_noise_counts * c.read_noise_counts + 1.0 / 12.0);
    mean_ratio += (mean - d.dark_map()[i]) / signal;
  }
  EXPECT_NEAR(mean_ratio / static_cast<double>(n), 1.0, tolerance) << "photons " << photons;
  EXPECT_NEAR(variance_ratio / static_cast<double>(n), 1.0, 0.05) << "photons " << photons;
}

TEST(Detector, FlatNoiseIsPoissonForLargeMeans) { expect_poisson_flats(20000.0, 1e-3); }

TEST(Detector, FlatNoiseIsPoissonForSmallMeans) { expect_poisson_flats(8.0, 0.03); }  // the exact sampler

TEST(Detector, FramesAreReproducibleFromTheSeed) {
  const DetectorModel a(config(32, 32)), b(config(32, 32));
  DetectorConfig other = config(32, 32);
  other.seed = 2;
  const DetectorModel c(other);
  EXPECT_EQ(flat(a, 5), flat(b, 5));
  EXPECT_EQ(dark(a, 1), dark(b, 1));
  EXPECT_NE(flat(a, 5), flat(a, 6)) << "each frame has its own noise";
  EXPECT_NE(flat(a, 5), flat(c, 5));
  EXPECT_NE(a.dead_pixels(), c.dead_pixels());
  EXPECT_FALSE(std::equal(a.gain_map().begin(), a.gain_map().end(), c.gain_map().begin()));
  // A dark and a flat with the same id draw different noise.
  DetectorConfig dim = config(32, 32);
  dim.photons = 1e-9;
  const DetectorModel d(dim);
  EXPECT_NE(dark(d, 0), flat(d, 0));
}

TEST(Detector, RowsMatchFramesAndSizesAreChecked) {
  const DetectorModel d(config(16, 24));
  const std::vector<std::uint16_t> frame = flat(d, 2);
  std::vector<std::uint16_t> row(24);
  d.expose_row(FrameKind::flat, 2, 7, {}, row);
  EXPECT_TRUE(std::equal(row.begin(), row.end(), frame.begin() + 7 * 24));

  std::vector<float> integrals(24, 0.f);
  EXPECT_THROW(d.expose_row(FrameKind::flat, 0, 16, {}, row), std::invalid_argument);
  EXPECT_THROW(d.expose_row(FrameKind::flat, 0, 0, integrals, row), std::invalid_argument);
  EXPECT_THROW(d.expose_row(FrameKind::projection, 0, 0, {}, row), std::invalid_argument);
  std::vector<std::uint16_t> short_frame(10);
  EXPECT_THROW(d.dark(0, short_frame), std::invalid_argument);
  EXPECT_THROW(DetectorModel(config(0, 16)), std::invalid_argument);
  DetectorConfig negative = config(8, 8);
  negative.photons = -1.0;
  EXPECT_THROW(DetectorModel{negative}, std::invalid_argument);
}

}  // namespace
}  // namespace tomolive::sim
