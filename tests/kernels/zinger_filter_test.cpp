// Zinger removal (cpu_zinger_filter.hpp): isolated hot pixels on a phantom projection with a straight edge are
// removed, everything out of their reach is untouched, and only the detector columns are filtered.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_zinger_filter.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::kernels {
namespace {

constexpr std::uint32_t kRows = 40, kCols = 64;
constexpr float kThreshold = 0.3f;  // ZingerFilter's default

// Attenuation of a Shepp-Logan projection at 30 deg, rows 30..69 of a 100-row detector (inside the phantom's height,
// so that its top and bottom do not cross the edge below: a median filter rounds corners, by design), plus a plate
// whose straight vertical edge sits at column 40 (a step of 0.5 in attenuation: 65 % in transmission, beyond the
// threshold).
std::vector<float> phantom_with_edge() {
  const sim::DetectorGeometry geometry{100, kCols, 0.0};
  std::vector<float> a(std::size_t{kRows} * kCols);
  sim::shepp_logan_3d(geometry, 1.0).project(geometry, 30.0, 30, 30 + kRows, a);
  for (std::uint32_t r = 0; r < kRows; ++r) {
    for (std::uint32_t c = 40; c < kCols; ++c) a[std::size_t{r} * kCols + c] += 0.5f;
  }
  return a;
}

// Hot pixels: transmission doubled (attenuation - ln 2), isolated or in a pair, on the edge and at the frame's
// borders too.
const std::vector<std::pair<std::uint32_t, std::uint32_t>> kZingers = {
    {0, 0}, {5, 20}, {12, 39}, {12, 40}, {20, 32}, {27, 10}, {33, 50}, {39, 63}, {18, 63}, {39, 25}};
const float kHeight = std::log(2.f);

bool near_a_zinger(std::uint32_t r, std::uint32_t c) {
  for (const auto& [zr, zc] : kZingers) {
    if (std::abs(int(r) - int(zr)) <= 1 && std::abs(int(c) - int(zc)) <= 1) return true;
  }
  return false;
}

TEST(ZingerFilter, RemovesHotPixelsAndKeepsTheEdge) {
  const std::vector<float> clean = phantom_with_edge();
  std::vector<float> hit = clean;
  for (const auto& [r, c] : kZingers) hit[std::size_t{r} * kCols + c] -= kHeight;

  std::vector<float> out(hit.size(), -1.f);
  const DetectorColumns all{0, kCols};
  // In two calls of row ranges, as the engine's workers do.
  std::uint64_t replaced = remove_zingers(hit.data(), out.data(), kRows, kCols, all, kThreshold, 0, 17);
  replaced += remove_zingers(hit.data(), out.data(), kRows, kCols, all, kThreshold, 17, kRows);
  EXPECT_EQ(replaced, kZingers.size());

  for (const auto& [r, c] : kZingers) {
    const std::size_t k = std::size_t{r} * kCols + c;
    // Residual below 5 % of the zinger's height (the median of a smooth neighbourhood, or of the own side of the
    // edge, is within a few percent of the true value).
    EXPECT_LT(std::fabs(out[k] - clean[k]), 0.05f * kHeight) << "zinger at (" << r << ", " << c << ")";
  }
  for (std::uint32_t r = 0; r < kRows; ++r) {
    for (std::uint32_t c = 0; c < kCols; ++c) {
      const std::size_t k = std::size_t{r} * kCols + c;
      if (near_a_zinger(r, c)) continue;
      EXPECT_EQ(out[k], hit[k]) << "pixel (" << r << ", " << c << ") has no zinger in reach";
    }
  }
  // The edge: both columns at the step keep their values in every row without a zinger next to them.
  for (std::uint32_t r = 0; r < kRows; ++r) {
    if (near_a_zinger(r, 39) || near_a_zinger(r, 40)) continue;
    EXPECT_FLOAT_EQ(out[std::size_t{r} * kCols + 40] - out[std::size_t{r} * kCols + 39],
                    clean[std::size_t{r} * kCols + 40] - clean[std::size_t{r} * kCols + 39]);
  }
}

TEST(ZingerFilter, ColdPixelsBeyondTheThresholdAreReplacedToo) {
  std::vector<float> frame(std::size_t{8} * 8, 1.f);
  frame[3 * 8 + 4] = 1.f + 0.2f;   // transmission -18 %: below the 30 % threshold, kept
  frame[5 * 8 + 1] = 1.f + 0.5f;   // transmission -39 %: replaced
  std::vector<float> out(frame.size());
  EXPECT_EQ(remove_zingers(frame.data(), out.data(), 8, 8, DetectorColumns{0, 8}, kThreshold, 0, 8), 1u);
  EXPECT_EQ(out[3 * 8 + 4], 1.2f);
  EXPECT_EQ(out[5 * 8 + 1], 1.f);
}

TEST(ZingerFilter, CountsOnlyTheCountedRows) {
  // An engine over a slab counts its owned rows only (engine_rows.hpp): of two replaced pixels, the one in rows 0..3.
  std::vector<float> frame(std::size_t{8} * 8, 1.f);
  frame[2 * 8 + 4] = 2.f;
  frame[5 * 8 + 1] = 2.f;
  std::vector<float> out(frame.size());
  EXPECT_EQ(remove_zingers(frame.data(), out.data(), 8, 8, DetectorColumns{0, 8}, kThreshold, 0, 8, RowRange{0, 4}),
            1u);
  EXPECT_EQ(out[2 * 8 + 4], 1.f);
  EXPECT_EQ(out[5 * 8 + 1], 1.f);
}

TEST(ZingerFilter, OnlyTheDetectorColumnsAreFiltered) {
  // Half acquisition: the detector measured columns [6, 20) of 24, the rest is filler (attenuation 0). The detector's
  // first column holds 2, the others 0.5: with the neighbourhood clamped to the detector the first column's median
  // is its own value; had it reached into the filler (0, 2, 0.5 three times each) the median would be 0.5 and the
  // whole column would be replaced. A hot pixel in the filler stays, one inside the detector goes.
  const std::uint32_t rows = 6, cols = 24;
  const DetectorColumns detector{6, 14};
  std::vector<float> frame(std::size_t{rows} * cols, 0.f);
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = detector.first; c < detector.first + detector.count; ++c) {
      frame[r * cols + c] = c == detector.first ? 2.f : 0.5f;
    }
  }
  frame[2 * cols + 3] = -1.f;     // filler
  frame[3 * cols + 12] = -0.5f;   // detector, transmission x e
  std::vector<float> out(frame.size());
  EXPECT_EQ(remove_zingers(frame.data(), out.data(), rows, cols, detector, kThreshold, 0, rows), 1u);
  EXPECT_EQ(out[3 * cols + 12], 0.5f);
  for (std::size_t k = 0; k < frame.size(); ++k) {
    if (k != 3 * cols + 12) {
      EXPECT_EQ(out[k], frame[k]) << "pixel " << k;
    }
  }
}

}  // namespace
}  // namespace tomolive::kernels
