// The CPU engine end to end: geometry of a point, quantitative FBP of a disk, incremental vs recompute (Q3),
// sliding window, determinism across thread counts, and every refusal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels {
namespace {

using testing::copy_slices;
using testing::relative_max_difference;
using testing::Seeded;
using testing::SliceSet;

constexpr double kPi = std::numbers::pi;

// Line integral of the object for detector row `row`, at signed distance `s` (pixels) from the rotation axis,
// at angle theta (radians).
using LineIntegral = std::function<double(std::uint32_t row, double s, double theta)>;

// A float32 "raw" frame exp(-p) for a sinogram whose axis sits at axis_col.
std::vector<float> transmission_frame(const ScanGeometry& g, float axis_col, float theta, const LineIntegral& p) {
  std::vector<float> frame(std::size_t{g.rows} * g.cols);
  for (std::uint32_t r = 0; r < g.rows; ++r) {
    for (std::uint32_t c = 0; c < g.cols; ++c) {
      frame[std::size_t{r} * g.cols + c] = static_cast<float>(std::exp(-p(r, c - double(axis_col), double(theta))));
    }
  }
  return frame;
}

float angle_of(std::uint32_t k, std::uint32_t count, double range_rad) {
  return static_cast<float>(range_rad * k / count);
}

// Begins a scan, adds two flats of 1.0 (no darks) and all projections k = 0..slots-1 spread over range_rad.
void feed_analytic(Engine& engine, const ScanGeometry& g, const ReconParams& params, double range_rad,
                   float sinogram_center_offset, const LineIntegral& p) {
  engine.begin_scan(g, params);
  const std::vector<float> ones(std::size_t{g.rows} * g.cols, 1.f);
  engine.add_flat(testing::float_frame(ones, g.rows, g.cols));
  engine.add_flat(testing::float_frame(ones, g.rows, g.cols));
  const float axis = axis_column(g.cols, sinogram_center_offset);
  for (std::uint32_t k = 0; k < g.slots; ++k) {
    const float theta = angle_of(k, g.slots, range_rad);
    const ProjectionStats stats =
        engine.add_projection(k, theta, testing::float_frame(transmission_frame(g, axis, theta, p), g.rows, g.cols));
    EXPECT_EQ(stats.clamped_values, 0u);
  }
  EXPECT_EQ(engine.projections_in_store(), g.slots);
}

std::unique_ptr<Engine> engine_with_threads(unsigned threads) {
  CpuEngineOptions options;
  options.threads = threads;
  return make_cpu_engine(options);
}

// ---------------------------------------------------------------------------------------------------------------
// Geometry: a narrow Gaussian blob at (x0, y0) in detector row r0.

struct PointObject {
  double x0 = 10.5, y0 = -7.5;  // pixels from the axis; half-integers land on pixel centres for even N
  std::uint32_t r0 = 5;
  double mass = 20.0;  // line integral of the blob (pixels)
  double sigma = 1.5;  // pixels
  double operator()(std::uint32_t row, double s, double theta) const {
    if (row != r0) return 0.0;
    const double d = s - (x0 * std::cos(theta) + y0 * std::sin(theta));
    return mass / (sigma * std::sqrt(2 * kPi)) * std::exp(-d * d / (2 * sigma * sigma));
  }
};

void expect_point_at(const SliceSet& s, const PointObject& point, std::uint32_t n) {
  const double half = 0.5 * (n - 1);
  const auto xy_row = static_cast<std::uint32_t>(half - point.y0);
  const auto xy_col = static_cast<std::uint32_t>(half + point.x0);
  EXPECT_EQ(s.xy.argmax(), std::make_pair(xy_row, xy_col)) << "XY: row 0 is +y, column 0 is -x";
  EXPECT_EQ(s.xz.argmax(), std::make_pair(point.r0, static_cast<std::uint32_t>(half + point.x0))) << "XZ";
  EXPECT_EQ(s.yz.argmax(), std::make_pair(point.r0, static_cast<std::uint32_t>(half + point.y0))) << "YZ";
  // The blob's mass is recovered around the peak (1/pixel * pixels^2 = pixels).
  double mass = 0.0;
  for (std::uint32_t i = xy_row - 6; i <= xy_row + 6; ++i) {
    for (std::uint32_t j = xy_col - 6; j <= xy_col + 6; ++j) mass += s.xy.at(i, j);
  }
  EXPECT_NEAR(mass, point.mass, 0.01 * point.mass);
  // Other detector rows hold nothing.
  for (std::uint32_t j = 0; j < n; ++j) EXPECT_EQ(s.xz.at(point.r0 - 1, j), 0.f);
}

ScanGeometry point_geometry() {
  ScanGeometry g;
  g.rows = 8;
  g.cols = 64;
  g.slots = 180;
  g.angle_weight_rad = static_cast<float>(kPi / g.slots);
  return g;
}

ReconParams params_through(const PointObject& point, float center_offset) {
  ReconParams params;
  params.center_offset_px = center_offset;
  params.slices.xy_row = point.r0;
  params.slices.xz_y_px = static_cast<float>(point.y0);
  params.slices.yz_x_px = static_cast<float>(point.x0);
  return params;
}

TEST(CpuEngineGeometry, PointLandsOnItsPixelInAllThreeSlices) {
  const PointObject point;
  const ScanGeometry g = point_geometry();
  auto engine = engine_with_threads(2);
  feed_analytic(*engine, g, params_through(point, 0.f), kPi, 0.f, point);
  expect_point_at(copy_slices(*engine, g), point, g.cols);
}

TEST(CpuEngineGeometry, CenterOffsetIsHonoured) {
  const PointObject point;
  const ScanGeometry g = point_geometry();
  const float offset = 3.25f;  // the sinogram's axis sits 3.25 columns right of the detector's middle
  auto told = engine_with_threads(2);
  feed_analytic(*told, g, params_through(point, offset), kPi, offset, point);
  const SliceSet expected = copy_slices(*told, g);
  {
    SCOPED_TRACE("engine told the offset at begin_scan");
    expect_point_at(expected, point, g.cols);
  }

  // Told a wrong center first, then corrected: recomputed from the store, same slices.
  auto corrected = engine_with_threads(2);
  feed_analytic(*corrected, g, params_through(point, 0.f), kPi, offset, point);
  const SliceSet wrong = copy_slices(*corrected, g);
  EXPECT_LT(*std::max_element(wrong.xy.values.begin(), wrong.xy.values.end()),
            0.8f * *std::max_element(expected.xy.values.begin(), expected.xy.values.end()))
      << "a 3.25 px center error should blur the point";
  corrected->set_center(offset);
  EXPECT_EQ(corrected->params().center_offset_px, offset);
  const SliceSet fixed = copy_slices(*corrected, g);
  SCOPED_TRACE("engine corrected by set_center");
  expect_point_at(fixed, point, g.cols);
  EXPECT_LE(relative_max_difference(fixed.xy.values, expected.xy.values), 1e-4);
  EXPECT_LE(relative_max_difference(fixed.xz.values, expected.xz.values), 1e-4);
  EXPECT_LE(relative_max_difference(fixed.yz.values, expected.yz.values), 1e-4);
}

// ---------------------------------------------------------------------------------------------------------------
// Quantitative FBP: a uniform disk of attenuation mu (1/pixel), radius R, centred at (xc, yc).

struct Disk {
  double xc = 6, yc = -4, radius = 40, mu = 0.02;
  double operator()(std::uint32_t, double s, double theta) const {
    const double d = s - (xc * std::cos(theta) + yc * std::sin(theta));
    return d * d < radius * radius ? 2.0 * mu * std::sqrt(radius * radius - d * d) : 0.0;
  }
};

void check_disk(std::uint32_t slots, double range_rad) {
  const Disk disk;
  ScanGeometry g;
  g.rows = 2;
  g.cols = 128;
  g.slots = slots;
  g.angle_weight_rad = static_cast<float>(kPi / slots);  // pi / slots over 180 and over 360 deg alike
  ReconParams params;
  params.slices.xy_row = 1;
  params.slices.xz_y_px = static_cast<float>(disk.yc);
  params.slices.yz_x_px = static_cast<float>(disk.xc);
  auto engine = engine_with_threads(2);
  feed_analytic(*engine, g, params, range_rad, 0.f, disk);
  const SliceSet s = copy_slices(*engine, g);
  const double half = 0.5 * (g.cols - 1);

  // Axial: mean relative error inside 80 % of the radius; near zero well outside the disk.
  double error = 0.0, outside = 0.0;
  std::size_t inside_count = 0;
  for (std::uint32_t i = 0; i < g.cols; ++i) {
    for (std::uint32_t j = 0; j < g.cols; ++j) {
      const double x = j - half, y = half - i;
      const double r = std::hypot(x - disk.xc, y - disk.yc);
      if (r < 0.8 * disk.radius) {
        error += std::fabs(s.xy.at(i, j) - disk.mu);
        ++inside_count;
      } else if (r > 1.2 * disk.radius && std::hypot(x, y) < 0.45 * g.cols) {
        outside = std::max(outside, std::fabs(double(s.xy.at(i, j))));
      }
    }
  }
  EXPECT_LT(error / static_cast<double>(inside_count) / disk.mu, 0.02) << "XY mean relative error inside";
  EXPECT_LT(outside, 0.1 * disk.mu) << "XY outside the disk";

  // Vertical slices through the disk's centre: both detector rows.
  for (const auto& [slice, centre, name] :
       {std::tuple{&s.xz, disk.xc, "XZ"}, std::tuple{&s.yz, disk.yc, "YZ"}}) {
    double vertical_error = 0.0;
    std::size_t count = 0;
    for (std::uint32_t i = 0; i < g.rows; ++i) {
      for (std::uint32_t j = 0; j < g.cols; ++j) {
        if (std::fabs(j - half - centre) < 0.8 * disk.radius) {
          vertical_error += std::fabs(slice->at(i, j) - disk.mu);
          ++count;
        }
      }
    }
    EXPECT_LT(vertical_error / static_cast<double>(count) / disk.mu, 0.02) << name << " mean relative error inside";
  }
}

TEST(CpuEngineQuantitative, UniformDiskOver180Degrees) { check_disk(360, kPi); }
TEST(CpuEngineQuantitative, UniformDiskOver360Degrees) { check_disk(720, 2 * kPi); }

// ---------------------------------------------------------------------------------------------------------------
// Random detector data (uint16 with darks and flats): incremental vs recompute, sliding window, determinism.

struct RandomScan {
  ScanGeometry geometry;
  std::vector<std::uint16_t> dark, flat;
  std::vector<std::vector<std::uint16_t>> projections;  // one per k

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

  void begin(Engine& engine, const ReconParams& params) const {
    engine.begin_scan(geometry, params);
    engine.add_dark(frame(dark));
    engine.add_flat(frame(flat));
  }

  // Projection k goes to slot k mod slots at angle k * pi / slots (continuous rotation).
  void add(Engine& engine, std::size_t k) const {
    const auto slot = static_cast<std::uint32_t>(k % geometry.slots);
    const float theta = static_cast<float>(kPi * double(k) / geometry.slots);
    const ProjectionStats stats = engine.add_projection(slot, theta, frame(projections[k]));
    EXPECT_EQ(stats.clamped_values, 0u);
  }
};

ReconParams random_params(std::mt19937& gen, const ScanGeometry& g) {
  const float reach = 0.3f * static_cast<float>(g.cols);
  std::uniform_real_distribution<float> position(-reach, reach), offset(-2.f, 2.f);
  ReconParams params;
  params.center_offset_px = offset(gen);
  params.slices.xy_row = static_cast<std::uint32_t>(gen() % g.rows);
  params.slices.xz_y_px = position(gen);
  params.slices.yz_x_px = position(gen);
  return params;
}

void expect_slices_close(const SliceSet& a, const SliceSet& b, double tolerance) {
  EXPECT_LE(relative_max_difference(a.xy.values, b.xy.values), tolerance) << "XY";
  EXPECT_LE(relative_max_difference(a.xz.values, b.xz.values), tolerance) << "XZ";
  EXPECT_LE(relative_max_difference(a.yz.values, b.yz.values), tolerance) << "YZ";
}

void expect_slices_identical(const SliceSet& a, const SliceSet& b) {
  EXPECT_EQ(a.xy.values, b.xy.values) << "XY";
  EXPECT_EQ(a.xz.values, b.xz.values) << "XZ";
  EXPECT_EQ(a.yz.values, b.yz.values) << "YZ";
}

TEST(CpuEngineIncremental, RandomOrderEqualsRecomputeFromStore) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 6, 48, 64, 64);
  const ReconParams params = random_params(rng.gen, scan.geometry);
  auto engine = engine_with_threads(2);
  scan.begin(*engine, params);
  std::vector<std::size_t> order(scan.geometry.slots);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), rng.gen);
  for (const std::size_t k : order) scan.add(*engine, k);
  EXPECT_EQ(engine->projections_in_store(), scan.geometry.slots);
  const SliceSet incremental = copy_slices(*engine, scan.geometry);

  engine->set_center(params.center_offset_px);  // same center: forces a recompute from the store
  const SliceSet recomputed = copy_slices(*engine, scan.geometry);
  expect_slices_close(incremental, recomputed, 1e-4);

  // Move every slice away and back: recomputed again, identical to the first recompute.
  SlicePositions moved = params.slices;
  moved.xy_row = (moved.xy_row + 1) % scan.geometry.rows;
  moved.xz_y_px += 3.5f;
  moved.yz_x_px -= 2.25f;
  engine->set_slices(moved);
  EXPECT_EQ(engine->params().slices.xz_y_px, moved.xz_y_px);
  const SliceSet elsewhere = copy_slices(*engine, scan.geometry);
  EXPECT_GT(relative_max_difference(elsewhere.xy.values, recomputed.xy.values), 1e-2);
  engine->set_slices(params.slices);
  expect_slices_identical(copy_slices(*engine, scan.geometry), recomputed);
}

TEST(CpuEngineIncremental, SetSlicesRecomputesOnlyMovedSlices) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 4, 32, 24, 24);
  const ReconParams params = random_params(rng.gen, scan.geometry);
  auto engine = engine_with_threads(2);
  scan.begin(*engine, params);
  for (std::size_t k = 0; k < scan.projections.size(); ++k) scan.add(*engine, k);
  const SliceSet before = copy_slices(*engine, scan.geometry);
  SlicePositions moved = params.slices;
  moved.xz_y_px += 1.f;
  engine->set_slices(moved);
  const SliceSet after = copy_slices(*engine, scan.geometry);
  // Untouched slices keep their incremental values bit for bit; the moved one changed.
  EXPECT_EQ(after.xy.values, before.xy.values);
  EXPECT_EQ(after.yz.values, before.yz.values);
  EXPECT_NE(after.xz.values, before.xz.values);
}

TEST(CpuEngineSlidingWindow, EqualsFreshEngineFedTheLastWindow) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::uint32_t window = 40;
  const RandomScan scan(rng.gen, 5, 40, window, 2 * window);
  const ReconParams params = random_params(rng.gen, scan.geometry);

  auto sliding = engine_with_threads(2);
  scan.begin(*sliding, params);
  for (std::size_t k = 0; k < 2 * window; ++k) {
    scan.add(*sliding, k);
    EXPECT_EQ(sliding->projections_in_store(), std::min<std::size_t>(k + 1, window));
  }
  auto fresh = engine_with_threads(2);
  scan.begin(*fresh, params);
  for (std::size_t k = window; k < 2 * window; ++k) scan.add(*fresh, k);

  expect_slices_close(copy_slices(*sliding, scan.geometry), copy_slices(*fresh, scan.geometry), 1e-4);
  // And after a recompute both read the same store: identical.
  sliding->set_center(params.center_offset_px);
  fresh->set_center(params.center_offset_px);
  expect_slices_identical(copy_slices(*sliding, scan.geometry), copy_slices(*fresh, scan.geometry));
}

TEST(CpuEngineDeterminism, ThreadCountDoesNotChangeResults) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const RandomScan scan(rng.gen, 13, 40, 20, 30);  // 13 rows: blocks of 8 and a partial block
  const ReconParams params = random_params(rng.gen, scan.geometry);
  std::vector<SliceSet> results;
  for (const unsigned threads : {1u, 2u, 3u}) {
    auto engine = engine_with_threads(threads);
    scan.begin(*engine, params);
    for (std::size_t k = 0; k < scan.projections.size(); ++k) scan.add(*engine, k);
    results.push_back(copy_slices(*engine, scan.geometry));
    engine->set_center(params.center_offset_px + 0.5f);
    results.push_back(copy_slices(*engine, scan.geometry));
  }
  for (std::size_t r = 2; r < results.size(); ++r) expect_slices_identical(results[r], results[r % 2]);
}

// ---------------------------------------------------------------------------------------------------------------
// Scan lifecycle, counters and memory plan.

TEST(CpuEngine, NameAndMemoryPlan) {
  CpuEngineOptions options;
  options.threads = 2;
  options.memory_limit_bytes = 1u << 30;
  auto engine = make_cpu_engine(options);
  EXPECT_EQ(engine->name(), "cpu");
  ScanGeometry g;
  g.rows = 16;
  g.cols = 128;
  g.slots = 100;
  g.angle_weight_rad = static_cast<float>(kPi / 100);
  const EngineMemoryPlan plan = engine->plan(g);
  EXPECT_EQ(plan.device, "cpu (host memory)");
  EXPECT_EQ(plan.store_precision, "float32");
  EXPECT_EQ(plan.store_bytes, 100u * 16 * 128 * 4);
  // The largest 3D preview (binning 1 for this detector: 16 x 128 x 128 voxels and one binned projection) is
  // reserved with the slices.
  EXPECT_EQ(plan.preview_bytes, (16u * 128 * 128 + 16 * 128) * 4);
  EXPECT_EQ(plan.slice_bytes, (128u * 128 + 2 * 16 * 128) * 4 + plan.preview_bytes);
  EXPECT_GT(plan.other_bytes, 3u * 16 * 128 * 4);
  EXPECT_EQ(plan.corrected_store_bytes, plan.store_bytes);
  EXPECT_EQ(plan.total_bytes, plan.store_bytes + plan.corrected_store_bytes + plan.slice_bytes + plan.other_bytes);
  EXPECT_EQ(plan.available_bytes, 1u << 30);
  EXPECT_TRUE(plan.fits());

  // Default limit: half of physical memory, nonzero.
  EXPECT_GT(make_cpu_engine()->plan(g).available_bytes, 0u);

  // Absurd geometries saturate instead of overflowing.
  g.rows = g.cols = g.slots = 0xffffffffu;
  EXPECT_FALSE(engine->plan(g).fits());
}

TEST(CpuEngine, BeginScanResetsEverything) {
  const PointObject point;
  const ScanGeometry g = point_geometry();
  auto engine = engine_with_threads(2);
  feed_analytic(*engine, g, params_through(point, 0.f), kPi, 0.f, point);
  engine->begin_scan(g, ReconParams{});
  EXPECT_EQ(engine->projections_in_store(), 0u);
  EXPECT_EQ(engine->params().center_offset_px, 0.f);
  const SliceSet s = copy_slices(*engine, g);
  for (const auto* slice : {&s.xy, &s.xz, &s.yz}) {
    for (const float v : slice->values) ASSERT_EQ(v, 0.f);
  }
  // Darks are accepted again in the new scan.
  const std::vector<float> dark(std::size_t{g.rows} * g.cols, 0.f);
  EXPECT_NO_THROW(engine->add_dark(testing::float_frame(dark, g.rows, g.cols)));
}

TEST(CpuEngine, CountsClampedPixels) {
  ScanGeometry g;
  g.rows = 2;
  g.cols = 16;
  g.slots = 4;
  g.angle_weight_rad = static_cast<float>(kPi / 4);
  auto engine = engine_with_threads(2);
  std::vector<float> dark(32, 10.f), flat(32, 110.f), raw(32, 60.f);
  flat[5] = 10.f;   // dead pixel: clamped unless the defective-pixel repair interpolates it (on by default)
  raw[7] = 10.f;    // transmission 0
  raw[20] = -3.f;   // below dark
  for (const bool repair : {true, false}) {
    ReconParams params;
    params.processing.defective_pixels.enabled = repair;
    engine->begin_scan(g, params);
    engine->add_dark(testing::float_frame(dark, 2, 16));
    engine->add_flat(testing::float_frame(flat, 2, 16));
    EXPECT_EQ(engine->add_projection(0, 0.f, testing::float_frame(raw, 2, 16)).clamped_values, repair ? 2u : 3u);
    std::vector<float> xy(16 * 16);
    engine->copy_slice(Orthoslice::xy, xy);
    testing::expect_all_finite(xy, "xy");
  }
}

TEST(CpuEngine, AcceptsEveryPixelType) {
  ScanGeometry g;
  g.rows = 2;
  g.cols = 8;
  g.slots = 4;
  g.angle_weight_rad = static_cast<float>(kPi / 4);
  auto engine = engine_with_threads(2);
  engine->begin_scan(g, ReconParams{});
  const std::vector<std::uint8_t> u8(16, 200);
  const std::vector<std::uint16_t> u16(16, 100);
  const std::vector<std::uint32_t> u32(16, 50);
  const std::vector<float> f32(16, 25.f);
  engine->add_flat(FrameView{u8.data(), PixelType::uint8, 2, 8});
  EXPECT_EQ(engine->add_projection(0, 0.f, FrameView{u16.data(), PixelType::uint16, 2, 8}).clamped_values, 0u);
  EXPECT_EQ(engine->add_projection(1, 0.5f, FrameView{u32.data(), PixelType::uint32, 2, 8}).clamped_values, 0u);
  EXPECT_EQ(engine->add_projection(2, 1.f, FrameView{f32.data(), PixelType::float32, 2, 8}).clamped_values, 0u);
  EXPECT_EQ(engine->projections_in_store(), 3u);
  const SliceSet s = copy_slices(*engine, g);
  EXPECT_GT(*std::max_element(s.xy.values.begin(), s.xy.values.end()), 0.f);
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals: each names the offending value.

using testing::expect_engine_error;

class CpuEngineErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    geometry_.rows = 6;
    geometry_.cols = 48;
    geometry_.slots = 64;
    geometry_.angle_weight_rad = static_cast<float>(kPi / 64);
    engine_ = engine_with_threads(2);
    engine_->begin_scan(geometry_, ReconParams{});
  }
  FrameView frame(std::uint32_t rows, std::uint32_t cols) {
    pixels_.assign(std::size_t{rows} * cols, 1.f);
    return FrameView{pixels_.data(), PixelType::float32, rows, cols};
  }
  ScanGeometry geometry_;
  std::unique_ptr<Engine> engine_;
  std::vector<float> pixels_;
};

TEST_F(CpuEngineErrors, WrongShape) {
  expect_engine_error([&] { engine_->add_projection(0, 0.f, frame(7, 48)); }, "7 x 48");
  expect_engine_error([&] { engine_->add_projection(0, 0.f, frame(6, 47)); }, "6 x 47");
  expect_engine_error([&] { engine_->add_dark(frame(5, 48)); }, "5 x 48");
  expect_engine_error([&] { engine_->add_flat(frame(6, 49)); }, "6 x 49");
  expect_engine_error([&] { engine_->add_projection(0, 0.f, FrameView{nullptr, PixelType::uint16, 6, 48}); },
                      "no data");
  EXPECT_EQ(engine_->projections_in_store(), 0u);
}

TEST_F(CpuEngineErrors, SlotOutOfRange) {
  expect_engine_error([&] { engine_->add_projection(64, 0.f, frame(6, 48)); }, "slot 64");
  expect_engine_error([&] { engine_->add_projection(1000, 0.f, frame(6, 48)); }, "slot 1000");
  expect_engine_error([&] { engine_->add_projection(0, std::nanf(""), frame(6, 48)); }, "nan");
  EXPECT_EQ(engine_->projections_in_store(), 0u);
}

// A PixelType outside the enum is refused, naming the value, by every frame-taking call (pixel_dispatch.hpp), before
// anything is accumulated or stored.
TEST_F(CpuEngineErrors, UnknownPixelTypeNamesTheValue) {
  const FrameView valid = frame(6, 48);
  const FrameView unknown{valid.data, static_cast<PixelType>(7), 6, 48};
  expect_engine_error([&] { engine_->add_dark(unknown); }, "dark frame: unknown pixel type 7");
  expect_engine_error([&] { engine_->add_flat(unknown); }, "flat frame: unknown pixel type 7");
  expect_engine_error([&] { engine_->add_projection(0, 0.f, unknown); }, "projection frame: unknown pixel type 7");
  EXPECT_EQ(engine_->projections_in_store(), 0u);
  EXPECT_FALSE(engine_->slot_angle(0).has_value());
  // The refused projection did not count as one: darks are still accepted.
  engine_->add_dark(valid);
  engine_->add_projection(0, 0.f, valid);
  EXPECT_EQ(engine_->projections_in_store(), 1u);
}

TEST_F(CpuEngineErrors, ReferenceAfterProjection) {
  engine_->add_projection(3, 0.f, frame(6, 48));
  expect_engine_error([&] { engine_->add_dark(frame(6, 48)); }, "dark frame after 1 projection");
  engine_->add_projection(4, 0.f, frame(6, 48));
  expect_engine_error([&] { engine_->add_flat(frame(6, 48)); }, "flat frame after 2 projection");
}

TEST_F(CpuEngineErrors, ScanTooLarge) {
  CpuEngineOptions options;
  options.threads = 2;
  options.memory_limit_bytes = 1u << 20;
  auto small = make_cpu_engine(options);
  ScanGeometry g;
  g.rows = 16;
  g.cols = 128;
  g.slots = 1000;
  g.angle_weight_rad = static_cast<float>(kPi / 1000);
  const EngineMemoryPlan plan = small->plan(g);
  EXPECT_FALSE(plan.fits());
  char needs[128];
  std::snprintf(needs, sizeof needs, "scan needs %.1f MiB (store %.1f, corrected store %.1f, slices",
                static_cast<double>(plan.total_bytes) / 1048576.0, static_cast<double>(plan.store_bytes) / 1048576.0,
                static_cast<double>(plan.corrected_store_bytes) / 1048576.0);
  expect_engine_error([&] { small->begin_scan(g, ReconParams{}); }, needs);
  expect_engine_error([&] { small->begin_scan(g, ReconParams{}); }, "may use 1.0 MiB");
  expect_engine_error([&] { small->set_center(0.f); }, "no active scan");
}

TEST_F(CpuEngineErrors, RefusedBeginKeepsThePreviousScan) {
  engine_->add_projection(0, 0.f, frame(6, 48));
  ScanGeometry bad = geometry_;
  bad.slots = 0;
  expect_engine_error([&] { engine_->begin_scan(bad, ReconParams{}); }, "0 slots");
  EXPECT_EQ(engine_->projections_in_store(), 1u);
  EXPECT_EQ(engine_->slice_shape(Orthoslice::xy), std::make_pair(48u, 48u));
}

TEST_F(CpuEngineErrors, BadGeometryAndParams) {
  ScanGeometry g = geometry_;
  g.rows = 0;
  expect_engine_error([&] { engine_->begin_scan(g, ReconParams{}); }, "0 rows");
  g = geometry_;
  g.angle_weight_rad = -1.f;
  expect_engine_error([&] { engine_->begin_scan(g, ReconParams{}); }, "angle_weight_rad -1");
  ReconParams params;
  params.slices.xy_row = 6;
  expect_engine_error([&] { engine_->begin_scan(geometry_, params); }, "xy_row 6");
  params.slices.xy_row = 0;
  params.center_offset_px = std::numeric_limits<float>::infinity();
  expect_engine_error([&] { engine_->begin_scan(geometry_, params); }, "center_offset_px inf");
}

TEST_F(CpuEngineErrors, SlicePositionsOutOfRange) {
  SlicePositions p;
  p.xy_row = 16;
  expect_engine_error([&] { engine_->set_slices(p); }, "xy_row 16");
  p.xy_row = 5;
  p.xz_y_px = 48.5f;
  expect_engine_error([&] { engine_->set_slices(p); }, "xz_y_px 48.5");
  p.xz_y_px = -48.f;  // the limit itself is allowed
  p.yz_x_px = -200.25f;
  expect_engine_error([&] { engine_->set_slices(p); }, "yz_x_px -200.25");
  EXPECT_EQ(engine_->params().slices.xy_row, 0u);  // refused: nothing changed
  p.yz_x_px = 0.f;
  engine_->set_slices(p);
  EXPECT_EQ(engine_->params().slices.xy_row, 5u);
  expect_engine_error([&] { engine_->set_center(std::nanf("")); }, "center_offset_px nan");
}

TEST_F(CpuEngineErrors, CopySliceNeedsTheRightSizeAndAScan) {
  std::vector<float> out(47 * 48);
  expect_engine_error([&] { engine_->copy_slice(Orthoslice::xy, out); }, "2256");
  out.resize(6 * 48);
  EXPECT_NO_THROW(engine_->copy_slice(Orthoslice::yz, out));
  auto idle = engine_with_threads(1);
  expect_engine_error([&] { idle->copy_slice(Orthoslice::xz, out); }, "no active scan");
  expect_engine_error([&] { (void)idle->slice_shape(Orthoslice::xz); }, "no active scan");
  expect_engine_error([&] { idle->add_projection(0, 0.f, frame(6, 48)); }, "no active scan");
}

}  // namespace
}  // namespace tomolive::kernels
