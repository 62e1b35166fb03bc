// Phase retrieval (cpu_paganin_filter.hpp) against Paganin's analytic transfer function, its padding, its clamping,
// and the CPU engine's phase step against the filter followed by the ramp filter.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "processing_scan.hpp"
#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cpu_paganin_filter.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/paganin_padding.hpp"
#include "tomolive/kernels/preprocess.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {
namespace {

constexpr double kPi = std::numbers::pi;

PhaseRetrieval phase_at(double distance_m) {
  PhaseRetrieval phase;
  phase.enabled = true;
  phase.energy_kev = 20.0;
  phase.distance_m = distance_m;
  phase.pixel_size_um = 1.0;
  phase.delta_over_beta = 64.0;  // with 20 keV and 1 um: a low-pass length of 2.5 to 5.7 px over 2..10 cm
  return phase;
}

// -ln T of a transmission frame, as the engine's flat-field step computes it (dark 0, flat 1).
std::vector<float> attenuation_of(const std::vector<float>& transmission) {
  std::vector<float> a(transmission.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    bool clamped = false;
    a[k] = attenuation(transmission[k], 0.f, 1.f, kMinTransmission, clamped);
  }
  return a;
}

// A plane wave of transmission T = 1 + amplitude cos(2 pi (k_row r / padded_rows + k_col c / padded_cols)) on a
// 128 x 128 frame (padded 256 x 256), its integer frequencies on the padded FFT grid. After phase retrieval, the
// transmission's modulation, fitted (least squares on cos, sin and 1) over the central 64 x 64 pixels (32 px from
// every edge: the edge padding's influence decays with the low-pass length), must be amplitude x
// paganin_response(f) within 0.1 % of the amplitude.
TEST(PaganinFilter, ModulationFollowsTheAnalyticTransferFunction) {
  const std::uint32_t n = 128;
  const double amplitude = 0.01;
  CpuPaganinFilter filter(n, n);
  ASSERT_EQ(filter.padded_rows(), 256u);
  ASSERT_EQ(filter.padded_cols(), 256u);
  const std::array<std::array<int, 2>, 5> frequencies = {{{0, 8}, {0, 24}, {8, 0}, {6, 10}, {-12, 20}}};
  double worst = 0.0;
  for (const double distance : {0.02, 0.05, 0.1}) {
    const PhaseRetrieval phase = phase_at(distance);
    for (const auto& [k_row, k_col] : frequencies) {
      SCOPED_TRACE("distance " + std::to_string(distance) + " m, k = (" + std::to_string(k_row) + ", " +
                   std::to_string(k_col) + ")");
      std::vector<float> transmission(std::size_t{n} * n);
      const auto phase_of = [&](std::uint32_t r, std::uint32_t c) {
        return 2 * kPi * (k_row * double(r) / filter.padded_rows() + k_col * double(c) / filter.padded_cols());
      };
      for (std::uint32_t r = 0; r < n; ++r) {
        for (std::uint32_t c = 0; c < n; ++c) {
          transmission[std::size_t{r} * n + c] = static_cast<float>(1.0 + amplitude * std::cos(phase_of(r, c)));
        }
      }
      std::vector<float> frame = attenuation_of(transmission);
      EXPECT_EQ(filter.apply(frame.data(), DetectorColumns{0, n}, phase), 0u);

      // Least squares fit of exp(-A) - 1 = alpha cos + beta sin + gamma over the central region.
      std::array<std::array<double, 4>, 3> normal{};  // 3 x 3 system with the right-hand side in column 3
      for (std::uint32_t r = 32; r < 96; ++r) {
        for (std::uint32_t c = 32; c < 96; ++c) {
          const double basis[3] = {std::cos(phase_of(r, c)), std::sin(phase_of(r, c)), 1.0};
          const double value = std::exp(-double(frame[std::size_t{r} * n + c])) - 1.0;
          for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) normal[i][j] += basis[i] * basis[j];
            normal[i][3] += basis[i] * value;
          }
        }
      }
      for (int i = 0; i < 3; ++i) {  // Gauss-Jordan; the system is well conditioned (nearly diagonal)
        for (int j = 0; j < 3; ++j) {
          if (j == i) continue;
          const double factor = normal[j][i] / normal[i][i];
          for (int k = 0; k < 4; ++k) normal[j][k] -= factor * normal[i][k];
        }
      }
      const double alpha = normal[0][3] / normal[0][0];
      const double pixel_m = phase.pixel_size_um * 1e-6;
      const double expected = paganin_response(paganin_coefficient_m2(phase), k_row / (filter.padded_rows() * pixel_m),
                                               k_col / (filter.padded_cols() * pixel_m));
      EXPECT_LT(expected, 0.95);  // the filter does something at every tested frequency
      EXPECT_NEAR(alpha / amplitude, expected, 1e-3);
      worst = std::max(worst, std::fabs(alpha / amplitude - expected));
    }
  }
  std::printf("Paganin: worst |measured - analytic| response %.2e (tolerance 1e-3)\n", worst);
}

TEST(PaganinFilter, UniformFrameIsUnchanged) {
  std::vector<float> frame(std::size_t{20} * 30, 0.7f);
  CpuPaganinFilter filter(20, 30);
  EXPECT_EQ(filter.apply(frame.data(), DetectorColumns{0, 30}, phase_at(0.1)), 0u);
  for (const float v : frame) EXPECT_NEAR(v, 0.7f, 1e-5f);
}

TEST(PaganinFilter, OpaqueTransmissionsAreClampedAndCounted) {
  // exp(-80) ~ 1.8e-35: below kMinTransmission after filtering, so every pixel is clamped to -ln(1e-6).
  std::vector<float> frame(std::size_t{10} * 12, 80.f);
  CpuPaganinFilter filter(10, 12);
  EXPECT_EQ(filter.apply(frame.data(), DetectorColumns{0, 12}, phase_at(0.05)), frame.size());
  for (const float v : frame) EXPECT_FLOAT_EQ(v, -std::log(kMinTransmission));
  // An engine over a slab counts its owned rows only (engine_rows.hpp): rows 3..6 of 10, all clamped.
  std::fill(frame.begin(), frame.end(), 80.f);
  EXPECT_EQ(filter.apply(frame.data(), DetectorColumns{0, 12}, phase_at(0.05), RowRange{3, 7}), 4u * 12u);
  for (const float v : frame) EXPECT_FLOAT_EQ(v, -std::log(kMinTransmission));
}

TEST(PaganinFilter, OnlyTheDetectorColumnsAreFilteredAndPaddedFrom) {
  // Detector columns [4, 20) of 26 hold a step; the filler (attenuation 0, and a value 5 to show it is not read)
  // is left alone, and the result equals filtering the detector's columns as a frame of their own.
  const std::uint32_t rows = 9, cols = 26;
  const DetectorColumns detector{4, 16};
  std::vector<float> frame(std::size_t{rows} * cols, 0.f), alone(std::size_t{rows} * detector.count);
  for (std::uint32_t r = 0; r < rows; ++r) {
    frame[std::size_t{r} * cols + 1] = 5.f;
    for (std::uint32_t c = 0; c < detector.count; ++c) {
      const float v = c < 7 ? 0.2f : 1.1f;
      frame[std::size_t{r} * cols + detector.first + c] = v;
      alone[std::size_t{r} * detector.count + c] = v;
    }
  }
  const std::vector<float> before = frame;
  CpuPaganinFilter(rows, cols).apply(frame.data(), detector, phase_at(0.1));
  // The padded width is padded_length(cols) either way (26 and 16 both pad to 64).
  CpuPaganinFilter(rows, detector.count).apply(alone.data(), DetectorColumns{0, detector.count}, phase_at(0.1));
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = 0; c < cols; ++c) {
      const std::size_t k = std::size_t{r} * cols + c;
      if (detector.contains(c)) {
        EXPECT_EQ(frame[k], alone[std::size_t{r} * detector.count + c - detector.first])
            << "(" << r << ", " << c << ")";
      } else {
        EXPECT_EQ(frame[k], before[k]) << "(" << r << ", " << c << ")";
      }
    }
  }
  EXPECT_GT(frame[std::size_t{4} * cols + detector.first + 6], 0.21f);  // the step was smoothed
}

TEST(PaganinPadding, DataThenNearestEdgeAroundTheCircle) {
  // 5 values padded to 12: positions 5..8 (ceil(7 / 2) = 4) repeat the last, 9..11 the first.
  const std::uint32_t expected[12] = {0, 1, 2, 3, 4, 4, 4, 4, 4, 0, 0, 0};
  for (std::uint32_t p = 0; p < 12; ++p) EXPECT_EQ(paganin_padding_source(p, 5, 12), expected[p]) << "p " << p;
  EXPECT_EQ(paganin_padding_source(0, 1, 64), 0u);
  EXPECT_EQ(paganin_padding_source(63, 1, 64), 0u);
}

TEST(CpuEnginePhase, StoredProjectionIsPaganinThenRamp) {
  const std::uint32_t rows = 12, cols = 40;
  const ScanGeometry g = testing::scan_geometry(rows, cols, 3, kPi / 3);
  ReconParams params;
  params.processing.phase = phase_at(0.05);
  params.processing.window = FilterWindow::shepp_logan;
  for (const unsigned threads : {1u, 3u}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    CpuEngineOptions options;
    options.threads = threads;
    auto engine = make_cpu_engine(options);
    engine->begin_scan(g, params);
    std::vector<float> transmission(std::size_t{rows} * cols);
    for (std::uint32_t slot = 0; slot < g.slots; ++slot) {
      for (std::size_t k = 0; k < transmission.size(); ++k) {
        const auto c = static_cast<double>(k % cols);
        transmission[k] = static_cast<float>(0.4 + 0.3 * std::exp(-std::pow((c - 12.0 - 6.0 * slot) / 3.0, 2)));
      }
      const float angle = 0.5f * static_cast<float>(slot);
      EXPECT_EQ(engine->add_projection(slot, angle, testing::float_frame(transmission, rows, cols)).clamped_values, 0u);
      std::vector<float> expected = attenuation_of(transmission);
      CpuPaganinFilter(rows, cols).apply(expected.data(), DetectorColumns{0, cols}, params.processing.phase);
      CpuRampFilter(cols, 8, FilterWindow::shepp_logan).filter_rows(expected.data(), rows);
      std::vector<float> stored(expected.size());
      engine->copy_projection(slot, stored);
      EXPECT_EQ(stored, expected) << "slot " << slot;  // bit for bit: the same steps in the same order
      engine->copy_corrected_projection(slot, stored);
      EXPECT_EQ(stored, attenuation_of(transmission)) << "slot " << slot;
    }
  }
}

}  // namespace
}  // namespace tomolive::kernels
