// Defective pixels (defective_pixels.hpp): the classifier on synthetic darks and flats, the repair plan and the repair
// of a frame, FrameAverage's variance, and the CPU engine on a phantom scan with dead and hot pixels near the axis
// (Q1 within 10 % of the clean scan with the repair; clearly worse without it).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "defective_scan.hpp"
#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cpu_preprocess.hpp"
#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/frame_average.hpp"
#include "tomolive/kernels/preprocess.hpp"

namespace tomolive::kernels {
namespace {

constexpr std::uint32_t kRows = 12, kCols = 40;

// Reference statistics of a detector with a dark level of 100 +- 3 counts (fixed pattern) and an open beam of
// 1000 +- 5 % above it, read noise 2 counts: mean and variance of `frames` frames, computed through FrameAverage.
struct References {
  std::vector<float> dark, flat, dark_variance, flat_variance;
  std::uint32_t frames = 0;
  ReferenceStatistics dark_stats() const { return {dark.data(), dark_variance.data(), frames}; }
  ReferenceStatistics flat_stats() const { return {flat.data(), flat_variance.data(), frames}; }
};

// `edit(kind, frame_index, pixels)` may spoil each generated frame before it is averaged.
template <class Edit>
References make_references(std::uint32_t frames, std::mt19937& gen, Edit edit) {
  const std::size_t n = std::size_t{kRows} * kCols;
  std::normal_distribution<float> offset(0.f, 3.f), gain(1.f, 0.05f), read(0.f, 2.f);
  std::vector<float> dark_level(n), open_level(n);
  for (std::size_t k = 0; k < n; ++k) {
    dark_level[k] = 100.f + offset(gen);
    open_level[k] = 1000.f * gain(gen);
  }
  FrameAverage darks, flats;
  darks.reset(kRows, kCols);
  flats.reset(kRows, kCols);
  std::vector<float> frame(n);
  for (std::uint32_t f = 0; f < frames; ++f) {
    for (std::size_t k = 0; k < n; ++k) frame[k] = dark_level[k] + read(gen);
    edit(false, f, frame);
    darks.add(testing::float_frame(frame, kRows, kCols));
    for (std::size_t k = 0; k < n; ++k) frame[k] = dark_level[k] + open_level[k] + read(gen);
    edit(true, f, frame);
    flats.add(testing::float_frame(frame, kRows, kCols));
  }
  References r;
  r.frames = frames;
  r.dark.resize(n);
  r.flat.resize(n);
  r.dark_variance.resize(n);
  r.flat_variance.resize(n);
  darks.average_into(r.dark.data(), 0.f);
  flats.average_into(r.flat.data(), 1.f);
  darks.variance_into(r.dark_variance.data());
  flats.variance_into(r.flat_variance.data());
  return r;
}

std::uint32_t at(std::uint32_t row, std::uint32_t col) { return row * kCols + col; }

// The pixels whose kind has `bit`.
std::vector<std::uint32_t> pixels_with(const DefectivePixelMap& map, std::uint8_t bit) {
  std::vector<std::uint32_t> found;
  for (std::uint32_t k = 0; k < map.kinds.size(); ++k) {
    if ((map.kinds[k] & bit) != 0) found.push_back(k);
  }
  return found;
}

TEST(DefectivePixelClassifier, FindsDeadHotAndNoisyPixelsAndNothingElse) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::uint32_t dead = at(3, 10), weak = at(5, 0), hot = at(7, 20), noisy = at(9, 33);
  const References r = make_references(6, rng.gen, [&](bool is_flat, std::uint32_t f, std::vector<float>& frame) {
    if (is_flat) {
      frame[dead] = frame[dead] - 1000.f;  // no light: flat at or below its dark
      frame[weak] = 100.f + 0.3f * 1000.f; // 30 % of its neighbours' open beam (an edge pixel)
    }
    frame[hot] += 400.f;                           // 400 counts above its neighbours in darks and flats alike
    frame[noisy] += f % 2 == 0 ? 200.f : -200.f;  // temporal noise 100 x the read noise, mean unchanged
  });
  const DefectivePixelMap map =
      classify_defective_pixels(kRows, kCols, r.dark_stats(), r.flat_stats(), {}, DefectivePixelDetection{});
  EXPECT_EQ(pixels_with(map, kDefectDead), (std::vector<std::uint32_t>{dead, weak}));
  EXPECT_EQ(pixels_with(map, kDefectHot), (std::vector<std::uint32_t>{hot}));
  EXPECT_EQ(pixels_with(map, kDefectNoisy), (std::vector<std::uint32_t>{noisy}));
  EXPECT_TRUE(pixels_with(map, kDefectDetectorMask).empty());
  const DefectCounts counts = map.counts();
  EXPECT_EQ(counts.dead, 2u);
  EXPECT_EQ(counts.hot, 1u);
  EXPECT_EQ(counts.noisy, 1u);
  EXPECT_EQ(counts.detector_mask, 0u);
  EXPECT_EQ(counts.total, 4u);
}

TEST(DefectivePixelClassifier, ThresholdsDecide) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::uint32_t weak = at(2, 15);
  const References r = make_references(3, rng.gen, [&](bool is_flat, std::uint32_t, std::vector<float>& frame) {
    if (is_flat) frame[weak] = 100.f + 0.6f * 1000.f;  // 60 % of its neighbours' open beam
  });
  DefectivePixelDetection detection;
  detection.dead_threshold = 0.5f;
  EXPECT_TRUE(pixels_with(classify_defective_pixels(kRows, kCols, r.dark_stats(), r.flat_stats(), {}, detection),
                          kDefectDead)
                  .empty());
  detection.dead_threshold = 0.75f;
  EXPECT_EQ(pixels_with(classify_defective_pixels(kRows, kCols, r.dark_stats(), r.flat_stats(), {}, detection),
                        kDefectDead),
            (std::vector<std::uint32_t>{weak}));
}

TEST(DefectivePixelClassifier, NoNoisyTestWithFewerThanThreeFrames) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  const References r = make_references(2, rng.gen, [&](bool, std::uint32_t f, std::vector<float>& frame) {
    frame[at(4, 4)] += f % 2 == 0 ? 300.f : -300.f;
  });
  const DefectivePixelMap map =
      classify_defective_pixels(kRows, kCols, r.dark_stats(), r.flat_stats(), {}, DefectivePixelDetection{});
  EXPECT_EQ(map.counts().noisy, 0u);
}

TEST(DefectivePixelClassifier, DetectorMaskIsOredIn) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  const References r = make_references(3, rng.gen, [](bool, std::uint32_t, std::vector<float>&) {});
  std::vector<std::uint8_t> mask(std::size_t{kRows} * kCols, 0);
  mask[at(0, 0)] = 1;
  mask[at(6, 39)] = 255;
  const DefectivePixelMap map =
      classify_defective_pixels(kRows, kCols, r.dark_stats(), r.flat_stats(), mask, DefectivePixelDetection{});
  EXPECT_EQ(pixels_with(map, kDefectDetectorMask), (std::vector<std::uint32_t>{at(0, 0), at(6, 39)}));
  EXPECT_EQ(map.counts().total, 2u);
  mask.pop_back();
  testing::expect_engine_error(
      [&] { classify_defective_pixels(kRows, kCols, r.dark_stats(), r.flat_stats(), mask, {}); }, "detector mask");
}

TEST(DefectivePixelClassifier, WithoutReferencesNothingButTheMask) {
  const DefectivePixelMap map = classify_defective_pixels(kRows, kCols, {}, {}, {}, DefectivePixelDetection{});
  EXPECT_EQ(map.counts().total, 0u);
}

TEST(DefectivePixelDetection, ThresholdsAreChecked) {
  DefectivePixelDetection d;
  d.dead_threshold = 1.f;
  testing::expect_engine_error([&] { check_defective_pixel_detection(d); }, "dead-pixel threshold 1");
  d = {};
  d.hot_threshold = 0.f;
  testing::expect_engine_error([&] { check_defective_pixel_detection(d); }, "hot-pixel threshold 0");
  d = {};
  d.noisy_threshold = NAN;
  testing::expect_engine_error([&] { check_defective_pixel_detection(d); }, "noisy-pixel threshold");
  EXPECT_NO_THROW(check_defective_pixel_detection(DefectivePixelDetection{}));
}

TEST(PixelRepairPlan, InterpolatesAcrossRunsAndCopiesAtEdges) {
  DefectivePixelMap map{2, 6, std::vector<std::uint8_t>(12, 0)};
  // Row 0: masked 0, 2, 3 (a run), 5. Row 1: all masked (no repair).
  for (const std::uint32_t k : {0u, 2u, 3u, 5u}) map.kinds[k] = kDefectDead;
  for (std::uint32_t k = 6; k < 12; ++k) map.kinds[k] = kDefectHot;
  const std::vector<PixelRepair> repairs = plan_pixel_repairs(map);
  ASSERT_EQ(repairs.size(), 4u);
  EXPECT_EQ(repairs[0].pixel, 0u);  // left edge: copies column 1
  EXPECT_EQ(repairs[0].left, 1u);
  EXPECT_EQ(repairs[0].right, 1u);
  EXPECT_EQ(repairs[0].right_weight, 0.f);
  EXPECT_EQ(repairs[1].pixel, 2u);  // between columns 1 and 4
  EXPECT_EQ(repairs[1].left, 1u);
  EXPECT_EQ(repairs[1].right, 4u);
  EXPECT_FLOAT_EQ(repairs[1].right_weight, 1.f / 3.f);
  EXPECT_EQ(repairs[2].pixel, 3u);
  EXPECT_FLOAT_EQ(repairs[2].right_weight, 2.f / 3.f);
  EXPECT_EQ(repairs[3].pixel, 5u);  // right edge: copies column 4
  EXPECT_EQ(repairs[3].left, 4u);
  EXPECT_EQ(repairs[3].right, 4u);
}

TEST(PixelRepairPlan, GroupOffsetsIndexEachGroupOfRows) {
  // A 10 x 3 frame: repairs in rows 0, 0, 5, 7 and 9; groups of 4 rows (0-3, 4-7), row 8-9 past the last group.
  std::vector<PixelRepair> repairs;
  for (const std::uint32_t row : {0u, 0u, 5u, 7u, 9u}) repairs.push_back({row * 3 + 1, row * 3, row * 3 + 2, 0.5f});
  repairs[1].pixel = 2;
  EXPECT_EQ(repair_group_offsets(repairs, 3, 4, 2), (std::vector<std::uint32_t>{0, 2, 4}));
  EXPECT_EQ(repair_group_offsets(repairs, 3, 4, 3), (std::vector<std::uint32_t>{0, 2, 4, 5}));
  EXPECT_EQ(repair_group_offsets({}, 3, 4, 2), (std::vector<std::uint32_t>{0, 0, 0}));
}

TEST(PixelRepair, InterpolatesTransmissionBeforeLog) {
  // One row of 4: dark 10, flat 110; transmissions 0.5, (dead), (dead), 0.2.
  const std::vector<float> raw = {60.f, 0.f, 5000.f, 30.f};
  const std::vector<float> dark = {10.f, 10.f, 10.f, 10.f};
  const std::vector<float> flat = {110.f, 10.f, 110.f, 110.f};
  DefectivePixelMap map{1, 4, {0, kDefectDead, kDefectHot, 0}};
  const std::vector<PixelRepair> repairs = plan_pixel_repairs(map);
  std::vector<float> out(4);
  const FrameView frame = testing::float_frame(raw, 1, 4);
  const std::uint64_t clamped = compute_attenuation(frame, dark.data(), flat.data(), out.data(), 0, 1);
  EXPECT_EQ(clamped, 1u);  // the dead pixel's flat is not above its dark
  const std::int64_t change = repair_pixels(frame, dark.data(), flat.data(), repairs, out.data());
  EXPECT_EQ(change, -1);   // repaired, it is no longer clamped
  EXPECT_NEAR(out[0], -std::log(0.5f), 1e-6f);
  EXPECT_NEAR(out[1], -std::log(0.5f + (0.2f - 0.5f) / 3.f), 1e-6f);
  EXPECT_NEAR(out[2], -std::log(0.5f + 2.f * (0.2f - 0.5f) / 3.f), 1e-6f);
  EXPECT_NEAR(out[3], -std::log(0.2f), 1e-6f);
  // An engine over a slab counts its owned rows only (engine_rows.hpp): this row is not one of rows 1..2.
  EXPECT_EQ(repair_pixels(frame, dark.data(), flat.data(), repairs, out.data(), RowRange{1, 3}), 0);
  EXPECT_NEAR(out[1], -std::log(0.5f + (0.2f - 0.5f) / 3.f), 1e-6f);
}

TEST(FrameAverage, VarianceIsTheUnbiasedSampleVariance) {
  const std::vector<float> a = {1.f, 10.f}, b = {3.f, 10.f}, c = {5.f, 10.f};
  FrameAverage average;
  average.reset(1, 2);
  std::vector<float> variance(2, -1.f);
  average.add(testing::float_frame(a, 1, 2));
  average.variance_into(variance.data());
  EXPECT_EQ(variance, (std::vector<float>{0.f, 0.f}));  // one frame: no spread
  average.add(testing::float_frame(b, 1, 2));
  average.add(testing::float_frame(c, 1, 2));
  average.variance_into(variance.data());
  EXPECT_FLOAT_EQ(variance[0], 4.f);
  EXPECT_FLOAT_EQ(variance[1], 0.f);
}

// --- the CPU engine ---

testing::DefectiveScanSpec scan_with_defects_near_axis() {
  testing::DefectiveScanSpec spec;
  const std::uint32_t row = spec.rows / 2, axis = spec.cols / 2;
  const std::uint32_t row0 = row * spec.cols;
  spec.dead = {row0 + axis - 1, row0 + axis + 3, (row + 1) * spec.cols + axis, row0 - spec.cols + axis - 6};
  spec.hot = {row0 + axis + 1, row0 + axis - 5, (row - 1) * spec.cols + axis + 2};
  return spec;
}

ReconParams params_at_row(std::uint32_t row, bool repair) {
  ReconParams params;
  params.slices.xy_row = row;
  params.processing.defective_pixels.enabled = repair;
  return params;
}

TEST(CpuEngineDefectivePixels, MapIsBuiltAtTheFirstProjectionWithTheMask) {
  const testing::DefectiveScanSpec spec = scan_with_defects_near_axis();
  const auto engine = make_cpu_engine({.threads = 2});
  ScanGeometry g;
  g.rows = spec.rows;
  g.cols = spec.cols;
  g.slots = 2;
  g.angle_weight_rad = 1.f;
  engine->begin_scan(g, {});
  EXPECT_EQ(engine->defective_pixels(), nullptr);
  std::vector<std::uint8_t> mask(std::size_t{g.rows} * g.cols, 0);
  mask[5] = 1;
  engine->set_detector_mask(mask);
  std::vector<std::uint8_t> wrong(7, 0);
  testing::expect_engine_error([&] { engine->set_detector_mask(wrong); }, "expected " + std::to_string(mask.size()));

  feed_defective_scan(*engine, spec, params_at_row(spec.rows / 2, true));  // begins anew: the mask is gone
  ASSERT_NE(engine->defective_pixels(), nullptr);
  DefectCounts counts = engine->defective_pixels()->counts();
  EXPECT_EQ(counts.detector_mask, 0u);
  EXPECT_EQ(counts.hot, spec.hot.size());
  // The hot pixels saturate in the flats too, so they have no open beam either: dead as well.
  EXPECT_EQ(counts.dead, spec.dead.size() + spec.hot.size());
  EXPECT_EQ(counts.total, spec.dead.size() + spec.hot.size());
  testing::expect_engine_error([&] { engine->set_detector_mask(mask); }, "first projection");

  // A detector mask given after begin_scan is OR'd in: one pixel it shares with a dead one, one of its own.
  testing::DefectiveScanSpec masked = spec;
  masked.detector_mask.assign(std::size_t{g.rows} * g.cols, 0);
  masked.detector_mask[spec.dead[0]] = 1;
  masked.detector_mask[3] = 1;
  feed_defective_scan(*engine, masked, params_at_row(spec.rows / 2, true));
  ASSERT_NE(engine->defective_pixels(), nullptr);
  counts = engine->defective_pixels()->counts();
  EXPECT_EQ(counts.detector_mask, 2u);
  EXPECT_EQ(counts.total, spec.dead.size() + spec.hot.size() + 1);
  EXPECT_EQ(engine->defective_pixels()->kinds[3], kDefectDetectorMask);
  EXPECT_EQ(engine->defective_pixels()->kinds[spec.dead[0]], kDefectDead | kDefectDetectorMask);

  feed_defective_scan(*engine, spec, params_at_row(spec.rows / 2, false));
  EXPECT_EQ(engine->defective_pixels(), nullptr);
}

TEST(CpuEngineDefectivePixels, RepairedScanMatchesTheCleanScan) {
  const testing::DefectiveScanSpec defective = scan_with_defects_near_axis();
  testing::DefectiveScanSpec clean = defective;
  clean.dead.clear();
  clean.hot.clear();
  const std::uint32_t row = defective.rows / 2;
  const auto engine = make_cpu_engine({.threads = 2});

  feed_defective_scan(*engine, clean, params_at_row(row, true));
  const double clean_error = testing::axial_relative_rmse(*engine, clean, row);
  feed_defective_scan(*engine, defective, params_at_row(row, true));
  const double repaired_error = testing::axial_relative_rmse(*engine, defective, row);
  feed_defective_scan(*engine, defective, params_at_row(row, false));
  const double unrepaired_error = testing::axial_relative_rmse(*engine, defective, row);
  std::printf("Q1 relative RMSE inside the object: clean %.4f, defective repaired %.4f, not repaired %.4f\n",
              clean_error, repaired_error, unrepaired_error);
  EXPECT_LE(repaired_error, 1.10 * clean_error);
  EXPECT_GT(unrepaired_error, 2.0 * clean_error);
}

}  // namespace
}  // namespace tomolive::kernels
