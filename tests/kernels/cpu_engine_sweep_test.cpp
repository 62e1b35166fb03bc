// The CPU engine's center-of-rotation tools (PROTOCOL.md 10.4): sweep_center gives, bit for bit, what set_center and
// copy_slice(xy) give for the region, whole or sampled every 2 or 3 pixels (full, partial and sliding-window stores,
// several rows, regions of odd and even sides, and centers) and changes nothing; copy_projection returns what the CPU
// filter functions make of the frame; slot_angle; every refusal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cpu_preprocess.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"

namespace tomolive::kernels {
namespace {

using testing::copy_slices;
using testing::Seeded;
using testing::SliceSet;

constexpr double kPi = std::numbers::pi;

std::unique_ptr<Engine> engine_with_threads(unsigned threads) {
  CpuEngineOptions options;
  options.threads = threads;
  return make_cpu_engine(options);
}

// uint16 frames around a flat level, one dark and one flat; projection k at angle k * pi / slots into slot
// k mod slots (continuous rotation: past `slots` projections the store is a sliding window).
struct RandomScan {
  ScanGeometry geometry;
  std::vector<std::uint16_t> dark, flat;
  std::vector<std::vector<std::uint16_t>> projections;

  RandomScan(std::mt19937& gen, std::uint32_t rows, std::uint32_t cols, std::uint32_t slots, std::size_t frames) {
    geometry.rows = rows;
    geometry.cols = cols;
    geometry.slots = slots;
    geometry.angle_weight_rad = static_cast<float>(kPi / slots);
    const std::size_t n = std::size_t{rows} * cols;
    std::uniform_int_distribution<int> dark_level(90, 110), flat_level(9000, 11000), raw(200, 9000);
    dark.resize(n);
    flat.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      dark[k] = static_cast<std::uint16_t>(dark_level(gen));
      flat[k] = static_cast<std::uint16_t>(flat_level(gen));
    }
    projections.assign(frames, std::vector<std::uint16_t>(n));
    for (auto& frame : projections) {
      for (auto& v : frame) v = static_cast<std::uint16_t>(raw(gen));
    }
  }

  FrameView frame(const std::vector<std::uint16_t>& values) const {
    return testing::uint16_frame(values, geometry.rows, geometry.cols);
  }
  std::uint32_t slot_of(std::size_t k) const { return static_cast<std::uint32_t>(k % geometry.slots); }
  float angle_of(std::size_t k) const { return static_cast<float>(kPi * double(k) / geometry.slots); }

  void begin(Engine& engine, const ReconParams& params) const {
    engine.begin_scan(geometry, params);
    engine.add_dark(frame(dark));
    engine.add_flat(frame(flat));
  }
  void add(Engine& engine, std::size_t k) const { engine.add_projection(slot_of(k), angle_of(k), frame(projections[k])); }
};

// Region `r` of a cols x cols axial slice, every `step`-th row and column of it from its first: the pixels
// (r.row0 + i * step, r.col0 + j * step) inside the region.
std::vector<float> cut(const testing::Slice& slice, const SliceRegion& r, std::uint32_t step = 1) {
  std::vector<float> values;
  for (std::uint32_t i = 0; i < r.rows; i += step) {
    for (std::uint32_t j = 0; j < r.cols; j += step) values.push_back(slice.at(r.row0 + i, r.col0 + j));
  }
  return values;
}

std::vector<float> sweep(Engine& engine, std::uint32_t xy_row, const std::vector<float>& offsets,
                         const SliceRegion& region, std::uint32_t pixel_step = 1) {
  std::vector<float> out(offsets.size() * sweep_image_rows(region, pixel_step) * sweep_image_cols(region, pixel_step),
                         std::numeric_limits<float>::quiet_NaN());
  engine.sweep_center(xy_row, offsets, region, pixel_step, out);
  return out;
}

// Pixel steps every sweep is checked at: the whole region, and sampled regions whose last image row and column are
// partial or not.
constexpr std::uint32_t kPixelSteps[] = {1, 2, 3};

// Sweeps `swept` (its params and slices must not change) and checks every candidate image against `reference`, an
// engine fed the same projections, moved to the row and center with set_slices / set_center.
void expect_sweeps_match(Engine& swept, Engine& reference, const ScanGeometry& g, std::mt19937& gen) {
  const ReconParams params_before = swept.params();
  const SliceSet slices_before = copy_slices(swept, g);
  const std::uint32_t n = g.cols;
  const std::vector<SliceRegion> regions = {
      {0, 0, n, n}, {0, 0, 1, 1}, {5, 7, 13, n - 12}, {n - 8, n - 18, 8, 18}, {n / 2, 0, 1, n}, {3, n - 1, n - 3, 1}};
  std::uniform_real_distribution<float> near(-3.f, 3.f);
  for (const std::uint32_t row : {0u, g.rows / 2, g.rows - 1}) {
    for (const SliceRegion& region : regions) {
      const std::vector<float> offsets = {0.f, near(gen), near(gen), -0.5f, 11.25f, -17.75f};
      SCOPED_TRACE("xy_row " + std::to_string(row) + ", region " + std::to_string(region.rows) + " x " +
                   std::to_string(region.cols) + " at (" + std::to_string(region.row0) + ", " +
                   std::to_string(region.col0) + ")");
      std::vector<std::vector<float>> images;  // per pixel step
      for (const std::uint32_t step : kPixelSteps) images.push_back(sweep(swept, row, offsets, region, step));
      SlicePositions positions = reference.params().slices;
      positions.xy_row = row;
      reference.set_slices(positions);
      for (std::size_t c = 0; c < offsets.size(); ++c) {
        reference.set_center(offsets[c]);
        const testing::Slice xy = testing::copy_slice(reference, Orthoslice::xy, n, n);
        for (std::size_t k = 0; k < std::size(kPixelSteps); ++k) {
          const std::uint32_t step = kPixelSteps[k];
          const std::size_t pixels = std::size_t{sweep_image_rows(region, step)} * sweep_image_cols(region, step);
          const std::vector<float> image(images[k].begin() + static_cast<std::ptrdiff_t>(c * pixels),
                                         images[k].begin() + static_cast<std::ptrdiff_t>((c + 1) * pixels));
          EXPECT_EQ(image, cut(xy, region, step))
              << "candidate " << c << ", center_offset_px " << offsets[c] << ", pixel_step " << step;
        }
      }
    }
  }
  // Nothing of the swept engine changed.
  EXPECT_EQ(swept.params().center_offset_px, params_before.center_offset_px);
  EXPECT_EQ(swept.params().slices.xy_row, params_before.slices.xy_row);
  EXPECT_EQ(swept.params().slices.xz_y_px, params_before.slices.xz_y_px);
  EXPECT_EQ(swept.params().slices.yz_x_px, params_before.slices.yz_x_px);
  const SliceSet slices_after = copy_slices(swept, g);
  EXPECT_EQ(slices_after.xy.values, slices_before.xy.values);
  EXPECT_EQ(slices_after.xz.values, slices_before.xz.values);
  EXPECT_EQ(slices_after.yz.values, slices_before.yz.values);
}

ReconParams some_params(const ScanGeometry& g) {
  ReconParams params;
  params.center_offset_px = 1.5f;
  params.slices.xy_row = g.rows - 1;
  params.slices.xz_y_px = 2.5f;
  params.slices.yz_x_px = -4.f;
  return params;
}

TEST(CpuEngineSweep, CandidatesEqualSetCenterAndCopySlice) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 5, 40, 36, 36);
  auto swept = engine_with_threads(3);
  auto reference = engine_with_threads(2);
  for (Engine* e : {swept.get(), reference.get()}) {
    scan.begin(*e, some_params(scan.geometry));
    for (std::size_t k = 0; k < scan.projections.size(); ++k) scan.add(*e, k);
  }
  expect_sweeps_match(*swept, *reference, scan.geometry, rng.gen);
}

TEST(CpuEngineSweep, PartlyFilledStore) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 4, 33, 30, 30);  // odd cols: pixel centres at integers
  auto swept = engine_with_threads(2);
  auto reference = engine_with_threads(1);
  for (Engine* e : {swept.get(), reference.get()}) {
    scan.begin(*e, some_params(scan.geometry));
    for (std::size_t k = 0; k < scan.projections.size(); k += 3) scan.add(*e, k);
  }
  expect_sweeps_match(*swept, *reference, scan.geometry, rng.gen);

  // An empty store gives zero images.
  auto empty = engine_with_threads(2);
  scan.begin(*empty, some_params(scan.geometry));
  const std::vector<float> images = sweep(*empty, 1, {0.f, 2.f}, {3, 4, 5, 6});
  EXPECT_EQ(images, std::vector<float>(2 * 5 * 6, 0.f));
}

TEST(CpuEngineSweep, SlidingWindowStore) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::uint32_t window = 24;
  const RandomScan scan(rng.gen, 3, 36, window, 2 * window + 7);  // every slot replaced once, some twice
  auto swept = engine_with_threads(2);
  auto reference = engine_with_threads(2);
  for (Engine* e : {swept.get(), reference.get()}) {
    scan.begin(*e, some_params(scan.geometry));
    for (std::size_t k = 0; k < scan.projections.size(); ++k) scan.add(*e, k);
  }
  expect_sweeps_match(*swept, *reference, scan.geometry, rng.gen);

  // The window holds only the last `window` projections: a fresh engine fed those sweeps the same.
  auto fresh = engine_with_threads(2);
  scan.begin(*fresh, some_params(scan.geometry));
  for (std::size_t k = scan.projections.size() - window; k < scan.projections.size(); ++k) scan.add(*fresh, k);
  const SliceRegion region{4, 6, 20, 25};
  const std::vector<float> offsets = {-1.f, 0.25f, 3.f};
  EXPECT_EQ(sweep(*swept, 2, offsets, region), sweep(*fresh, 2, offsets, region));
}

TEST(CpuEngineSweep, SixtyFourCandidatesAndThreadCountsAgree) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 2, 32, 20, 20);
  std::vector<float> offsets(kMaxSweepCandidates);
  for (std::size_t c = 0; c < offsets.size(); ++c) offsets[c] = -8.f + 0.25f * static_cast<float>(c);
  const SliceRegion region{8, 8, 16, 16};
  std::vector<std::vector<float>> results;
  for (const unsigned threads : {1u, 2u, 5u}) {
    auto engine = engine_with_threads(threads);
    scan.begin(*engine, some_params(scan.geometry));
    for (std::size_t k = 0; k < scan.projections.size(); ++k) scan.add(*engine, k);
    results.push_back(sweep(*engine, 1, offsets, region));
    testing::expect_all_finite(results.back(), "sweep");
  }
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
  // Candidates differ from one another (the center matters).
  EXPECT_NE(std::vector<float>(results[0].begin(), results[0].begin() + 256),
            std::vector<float>(results[0].begin() + 256, results[0].begin() + 512));
}

TEST(CpuEngineSweep, LargestRegion) {
  ScanGeometry g;
  g.rows = 1;
  g.cols = 1030;
  g.slots = 3;
  g.angle_weight_rad = static_cast<float>(kPi / 3);
  auto engine = engine_with_threads(2);
  engine->begin_scan(g, ReconParams{});
  std::vector<float> frame(g.cols);
  for (std::uint32_t c = 0; c < g.cols; ++c) frame[c] = 0.5f + 0.4f * std::sin(0.01f * static_cast<float>(c));
  for (std::uint32_t s = 0; s < g.slots; ++s) {
    engine->add_projection(s, 0.7f * static_cast<float>(s), testing::float_frame(frame, 1, g.cols));
  }
  const SliceRegion region{6, 3, kMaxSweepSide, kMaxSweepSide};
  std::vector<std::vector<float>> images;
  constexpr std::uint32_t kSteps[] = {1, 3, kMaxSweepPixelStep};  // 1024, 342 and 128 pixels a side
  for (const std::uint32_t step : kSteps) images.push_back(sweep(*engine, 0, {0.5f}, region, step));
  engine->set_center(0.5f);
  const testing::Slice xy = testing::copy_slice(*engine, Orthoslice::xy, g.cols, g.cols);
  for (std::size_t k = 0; k < std::size(kSteps); ++k) {
    EXPECT_EQ(images[k], cut(xy, region, kSteps[k])) << "pixel_step " << kSteps[k];
  }
  EXPECT_EQ(images[1].size(), 342u * 342u);
}

// ---------------------------------------------------------------------------------------------------------------
// copy_projection and slot_angle.

TEST(CpuEngineStoredProjections, CopyProjectionEqualsTheCpuFilter) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 11, 45, 6, 9);  // 11 rows: a full and a partial filter batch
  const ScanGeometry& g = scan.geometry;
  auto engine = engine_with_threads(3);
  scan.begin(*engine, ReconParams{});

  // What the engine should store: the averaged references (one frame each: the frame itself), attenuation, ramp.
  const std::size_t pixels = std::size_t{g.rows} * g.cols;
  const std::vector<float> dark(scan.dark.begin(), scan.dark.end()), flat(scan.flat.begin(), scan.flat.end());
  CpuRampFilter filter(g.cols, 8);
  const auto expected = [&](std::size_t k) {
    std::vector<float> values(pixels);
    compute_attenuation(scan.frame(scan.projections[k]), dark.data(), flat.data(), values.data(), 0, g.rows);
    filter.filter_rows(values.data(), g.rows);
    return values;
  };

  std::vector<float> out(pixels);
  for (std::size_t k = 0; k < scan.projections.size(); ++k) {
    scan.add(*engine, k);  // k >= 6 replaces slot k - 6
    std::fill(out.begin(), out.end(), std::numeric_limits<float>::quiet_NaN());
    engine->copy_projection(scan.slot_of(k), out);
    EXPECT_EQ(out, expected(k)) << "projection " << k;
  }
  // Earlier slots still hold their latest projection.
  engine->copy_projection(scan.slot_of(4), out);
  EXPECT_EQ(out, expected(4));
  engine->copy_projection(scan.slot_of(0), out);
  EXPECT_EQ(out, expected(6));
}

TEST(CpuEngineStoredProjections, SlotAngle) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 2, 16, 5, 8);
  auto engine = engine_with_threads(2);
  scan.begin(*engine, ReconParams{});
  for (std::uint32_t s = 0; s < 5; ++s) EXPECT_EQ(engine->slot_angle(s), std::nullopt) << "slot " << s;
  scan.add(*engine, 2);
  EXPECT_EQ(engine->slot_angle(2), std::optional<float>(scan.angle_of(2)));
  EXPECT_EQ(engine->slot_angle(3), std::nullopt);
  const float odd = -1234.5678f;  // any finite angle is kept as given, not reduced
  engine->add_projection(4, odd, scan.frame(scan.projections[0]));
  EXPECT_EQ(engine->slot_angle(4), std::optional<float>(odd));
  scan.add(*engine, 7);  // slot 2 again: the new angle
  EXPECT_EQ(engine->slot_angle(2), std::optional<float>(scan.angle_of(7)));
  // A new scan starts empty.
  scan.begin(*engine, ReconParams{});
  EXPECT_EQ(engine->slot_angle(2), std::nullopt);
  EXPECT_EQ(engine->slot_angle(4), std::nullopt);
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals: each names the offending value; a refused call changes nothing.

using testing::expect_engine_error;

TEST(CpuEngineCenterToolErrors, NoActiveScan) {
  auto idle = engine_with_threads(1);
  std::vector<float> out(16);
  const std::vector<float> offsets = {0.f};
  expect_engine_error([&] { (void)idle->slot_angle(0); }, "slot_angle: no active scan");
  expect_engine_error([&] { idle->copy_projection(0, out); }, "copy_projection: no active scan");
  expect_engine_error([&] { idle->sweep_center(0, offsets, {0, 0, 4, 4}, 1, out); }, "sweep_center: no active scan");
}

class CpuEngineCenterToolErrorsInScan : public ::testing::Test {
 protected:
  void SetUp() override {
    geometry_.rows = 6;
    geometry_.cols = 48;
    geometry_.slots = 8;
    geometry_.angle_weight_rad = static_cast<float>(kPi / 8);
    engine_ = engine_with_threads(2);
    engine_->begin_scan(geometry_, ReconParams{});
    const std::vector<float> ones(std::size_t{6} * 48, 0.5f);
    engine_->add_projection(1, 0.25f, testing::float_frame(ones, 6, 48));
  }
  void sweep_expecting(std::uint32_t xy_row, const std::vector<float>& offsets, const SliceRegion& region,
                       std::size_t out_size, const std::string& needle, std::uint32_t pixel_step = 1) {
    std::vector<float> out(out_size, -1.f);
    expect_engine_error([&] { engine_->sweep_center(xy_row, offsets, region, pixel_step, out); }, needle);
    EXPECT_EQ(engine_->params().center_offset_px, 0.f);
  }
  ScanGeometry geometry_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(CpuEngineCenterToolErrorsInScan, SlotAngleAndCopyProjection) {
  expect_engine_error([&] { (void)engine_->slot_angle(8); }, "slot_angle: slot 8 out of range");
  expect_engine_error([&] { (void)engine_->slot_angle(0xffffffffu); }, "slot 4294967295 out of range");
  std::vector<float> out(6 * 48);
  expect_engine_error([&] { engine_->copy_projection(8, out); }, "copy_projection: slot 8 out of range");
  expect_engine_error([&] { engine_->copy_projection(0, out); }, "copy_projection: slot 0 holds no projection");
  std::vector<float> wrong(6 * 48 + 1);
  expect_engine_error([&] { engine_->copy_projection(1, wrong); }, "out holds 289 floats, a projection has 288 (6 x 48)");
  EXPECT_NO_THROW(engine_->copy_projection(1, out));
}

TEST_F(CpuEngineCenterToolErrorsInScan, SweepArguments) {
  const SliceRegion region{0, 0, 4, 5};
  const std::vector<float> one = {0.f};
  sweep_expecting(6, one, region, 20, "sweep_center: xy_row 6 out of range: the detector has 6 rows (0..5)");
  sweep_expecting(0, {}, region, 0, "sweep_center: 0 candidate centers; expected 1..64");
  sweep_expecting(0, std::vector<float>(65, 0.f), region, 65 * 20, "65 candidate centers; expected 1..64");
  sweep_expecting(0, {0.f, std::nanf("")}, region, 40, "candidate 1, center_offset_px nan, is not a finite number");
  sweep_expecting(0, {std::numeric_limits<float>::infinity()}, region, 20, "center_offset_px inf");
  sweep_expecting(0, one, {0, 0, 0, 5}, 0, "region 0 x 5 at row 0, col 0 (rows x cols) is empty");
  sweep_expecting(0, one, {0, 0, 5, 0}, 0, "is empty");
  sweep_expecting(0, one, {0, 0, 1025, 1}, 1025, "region 1025 x 1 at row 0, col 0 (rows x cols) is larger than 1024");
  sweep_expecting(0, one, {0, 0, 1, 1025}, 1025, "larger than 1024 pixels on a side");
  sweep_expecting(0, one, {44, 0, 5, 5}, 25, "region 5 x 5 at row 44, col 0 (rows x cols) leaves the 48 x 48");
  sweep_expecting(0, one, {0, 48, 1, 1}, 1, "leaves the 48 x 48 axial slice");
  sweep_expecting(0, one, {0xffffffffu, 0, 2, 2}, 4, "leaves the 48 x 48 axial slice");  // no wrap-around
  sweep_expecting(0, {1.f, 2.f}, region, 20, "sweep_center: out holds 20 floats, expected 2 candidates x 4 x 5 = 40");
  sweep_expecting(0, one, region, 20, "sweep_center: pixel_step 0 out of range; expected 1..8", 0);
  sweep_expecting(0, one, region, 1, "sweep_center: pixel_step 9 out of range; expected 1..8", kMaxSweepPixelStep + 1);
  // A sampled image is ceil(side / step) a side: out must hold that, not the region.
  sweep_expecting(0, one, region, 20, "sweep_center: out holds 20 floats, expected 1 candidates x 2 x 3 = 6", 2);
  sweep_expecting(0, one, {0, 0, 48, 48}, 15 * 15, "expected 1 candidates x 16 x 16 = 256", 3);
  // The limits themselves are accepted, and a step beyond the region's sides gives its first pixel.
  std::vector<float> out(kMaxSweepCandidates * 48 * 48);
  EXPECT_NO_THROW(engine_->sweep_center(5, std::vector<float>(kMaxSweepCandidates, 0.5f), {0, 0, 48, 48}, 1, out));
  std::vector<float> corner(1);
  EXPECT_NO_THROW(engine_->sweep_center(5, one, region, kMaxSweepPixelStep, corner));
  EXPECT_EQ(engine_->params().center_offset_px, 0.f);
}

}  // namespace
}  // namespace tomolive::kernels
