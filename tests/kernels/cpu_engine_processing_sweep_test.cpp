// The CPU engine's processing sweep (Engine::sweep_processing, PROTOCOL.md 10.8): each candidate image is what
// set_processing with that candidate and copy_slice(xy) give for the region (window, rings, zingers; phase retrieval
// up to its band's edge, processing_sweep.hpp), nothing the engine holds changes; the band of a phase candidate is
// the rows the Paganin kernel reaches; on a phase-contrast phantom made with a known delta/beta, the candidate of that
// delta/beta gives the absorption image; refusals name the candidate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <memory>
#include <numbers>
#include <span>
#include <vector>

#include "processing_scan.hpp"
#include "test_support.hpp"
#include "tomolive/kernels/center_estimation.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/processing_sweep.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr std::uint32_t kRows = 24, kCols = 48, kSlots = 60;
constexpr std::uint32_t kXyRow = 12;
constexpr SliceRegion kRegion{6, 6, 36, 36};

ScanGeometry geometry() { return testing::scan_geometry(kRows, kCols, kSlots, kPi / kSlots); }

sim::DetectorGeometry detector() { return sim::DetectorGeometry{kRows, kCols, 0.0}; }

// The phase setting of these tests: 20 keV, 10 cm, 1 um pixels.
PhaseRetrieval phase(double delta_over_beta) {
  PhaseRetrieval p;
  p.enabled = true;
  p.energy_kev = 20.0;
  p.distance_m = 0.1;
  p.pixel_size_um = 1.0;
  p.delta_over_beta = delta_over_beta;
  return p;
}

// In-place DFT of n values spaced `stride` apart (sign -1 forward, +1 inverse, unnormalised).
void dft(std::complex<double>* values, std::size_t n, std::size_t stride, int sign) {
  std::vector<std::complex<double>> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    std::complex<double> sum = 0.0;
    for (std::size_t m = 0; m < n; ++m) {
      sum += values[m * stride] * std::polar(1.0, sign * 2.0 * kPi * double(k * m % n) / double(n));
    }
    out[k] = sum;
  }
  for (std::size_t k = 0; k < n; ++k) values[k * stride] = out[k];
}

// The intensity a propagation distance behind a homogeneous object of transmission t (rows x cols), by the transport
// of intensity equation that Paganin's filter inverts: t padded as the engine pads (edge repeated to padded_length),
// multiplied by 1 + coefficient f^2 in Fourier space, cropped.
std::vector<float> propagated(const std::vector<float>& t, const PhaseRetrieval& p) {
  const std::uint32_t pr = padded_length(kRows), pc = padded_length(kCols);
  std::vector<std::complex<double>> padded(std::size_t{pr} * pc);
  for (std::uint32_t r = 0; r < pr; ++r) {
    for (std::uint32_t c = 0; c < pc; ++c) {
      // Repeat the nearest edge pixel (the padding is split after the frame, wrapping to before it).
      const std::uint32_t rr = r < kRows ? r : (r < kRows + (pr - kRows) / 2 ? kRows - 1 : 0);
      const std::uint32_t cc = c < kCols ? c : (c < kCols + (pc - kCols) / 2 ? kCols - 1 : 0);
      padded[std::size_t{r} * pc + c] = t[std::size_t{rr} * kCols + cc];
    }
  }
  for (std::uint32_t r = 0; r < pr; ++r) dft(&padded[std::size_t{r} * pc], pc, 1, -1);
  for (std::uint32_t c = 0; c < pc; ++c) dft(&padded[c], pr, pc, -1);
  const double pixel_m = p.pixel_size_um * 1e-6;
  const double coefficient = paganin_coefficient_m2(p);
  for (std::uint32_t r = 0; r < pr; ++r) {
    const double fr = (r <= pr / 2 ? double(r) : double(r) - pr) / (pr * pixel_m);
    for (std::uint32_t c = 0; c < pc; ++c) {
      const double fc = (c <= pc / 2 ? double(c) : double(c) - pc) / (pc * pixel_m);
      padded[std::size_t{r} * pc + c] /= paganin_response(coefficient, fr, fc);
    }
  }
  for (std::uint32_t c = 0; c < pc; ++c) dft(&padded[c], pr, pc, +1);
  for (std::uint32_t r = 0; r < pr; ++r) dft(&padded[std::size_t{r} * pc], pc, 1, +1);
  std::vector<float> intensity(t.size());
  for (std::uint32_t r = 0; r < kRows; ++r) {
    for (std::uint32_t c = 0; c < kCols; ++c) {
      intensity[std::size_t{r} * kCols + c] =
          static_cast<float>(padded[std::size_t{r} * pc + c].real() / (double(pr) * pc));
    }
  }
  return intensity;
}

testing::FrameSource phantom_frames(std::optional<PhaseRetrieval> contrast = std::nullopt) {
  const sim::Phantom phantom = sim::shepp_logan_3d(detector(), 1.0);
  return [phantom, contrast](std::uint32_t k, float angle) {
    std::vector<float> t = testing::transmission_of(testing::phantom_attenuation(phantom, detector(), angle));
    if (contrast) return propagated(t, *contrast);
    // A stripe (a miscalibrated column, for the ring filter) and a zinger every few frames.
    for (std::uint32_t r = 0; r < kRows; ++r) t[std::size_t{r} * kCols + 20] *= 0.9f;
    if (k % 7 == 0) t[std::size_t{kXyRow} * kCols + 17 + k % 11] = 1.5f;
    return t;
  };
}

std::vector<float> region_of(const std::vector<float>& slice) {
  std::vector<float> out;
  for (std::uint32_t i = 0; i < kRegion.rows; ++i) {
    const auto row = slice.begin() + static_cast<std::ptrdiff_t>((kRegion.row0 + i) * kCols + kRegion.col0);
    out.insert(out.end(), row, row + kRegion.cols);
  }
  return out;
}

std::vector<float> sweep(Engine& engine, const std::vector<ProcessingParams>& candidates) {
  std::vector<float> images(candidates.size() * kRegion.rows * kRegion.cols);
  engine.sweep_processing(kXyRow, candidates, kRegion, images);
  return images;
}

TEST(CpuEngineProcessingSweep, EachImageIsWhatSetProcessingGives) {
  std::vector<ProcessingParams> candidates(5);
  candidates[0].window = FilterWindow::hann;
  candidates[1].rings.enabled = true;
  candidates[1].rings.size = 5;
  candidates[2].zingers.enabled = true;
  candidates[2].zingers.threshold = 0.2f;
  candidates[3].phase = phase(0.5);
  candidates[4] = candidates[1];
  candidates[4].phase = phase(0.5);
  candidates[4].window = FilterWindow::shepp_logan;

  ReconParams params;
  params.slices.xy_row = 3;
  params.center_offset_px = 0.5f;
  auto engine = make_cpu_engine(CpuEngineOptions{0, 2});
  testing::begin_and_feed(*engine, geometry(), params, kPi, phantom_frames());
  const std::vector<float> xy_before = testing::axial_slice(*engine, geometry());
  const std::vector<float> store_before = testing::stored_projections(*engine, geometry());

  const std::vector<float> images = sweep(*engine, candidates);
  EXPECT_EQ(engine->params().processing, ProcessingParams{});
  EXPECT_EQ(engine->params().slices.xy_row, 3u);
  EXPECT_EQ(testing::axial_slice(*engine, geometry()), xy_before) << "the slices must be left alone";
  EXPECT_EQ(testing::stored_projections(*engine, geometry()), store_before) << "the store must be left alone";

  const std::size_t pixels = std::size_t{kRegion.rows} * kRegion.cols;
  engine->set_slices({kXyRow, 0.f, 0.f});
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    engine->set_processing(candidates[c]);
    const std::vector<float> expected = region_of(testing::axial_slice(*engine, geometry()));
    const std::span<const float> image = std::span<const float>(images).subspan(c * pixels, pixels);
    if (!candidates[c].phase.enabled) {
      EXPECT_LT(testing::relative_max_difference(image, expected), 1e-5) << "candidate " << c;
      continue;
    }
    // Phase retrieval on a band of 9 of the 24 rows (reach 3 rows + the zinger row on each side): the band's edge
    // rows stand in for the rows past them, which carry less than e^-5 (0.7 %) of the kernel's weight and differ from
    // the edge rows by a fraction of the phantom's contrast. Measured: 0.07 % relative RMSE (0.1 % of the peak at
    // most), where the image without phase retrieval is 11 % away; 0.5 % leaves room for other phantoms' rows and
    // still tells the candidate from its neighbours.
    EXPECT_EQ(processing_sweep_band(candidates[c], {}, kXyRow, kRows).rows, 9u);
    EXPECT_LT(testing::relative_rmse(image, expected), 5e-3) << "candidate " << c;
  }
  // The candidates differ from each other (each setting took effect).
  for (std::size_t c = 1; c < candidates.size(); ++c) {
    EXPECT_GT(testing::relative_max_difference(std::span<const float>(images).subspan(c * pixels, pixels),
                                               std::span<const float>(images).subspan(0, pixels)),
              1e-4)
        << "candidate " << c;
  }
}

// The phantom's intensity a propagation distance behind it, made with a known delta/beta (the transport of intensity
// equation that Paganin's filter inverts): of log-spaced candidates, the sharpest by the sweep's metric (the center
// sweep's, PROTOCOL.md 10.4) is the true delta/beta, and its image is the one closest to the absorption-only
// reconstruction of the same phantom (what phase retrieval aims at).
TEST(CpuEngineProcessingSweep, SharpestDeltaOverBetaIsTheTrueOne) {
  // Small enough that the propagated intensity stays positive (1 + coefficient f^2 <= 2 at the Nyquist frequency).
  constexpr double kTrue = 0.2;
  auto engine = make_cpu_engine(CpuEngineOptions{0, 2});
  testing::begin_and_feed(*engine, geometry(), ReconParams{}, kPi, phantom_frames(phase(kTrue)));
  // Log-spaced candidates, a factor 2 apart, from kTrue / 8 to kTrue * 8.
  std::vector<ProcessingParams> candidates(7);
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    candidates[c].phase = phase(kTrue * std::pow(2.0, static_cast<double>(c) - 3.0));
  }
  const std::vector<float> images = sweep(*engine, candidates);

  // The absorption-only reconstruction: the same phantom without propagation, without phase retrieval.
  auto absorption = make_cpu_engine(CpuEngineOptions{0, 2});
  const sim::Phantom phantom = sim::shepp_logan_3d(detector(), 1.0);
  testing::begin_and_feed(*absorption, geometry(), ReconParams{}, kPi, [phantom](std::uint32_t, float angle) {
    return testing::transmission_of(testing::phantom_attenuation(phantom, detector(), angle));
  });
  const std::vector<float> reference = sweep(*absorption, std::vector<ProcessingParams>(1));

  const std::size_t pixels = std::size_t{kRegion.rows} * kRegion.cols;
  std::vector<double> distance, metric;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    double sum = 0.0;
    for (std::size_t k = 0; k < pixels; ++k) {
      const double d = static_cast<double>(images[c * pixels + k]) - reference[k];
      sum += d * d;
    }
    distance.push_back(std::sqrt(sum / static_cast<double>(pixels)));
    metric.push_back(center_metric(std::span<const float>(images).subspan(c * pixels, pixels)));
  }
  const auto sharpest = static_cast<std::size_t>(std::min_element(metric.begin(), metric.end()) - metric.begin());
  EXPECT_EQ(sharpest, 3u) << "sharpest delta/beta " << candidates[sharpest].phase.delta_over_beta << "; metric "
                          << ::testing::PrintToString(metric);
  const auto best = static_cast<std::size_t>(std::min_element(distance.begin(), distance.end()) - distance.begin());
  EXPECT_EQ(best, 3u) << "closest delta/beta " << candidates[best].phase.delta_over_beta << "; RMS distances "
                      << ::testing::PrintToString(distance);
  // And clearly so: a factor 2 off is at least 1.5 times as far.
  EXPECT_GT(std::min(distance[2], distance[4]), 1.5 * distance[3]) << ::testing::PrintToString(distance);
}

// The band of a candidate: the axial row and its zinger neighbours; with phase retrieval also ceil(paganin_reach_rows)
// rows each side (clamped to the detector), every row once that reaches past the detector or with the tilt rotation.
TEST(ProcessingSweepBand, PhaseRetrievalAddsThePaganinReach) {
  ProcessingParams window;
  EXPECT_EQ(processing_sweep_band(window, {}, kXyRow, kRows).row0, kXyRow - 1);
  EXPECT_EQ(processing_sweep_band(window, {}, kXyRow, kRows).rows, 3u);
  EXPECT_EQ(processing_sweep_band(window, {}, 0, kRows).rows, 2u);

  ProcessingParams phased;
  phased.phase = phase(0.5);
  const double reach = paganin_reach_rows(phased.phase);
  // 5 sqrt(pi lambda z delta/beta) / (2 pi pixel): lambda = 6.2e-11 m at 20 keV, z = 0.1 m, 1 um pixels.
  EXPECT_NEAR(reach, 5.0 * std::sqrt(kPi * 1.239841984e-9 / 20.0 * 0.1 * 0.5) / (2.0 * kPi * 1e-6), 1e-9);
  EXPECT_NEAR(reach, 2.48, 0.01);
  const SweepBand band = processing_sweep_band(phased, {}, kXyRow, kRows);
  EXPECT_EQ(band.row0, kXyRow - 4);
  EXPECT_EQ(band.rows, 9u);
  const SweepBand top = processing_sweep_band(phased, {}, 2, kRows);  // clamped at row 0
  EXPECT_EQ(top.row0, 0u);
  EXPECT_EQ(top.rows, 7u);
  const SweepBand bottom = processing_sweep_band(phased, {}, kRows - 1, kRows);  // clamped at the last row
  EXPECT_EQ(bottom.row0, kRows - 5);
  EXPECT_EQ(bottom.rows, 5u);

  phased.phase = phase(500.0);  // reach 78 rows: more than the detector
  EXPECT_EQ(processing_sweep_band(phased, {}, kXyRow, kRows).row0, 0u);
  EXPECT_EQ(processing_sweep_band(phased, {}, kXyRow, kRows).rows, kRows);
}

TEST(CpuEngineProcessingSweep, Refusals) {
  auto engine = make_cpu_engine(CpuEngineOptions{0, 2});
  std::vector<ProcessingParams> one(1);
  std::vector<float> out(kRegion.rows * kRegion.cols);
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, one, kRegion, out); },
                               "sweep_processing: no active scan");
  // Before any projection every image is zero.
  engine->begin_scan(geometry(), ReconParams{});
  std::vector<float> empty(out.size(), 1.f);
  engine->sweep_processing(kXyRow, one, kRegion, empty);
  EXPECT_TRUE(std::all_of(empty.begin(), empty.end(), [](float v) { return v == 0.f; }));
  testing::begin_and_feed(*engine, geometry(), ReconParams{}, kPi, phantom_frames());
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, {}, kRegion, {}); },
                               "sweep_processing: 0 candidate settings; expected 1..32");
  std::vector<ProcessingParams> many(33);
  std::vector<float> many_out(33 * out.size());
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, many, kRegion, many_out); },
                               "33 candidate settings; expected 1..32");
  std::vector<ProcessingParams> bad(2);
  bad[1].rings.enabled = true;
  bad[1].rings.size = 4;
  std::vector<float> two_out(2 * out.size());
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, bad, kRegion, two_out); },
                               "sweep_processing: candidate 1: ");
  bad[1] = {};
  bad[1].phase = phase(-1.0);
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, bad, kRegion, two_out); }, "candidate 1");
  testing::expect_engine_error([&] { engine->sweep_processing(kRows, one, kRegion, out); }, "xy_row 24 out of range");
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, one, SliceRegion{40, 0, 10, 10}, out); },
                               "leaves the 48 x 48 axial slice");
  testing::expect_engine_error([&] { engine->sweep_processing(kXyRow, one, kRegion, two_out); }, "out holds");
}

}  // namespace
}  // namespace tomolive::kernels
