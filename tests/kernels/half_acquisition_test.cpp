// Half acquisition (processing.hpp step 4): the overlap weights, and a 360 degree scan whose detector covers one side
// of the axis plus an overlap, reconstructed by the CPU engine, against the full detector's reconstruction.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "processing_scan.hpp"
#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/processing.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::kernels {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(HalfAcquisitionWeight, OppositeOffsetsAddUpToOne) {
  struct Layout {
    std::string name;
    float axis;
    std::uint32_t col0, n;
    float overlap_half_width;  // h
    int detector_side;         // +1: the detector reaches further right of the axis
  };
  // A 96-column frame with its axis at 47.5 (+0.3): the detector on the right ([40, 96)) or on the left ([0, 56)).
  const Layout layouts[] = {{"right", 47.8f, 40, 56, 7.8f, +1}, {"left", 47.8f, 0, 56, 7.2f, -1}};
  for (const Layout& l : layouts) {
    SCOPED_TRACE(l.name);
    for (float u = -20.f; u <= 20.f; u += 0.25f) {
      const float w = half_acquisition_weight(u, l.axis, l.col0, l.n);
      EXPECT_NEAR(w + half_acquisition_weight(-u, l.axis, l.col0, l.n), 1.f, 1e-6f) << "u " << u;
      EXPECT_GE(w, 0.f);
      EXPECT_LE(w, 1.f);
      const float su = static_cast<float>(l.detector_side) * u;
      if (su > l.overlap_half_width + 1e-3f) {
        EXPECT_EQ(w, 1.f) << "u " << u;
      } else if (su < -l.overlap_half_width - 1e-3f) {
        EXPECT_EQ(w, 0.f) << "u " << u;
      }
      // Rising toward the detector's side, smoothly.
      const float next = half_acquisition_weight(u + static_cast<float>(l.detector_side) * 0.25f, l.axis, l.col0, l.n);
      EXPECT_GE(next, w) << "u " << u;
      EXPECT_LE(next - w, 0.25f * 1.5708f / l.overlap_half_width * 0.5f + 1e-6f) << "u " << u;
    }
    EXPECT_FLOAT_EQ(half_acquisition_weight(0.f, l.axis, l.col0, l.n), 0.5f);
  }
}

// A Shepp-Logan slice filling a 96-column field, 360 projections over 360 deg. The full detector's reconstruction
// (weight pi / slots) is the reference. The half-acquisition scan's frames hold the detector's columns [38, 96) (the
// axis at 47.5 + offset: an overlap of about 10 columns on the near side) and transmission 1 elsewhere, reconstructed
// with the weights and 2 pi / slots.
//
// The full scan measures each line twice, at detector positions mirrored about the axis: with the axis on a pixel
// centre or half-way between two (offset a multiple of 0.5 px) both samples sit on pixel centres and the two
// reconstructions agree to float rounding; otherwise the two samples are 2 x offset apart (mod 1 px), a finer sampling
// the half scan (one sample per line away from the overlap) does not have. That shows at the phantom's 1.6 px thin
// skull (about 9 % RMSE over the object) but not inside it.
class HalfAcquisitionScan : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kRows = 2, kCols = 96, kSlots = 360, kCol0 = 38;

  // The scan's geometry; `half` says where the detector's columns lie (default: a plain scan).
  static ScanGeometry geometry(double angle_weight, HalfAcquisition half = {}) {
    ScanGeometry g = testing::scan_geometry(kRows, kCols, kSlots, angle_weight);
    g.half_acquisition = half;
    return g;
  }

  testing::FrameSource frames(std::uint32_t col0, float center_offset) const {
    return [col0, center_offset](std::uint32_t, float angle) {
      const sim::DetectorGeometry detector{kRows, kCols, center_offset};
      std::vector<float> a = testing::phantom_attenuation(sim::shepp_logan_3d(detector), detector, angle);
      for (std::uint32_t r = 0; r < kRows; ++r) {
        for (std::uint32_t c = 0; c < col0; ++c) a[r * kCols + c] = 0.f;
      }
      return testing::transmission_of(a);
    };
  }

  std::vector<float> reconstruct(std::uint32_t col0, bool weights, double angle_weight, float center_offset) const {
    ReconParams params;
    params.center_offset_px = center_offset;
    const ScanGeometry g = geometry(angle_weight, {weights, col0, kCols - col0});
    auto engine = make_cpu_engine({});
    testing::begin_and_feed(*engine, g, params, 2 * kPi, frames(col0, center_offset));
    return testing::axial_slice(*engine, g);
  }

  // RMSE of a - b within radius_fraction x cols of the centre, relative to b's RMS there.
  static double relative_rmse_within(const std::vector<float>& a, const std::vector<float>& b, double radius_fraction) {
    const double centre = 0.5 * (kCols - 1);
    double diff = 0.0, norm = 0.0;
    for (std::uint32_t i = 0; i < kCols; ++i) {
      for (std::uint32_t j = 0; j < kCols; ++j) {
        if (std::hypot(i - centre, j - centre) >= radius_fraction * kCols) continue;
        const std::size_t k = std::size_t{i} * kCols + j;
        diff += std::pow(double(a[k]) - double(b[k]), 2);
        norm += std::pow(double(b[k]), 2);
      }
    }
    return std::sqrt(diff / norm);
  }

  // Relative RMSE of the half scan's reconstruction against the full one within the object (0.4 x cols; the
  // phantom's radius is 0.45 x cols) and inside its skull (0.2 x cols), and over the object without the weights.
  struct Errors {
    double object, brain, unweighted;
  };
  Errors errors(float offset) const {
    const double full_weight = kPi / kSlots, half_weight = 2 * kPi / kSlots;
    const std::vector<float> full = reconstruct(0, false, full_weight, offset);
    const std::vector<float> half = reconstruct(kCol0, true, half_weight, offset);
    const std::vector<float> unweighted = reconstruct(kCol0, false, half_weight, offset);
    const Errors e{relative_rmse_within(half, full, 0.4), relative_rmse_within(half, full, 0.2),
                   relative_rmse_within(unweighted, full, 0.4)};
    std::printf("half acquisition, offset %.2f px: relative RMSE %.3f %% over the object, %.3f %% inside the skull; "
                "without weights %.1f %%\n", offset, 100 * e.object, 100 * e.brain, 100 * e.unweighted);
    EXPECT_GT(e.unweighted, 0.5);  // each line of the overlap counted twice, the far side's filler too
    return e;
  }
};

TEST_F(HalfAcquisitionScan, MatchesTheFullDetectorWithTheAxisOnTheSamplingGrid) {
  for (const float offset : {0.f, 1.5f}) {
    SCOPED_TRACE("center offset " + std::to_string(offset));
    EXPECT_LT(errors(offset).object, 1e-3);
  }
}

TEST_F(HalfAcquisitionScan, MatchesTheFullDetectorWithTheAxisOffTheSamplingGrid) {
  for (const float offset : {0.25f, 1.3f}) {
    SCOPED_TRACE("center offset " + std::to_string(offset));
    const Errors e = errors(offset);
    EXPECT_LT(e.brain, 0.01);
    EXPECT_LT(e.object, 0.12);
  }
}

TEST_F(HalfAcquisitionScan, SetCenterRefiltersWithTheNewWeights) {
  const double weight = 2 * kPi / kSlots;
  const ScanGeometry g = geometry(weight, {true, kCol0, kCols - kCol0});
  ReconParams params;
  auto moved = make_cpu_engine({});
  testing::begin_and_feed(*moved, g, params, 2 * kPi, frames(kCol0, 0.f));
  const std::vector<float> before = testing::stored_projections(*moved, g);
  moved->set_center(1.5f);
  params.center_offset_px = 1.5f;
  auto fresh = make_cpu_engine({});
  testing::begin_and_feed(*fresh, g, params, 2 * kPi, frames(kCol0, 0.f));
  const std::vector<float> after = testing::stored_projections(*moved, g);
  EXPECT_NE(after, before);
  EXPECT_EQ(after, testing::stored_projections(*fresh, g));
  EXPECT_EQ(testing::axial_slice(*moved, g), testing::axial_slice(*fresh, g));
}

// Half acquisition is the scan's geometry: begin_scan checks where the detector's columns lie.
TEST(HalfAcquisitionGeometry, BeginScanRefusesDetectorColumnsOutsideTheFrame) {
  auto engine = make_cpu_engine({});
  ScanGeometry g = testing::scan_geometry(4, 48, 8, kPi / 8);
  for (const HalfAcquisition bad : {HalfAcquisition{true, 40, 9}, HalfAcquisition{true, 0, 0},
                                    HalfAcquisition{true, 49, 1}}) {
    g.half_acquisition = bad;
    try {
      engine->begin_scan(g, {});
      ADD_FAILURE() << "columns [" << bad.detector_col0 << ", +" << bad.detector_cols << ") were accepted";
    } catch (const EngineError& e) {
      EXPECT_NE(std::string(e.what()).find("half acquisition: detector columns"), std::string::npos) << e.what();
    }
  }
  g.half_acquisition = {true, 40, 8};
  EXPECT_NO_THROW(engine->begin_scan(g, {}));
  g.half_acquisition = {false, 40, 9};  // disabled: the columns do not matter
  EXPECT_NO_THROW(engine->begin_scan(g, {}));
}

}  // namespace
}  // namespace tomolive::kernels
