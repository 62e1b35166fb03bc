// The CUDA engine's center-of-rotation tools (PROTOCOL.md 10.4) against the CPU engine, on fresh random inputs, for
// both store precisions: sweep_center (several rows, regions and up to kMaxSweepCandidates centers, over full and
// sliding-window stores, whole and sampled at every pixel step's window scale; also against its own set_center +
// copy_slice, and leaving params and slices alone),
// copy_projection (Q2 budgets) and slot_angle (exact); the same refusals as the CPU engine. Outputs are poisoned
// with NaN before every call. Every test skips, with the reason, where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::begin;
using gpu_testing::copy_checked;
using gpu_testing::cuda_engine;
using gpu_testing::feed;
using gpu_testing::make_random_scan;
using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;

using gpu_testing::tolerance;

constexpr float kPoison = std::numeric_limits<float>::quiet_NaN();

std::vector<float> sweep(Engine& engine, std::uint32_t xy_row, const std::vector<float>& offsets,
                         const SliceRegion& region, std::uint32_t pixel_step = 1) {
  std::vector<float> out(offsets.size() * sweep_image_rows(region, pixel_step) * sweep_image_cols(region, pixel_step),
                         kPoison);
  engine.sweep_center(xy_row, offsets, region, pixel_step, out);
  const auto bad = std::find_if(out.begin(), out.end(), [](float v) { return !std::isfinite(v); });
  EXPECT_EQ(bad, out.end()) << engine.name() << " sweep: value " << (bad - out.begin()) << " of " << out.size()
                            << " not written or not finite";
  return out;
}

std::vector<float> cut(const std::vector<float>& slice, std::uint32_t n, const SliceRegion& r) {
  std::vector<float> values;
  for (std::uint32_t i = 0; i < r.rows; ++i) {
    for (std::uint32_t j = 0; j < r.cols; ++j) values.push_back(slice[std::size_t{r.row0 + i} * n + r.col0 + j]);
  }
  return values;
}

// Every candidate image of `gpu` within `tol` of `cpu`'s, candidate by candidate: max |gpu - cpu| relative to the
// larger of the candidate's own peak and `scale` (a small region's own peak can be near zero: no scale).
void expect_candidates_close(const std::vector<float>& gpu, const std::vector<float>& cpu, std::size_t candidates,
                             double tol, const std::string& what, float scale = 0.f) {
  ASSERT_EQ(gpu.size(), cpu.size());
  const std::size_t pixels = gpu.size() / candidates;
  for (std::size_t c = 0; c < candidates; ++c) {
    const auto at = [&](const std::vector<float>& v, std::size_t k) {
      return v.begin() + static_cast<std::ptrdiff_t>(k * pixels);
    };
    const std::vector<float> g(at(gpu, c), at(gpu, c + 1)), r(at(cpu, c), at(cpu, c + 1));
    double difference = 0.0, peak = scale;
    for (std::size_t k = 0; k < pixels; ++k) {
      difference = std::max(difference, std::fabs(static_cast<double>(g[k]) - static_cast<double>(r[k])));
      peak = std::max(peak, std::fabs(static_cast<double>(r[k])));
    }
    EXPECT_LE(difference, tol * peak) << what << ", candidate " << c << " (peak " << peak << ")";
  }
}

class CudaCenterTools : public ::testing::TestWithParam<StorePrecision> {};

TEST_P(CudaCenterTools, SweepMatchesCpuAndChangesNothing) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // 120 projections into 90 slots: a sliding window (30 slots replaced).
  const auto scan = make_random_scan<std::uint16_t>(rng, 9, 160, 90, 120);
  const ScanGeometry& g = scan.geometry;
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(store);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 120);
  feed(*gpu, scan, 0, 120);

  std::vector<std::vector<float>> slices_before;
  for (const Orthoslice s : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    slices_before.push_back(copy_checked(*gpu, s));
  }
  const ReconParams params_before = gpu->params();

  const std::uint32_t n = g.cols;
  // Regions of every size, the whole slice and a one-pixel one at the centre among them. Small regions are compared
  // on the scale of the axial slice's peak.
  const std::vector<SliceRegion> regions = {{0, 0, n, n}, {n / 2, n / 2, 1, 1}, {17, 5, 70, 133}, {100, 90, 60, 70},
                                            {n - 1, 0, 1, n}};
  for (const std::uint32_t row : {0u, scan.params.slices.xy_row, g.rows - 1}) {
    const std::vector<float> whole = sweep(*cpu, row, {0.f}, regions.front());
    const float scale = std::fabs(*std::max_element(whole.begin(), whole.end(), [](float a, float b) {
      return std::fabs(a) < std::fabs(b);
    }));
    for (const SliceRegion& region : regions) {
      std::vector<float> offsets = {0.f, rng.uniform(-4.f, 4.f), rng.uniform(-4.f, 4.f), -12.5f};
      const std::string what = "row " + std::to_string(row) + ", region " + std::to_string(region.rows) + " x " +
                               std::to_string(region.cols) + " at (" + std::to_string(region.row0) + ", " +
                               std::to_string(region.col0) + ")";
      expect_candidates_close(sweep(*gpu, row, offsets, region), sweep(*cpu, row, offsets, region), offsets.size(),
                              tolerance(store), what, scale);
    }
  }
  // kMaxSweepCandidates candidates in one call.
  std::vector<float> many(kMaxSweepCandidates);
  for (std::size_t c = 0; c < many.size(); ++c) many[c] = -8.f + 0.25f * static_cast<float>(c);
  const SliceRegion central{n / 4, n / 4, n / 2, n / 2};
  const std::vector<float> gpu_many = sweep(*gpu, scan.params.slices.xy_row, many, central);
  expect_candidates_close(gpu_many, sweep(*cpu, scan.params.slices.xy_row, many, central), many.size(),
                          tolerance(store), "64 candidates");

  // Nothing of the GPU engine changed: parameters, slices (bit for bit: no recompute ran) and store.
  EXPECT_EQ(gpu->params().center_offset_px, params_before.center_offset_px);
  EXPECT_EQ(gpu->params().slices.xy_row, params_before.slices.xy_row);
  EXPECT_EQ(gpu->params().slices.xz_y_px, params_before.slices.xz_y_px);
  EXPECT_EQ(gpu->params().slices.yz_x_px, params_before.slices.yz_x_px);
  int k = 0;
  for (const Orthoslice s : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    EXPECT_EQ(copy_checked(*gpu, s), slices_before[k++]) << gpu_testing::slice_name(s) << " slice changed";
  }
  // A candidate equals the engine's own set_center + copy_slice of the region (same store; float32 rounding only).
  const std::size_t pixels = std::size_t{central.rows} * central.cols;
  for (const std::size_t c : {std::size_t{0}, std::size_t{37}, kMaxSweepCandidates - 1}) {
    gpu->set_center(many[c]);
    const std::vector<float> own = cut(copy_checked(*gpu, Orthoslice::xy), n, central);
    const std::vector<float> candidate(gpu_many.begin() + static_cast<std::ptrdiff_t>(c * pixels),
                                       gpu_many.begin() + static_cast<std::ptrdiff_t>((c + 1) * pixels));
    EXPECT_LE(relative_max_difference(candidate, own), 1e-4) << "candidate " << c << " vs set_center";
  }
}

TEST_P(CudaCenterTools, LargestRegionOnAWideDetector) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  const auto scan = make_random_scan<std::uint16_t>(rng, 4, 1100, 24, 24);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(store);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 24);
  feed(*gpu, scan, 0, 24);
  const SliceRegion region{70, 3, kMaxSweepSide, kMaxSweepSide};
  const std::vector<float> offsets = {-2.5f, 1.75f};
  expect_candidates_close(sweep(*gpu, 2, offsets, region), sweep(*cpu, 2, offsets, region), offsets.size(),
                          tolerance(store), "1024 x 1024");
}

// A sampled sweep (every 2nd, 3rd, 5th or 8th pixel: each window scale of the kernel) equals the CPU engine's within
// the sweep tolerance, for regions of odd and even sides, the largest region at step 2 (T8-1024-step2) included.
TEST_P(CudaCenterTools, SampledSweepMatchesCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  const auto scan = make_random_scan<std::uint16_t>(rng, 4, 1100, 36, 36);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(store);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 36);
  feed(*gpu, scan, 0, 36);
  const std::uint32_t n = scan.geometry.cols;
  // Small regions are compared on the scale of the central square's peak.
  const std::vector<float> whole =
      sweep(*cpu, 1, {0.f}, {(n - kMaxSweepSide) / 2, (n - kMaxSweepSide) / 2, kMaxSweepSide, kMaxSweepSide}, 2);
  const float scale = std::fabs(*std::max_element(whole.begin(), whole.end(), [](float a, float b) {
    return std::fabs(a) < std::fabs(b);
  }));
  const std::vector<float> offsets = {0.f, rng.uniform(-4.f, 4.f), -12.5f};
  const std::vector<SliceRegion> regions = {
      {70, 3, kMaxSweepSide, kMaxSweepSide}, {17, 5, 171, 133}, {n - 9, 0, 9, 301}};
  for (const std::uint32_t step : {2u, 3u, 5u, kMaxSweepPixelStep}) {
    for (const SliceRegion& region : regions) {
      const std::string what = "pixel_step " + std::to_string(step) + ", region " + std::to_string(region.rows) +
                               " x " + std::to_string(region.cols) + " at (" + std::to_string(region.row0) + ", " +
                               std::to_string(region.col0) + ")";
      expect_candidates_close(sweep(*gpu, 1, offsets, region, step), sweep(*cpu, 1, offsets, region, step),
                              offsets.size(), tolerance(store), what, scale);
    }
  }
}

// The sweep copies its images out in chunks while later chunks are computed (T8r): into page-locked memory as into
// pageable memory, every candidate lands in its place, for candidate counts that do and do not divide into chunks.
TEST_P(CudaCenterTools, ChunkedCopyOutFillsPageLockedAndPageableImagesAlike) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<std::uint16_t>(rng, 4, 64, 24, 24);
  auto gpu = cuda_engine(GetParam());
  begin(*gpu, scan);
  feed(*gpu, scan, 0, 24);
  const SliceRegion region{5, 7, 40, 33};
  for (const std::size_t count : {std::size_t{1}, std::size_t{5}, std::size_t{7}, kMaxSweepCandidates}) {
    SCOPED_TRACE(count);
    std::vector<float> offsets(count);
    for (std::size_t c = 0; c < count; ++c) offsets[c] = -3.f + 0.1f * static_cast<float>(c);
    const std::vector<float> pageable = sweep(*gpu, 1, offsets, region);
    const std::size_t floats = pageable.size();
    PinnedHostBuffer pinned(floats * sizeof(float));
    const std::span<float> locked(static_cast<float*>(pinned.data()), floats);
    std::fill(locked.begin(), locked.end(), kPoison);
    gpu->sweep_center(1, offsets, region, 1, locked);
    EXPECT_TRUE(std::equal(locked.begin(), locked.end(), pageable.begin())) << "the same images either way";
  }
}

TEST_P(CudaCenterTools, CopyProjectionAndSlotAngleMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // 13 rows: a partial quad of the store; 40 projections into 30 slots, 5 slots left empty at first.
  const auto scan = make_random_scan<std::uint16_t>(rng, 13, 200, 30, 40);
  const ScanGeometry& g = scan.geometry;
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(store);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 25);
  feed(*gpu, scan, 0, 25);
  const auto compare = [&](const std::string& what) {
    std::vector<float> from_cpu(std::size_t{g.rows} * g.cols), from_gpu(from_cpu.size());
    for (std::uint32_t slot = 0; slot < g.slots; ++slot) {
      const std::optional<float> angle = cpu->slot_angle(slot);
      EXPECT_EQ(gpu->slot_angle(slot), angle) << what << ", slot " << slot;
      if (!angle) {
        EXPECT_THROW(gpu->copy_projection(slot, from_gpu), EngineError) << what << ", empty slot " << slot;
        continue;
      }
      std::fill(from_gpu.begin(), from_gpu.end(), kPoison);
      cpu->copy_projection(slot, from_cpu);
      gpu->copy_projection(slot, from_gpu);
      const auto bad = std::find_if(from_gpu.begin(), from_gpu.end(), [](float v) { return !std::isfinite(v); });
      EXPECT_EQ(bad, from_gpu.end()) << what << ", slot " << slot << ": value not written";
      EXPECT_LE(relative_max_difference(from_gpu, from_cpu), tolerance(store)) << what << ", slot " << slot;
    }
  };
  compare("25 projections");
  feed(*cpu, scan, 25, 15);
  feed(*gpu, scan, 25, 15);
  compare("40 projections (10 slots replaced)");
  // A sweep in between does not disturb the stored projections.
  const std::vector<float> offsets = {0.5f};
  (void)sweep(*gpu, 3, offsets, {10, 10, 50, 50});
  compare("after a sweep");
}

std::string store_name(const ::testing::TestParamInfo<StorePrecision>& param) {
  return param.param == StorePrecision::float16 ? "float16" : "float32";
}

INSTANTIATE_TEST_SUITE_P(Store, CudaCenterTools, ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         store_name);

// The refusals come from the checks both engines share; the GPU engine raises them before touching the device.
TEST(CudaCenterToolErrors, SameRefusalsAsCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  const auto scan = make_random_scan<std::uint16_t>(rng, 6, 48, 8, 3);
  auto idle = cuda_engine(StorePrecision::float32);
  std::vector<float> out(6 * 48);
  const std::vector<float> one = {0.f};
  EXPECT_THROW((void)idle->slot_angle(0), EngineError);
  EXPECT_THROW(idle->copy_projection(0, out), EngineError);
  EXPECT_THROW(idle->sweep_center(0, one, {0, 0, 4, 4}, 1, out), EngineError);

  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(StorePrecision::float32);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 3);
  feed(*gpu, scan, 0, 3);
  const auto message = [](const std::function<void()>& call) {
    try {
      call();
    } catch (const EngineError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::vector<std::function<void(Engine&)>> calls = {
      [](Engine& e) { (void)e.slot_angle(8); },
      [&](Engine& e) { e.copy_projection(5, out); },
      [&](Engine& e) {
        std::vector<float> wrong(7);
        e.copy_projection(1, wrong);
      },
      [&](Engine& e) { e.sweep_center(6, one, {0, 0, 4, 4}, 1, out); },
      [&](Engine& e) { e.sweep_center(0, std::vector<float>(65, 0.f), {0, 0, 1, 1}, 1, out); },
      [&](Engine& e) { e.sweep_center(0, std::vector<float>{std::nanf("")}, {0, 0, 1, 1}, 1, out); },
      [&](Engine& e) { e.sweep_center(0, one, {44, 0, 5, 5}, 1, out); },
      [&](Engine& e) { e.sweep_center(0, one, {0, 0, 0, 4}, 1, out); },
      [&](Engine& e) { e.sweep_center(0, one, {0, 0, 4, 4}, 1, out); },  // out holds 288, not 16
      [&](Engine& e) { e.sweep_center(0, one, {0, 0, 4, 4}, 0, out); },
      [&](Engine& e) { e.sweep_center(0, one, {0, 0, 4, 4}, kMaxSweepPixelStep + 1, out); },
      [&](Engine& e) { e.sweep_center(0, one, {0, 0, 48, 48}, 2, out); },  // out holds 288, not 24 x 24
  };
  for (std::size_t k = 0; k < calls.size(); ++k) {
    const std::string expected = message([&] { calls[k](*cpu); });
    EXPECT_NE(expected, "(no error)") << "call " << k;
    EXPECT_EQ(message([&] { calls[k](*gpu); }), expected) << "call " << k;
  }
  EXPECT_EQ(gpu->params().center_offset_px, scan.params.center_offset_px);
}

}  // namespace
}  // namespace tomolive::kernels
