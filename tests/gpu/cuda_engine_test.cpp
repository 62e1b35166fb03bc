// Tests of the CUDA engine against the CPU engine (the reference) on fresh random inputs every run: Q2 (CUDA vs CPU,
// float32 and float16 stores), Q3 (incremental vs recompute), sliding windows, slice moves, every pixel type, odd
// shapes, the fused and the staged filter paths, refusals and errors. Every test skips, with the reason, where no CUDA
// device is usable.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numbers>
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
using gpu_testing::expect_slices_close;
using gpu_testing::feed;
using gpu_testing::make_random_scan;
using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;

using gpu_testing::kFloat16Tolerance;
using gpu_testing::kFloat32Tolerance;
using gpu_testing::precision_name;
using gpu_testing::tolerance;

class CudaVsCpu : public ::testing::TestWithParam<StorePrecision> {};

// Q2: the same scan through both engines: every slice, after the incremental updates, after a center change and after
// a slice move; and the clamped-pixel count of every projection.
TEST_P(CudaVsCpu, SlicesMatchCpuEngine) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // 90 projections: two full batches of 32 slice updates and a partial one.
  const auto scan = make_random_scan<std::uint16_t>(rng, 48, 160, 90, 90);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(store);
  begin(*cpu, scan);
  begin(*gpu, scan);
  EXPECT_EQ(gpu->plan(scan.geometry).store_precision, precision_name(store));
  const std::vector<std::uint64_t> cpu_clamped = feed(*cpu, scan, 0, 90);
  const std::vector<std::uint64_t> gpu_clamped = feed(*gpu, scan, 0, 90);
  EXPECT_EQ(gpu_clamped, cpu_clamped);
  EXPECT_GT(gpu_clamped[0], 0u) << "the scan has dead and zero pixels; some must be clamped";
  EXPECT_EQ(gpu->projections_in_store(), 90u);
  expect_slices_close(*gpu, *cpu, tolerance(store), "incremental");

  const float center = rng.uniform(-4.f, 4.f);
  cpu->set_center(center);
  gpu->set_center(center);
  expect_slices_close(*gpu, *cpu, tolerance(store), "after_set_center");

  const SlicePositions moved = {rng.below(48), rng.uniform(-50.f, 50.f), rng.uniform(-50.f, 50.f)};
  cpu->set_slices(moved);
  gpu->set_slices(moved);
  expect_slices_close(*gpu, *cpu, tolerance(store), "after_set_slices");
}

// Q3: slices built projection by projection equal a recompute from the store (set_center to the same value).
TEST_P(CudaVsCpu, IncrementalEqualsRecompute) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  // 600 projections: the recompute splits them into several groups of entries.
  const auto scan = make_random_scan<std::uint16_t>(rng, 12, 96, 600, 600);
  auto gpu = cuda_engine(GetParam());
  begin(*gpu, scan);
  feed(*gpu, scan, 0, 600);
  std::vector<std::vector<float>> incremental;
  for (const Orthoslice s : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    incremental.push_back(copy_checked(*gpu, s));
  }
  gpu->set_center(scan.params.center_offset_px);
  int k = 0;
  for (const Orthoslice s : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    const std::vector<float> recomputed = copy_checked(*gpu, s);
    EXPECT_LE(relative_max_difference(incremental[k++], recomputed), kFloat32Tolerance)
        << gpu_testing::slice_name(s) << " slice";
  }
}

// A sliding window: 2W projections into W slots (each slot replaced once) equal a fresh engine fed the last W.
TEST_P(CudaVsCpu, SlidingWindowEqualsFreshEngine) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  constexpr std::uint32_t kWindow = 40;
  const auto scan = make_random_scan<std::uint16_t>(rng, 20, 128, kWindow, 2 * kWindow);
  auto windowed = cuda_engine(GetParam());
  auto fresh = cuda_engine(GetParam());
  begin(*windowed, scan);
  begin(*fresh, scan);
  feed(*windowed, scan, 0, 2 * kWindow);
  feed(*fresh, scan, kWindow, kWindow);
  EXPECT_EQ(windowed->projections_in_store(), kWindow);
  expect_slices_close(*windowed, *fresh, kFloat32Tolerance, "window");
  // And the windowed slices, rebuilt from the store, still agree with the CPU engine fed the same 2W projections.
  auto cpu = make_cpu_engine();
  begin(*cpu, scan);
  feed(*cpu, scan, 0, 2 * kWindow);
  windowed->set_center(scan.params.center_offset_px);
  expect_slices_close(*windowed, *cpu, tolerance(GetParam()), "window_recomputed");
}

// Many turns of continuous rotation, ending mid-turn: the incrementally kept slices must not drift from the CPU
// engine's (with a float16 store, replacements leave rounding residues that the engine clears once per turn).
TEST_P(CudaVsCpu, LongContinuousRotationDoesNotDrift) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  constexpr std::uint32_t kWindow = 24;
  constexpr std::uint32_t kProjections = 12 * kWindow + kWindow / 2;
  const auto scan = make_random_scan<std::uint16_t>(rng, 12, 96, kWindow, kProjections);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(GetParam());
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, kProjections);
  feed(*gpu, scan, 0, kProjections);
  expect_slices_close(*gpu, *cpu, tolerance(GetParam()), "long_rotation");
}

// Moving one slice at a time recomputes that one and leaves the others as they were (with every pending update).
TEST_P(CudaVsCpu, SetSlicesMovesEachSliceAlone) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<std::uint16_t>(rng, 33, 120, 50, 50);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(GetParam());
  begin(*cpu, scan);
  begin(*gpu, scan);
  // Projections are fed between moves, so that slice updates are still pending when a slice moves.
  feed(*cpu, scan, 0, 20);
  feed(*gpu, scan, 0, 20);
  SlicePositions positions = scan.params.slices;
  positions.xy_row = (positions.xy_row + 7) % 33;
  cpu->set_slices(positions);
  gpu->set_slices(positions);
  feed(*cpu, scan, 20, 15);
  feed(*gpu, scan, 20, 15);
  positions.xz_y_px = rng.uniform(-40.f, 40.f);
  cpu->set_slices(positions);
  gpu->set_slices(positions);
  feed(*cpu, scan, 35, 15);
  feed(*gpu, scan, 35, 15);
  positions.yz_x_px = rng.uniform(-40.f, 40.f);
  cpu->set_slices(positions);
  gpu->set_slices(positions);
  EXPECT_EQ(gpu->params().slices.xy_row, positions.xy_row);
  expect_slices_close(*gpu, *cpu, tolerance(GetParam()), "moves");
}

// Detector widths around the fused filter path's range (1025..2048 columns, FilterPath), odd and even, and just
// outside it (1024: the staged cuFFT path as the fallback): the CUDA engine against the CPU engine (Q2), and the fused
// path against the staged one forced on the same input (float rounding only; float16: up to a half's rounding of a
// stored value, as the two may round a value to neighbouring halves).
TEST_P(CudaVsCpu, FilterPathWidthsMatchCpuAndStagedPath) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  for (const std::uint32_t cols : {1024u, 1025u, 2047u, 2048u}) {
    SCOPED_TRACE(std::to_string(cols) + " cols");
    const auto scan = make_random_scan<std::uint16_t>(rng, 6, cols, 12, 12);
    auto cpu = make_cpu_engine();
    auto gpu = cuda_engine(store, true);
    CudaEngineOptions staged_options;
    staged_options.store = store;
    staged_options.staged_filter = true;
    auto staged = make_cuda_engine(staged_options);
    begin(*cpu, scan);
    begin(*gpu, scan);
    begin(*staged, scan);
    const std::vector<std::uint64_t> cpu_clamped = feed(*cpu, scan, 0, 12);
    EXPECT_EQ(feed(*gpu, scan, 0, 12), cpu_clamped);
    EXPECT_EQ(feed(*staged, scan, 0, 12), cpu_clamped);
    const std::string name = std::to_string(cols);
    expect_slices_close(*gpu, *cpu, tolerance(store), "cpu_" + name);
    expect_slices_close(*gpu, *staged, store == StorePrecision::float16 ? 1e-3 : 1e-5, "staged_" + name);
    // Stage timing tells which path ran.
    gpu->synchronize();
    const CudaStageTimes t = gpu->stage_times();
    if (cols == 1024) {
      EXPECT_EQ(t.fused_ms, 0.0);
      EXPECT_GT(t.filter_ms, 0.0);
    } else {
      EXPECT_GT(t.fused_ms, 0.0);
      EXPECT_EQ(t.preprocess_ms + t.filter_ms + t.store_ms, 0.0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(StorePrecisions, CudaVsCpu,
                         ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         [](const auto& param_info) { return precision_name(param_info.param); });

// Every raw pixel type is read as it arrived (no conversion on the host).
template <class T>
void expect_pixel_type_matches_cpu() {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<T>(rng, 16, 100, 30, 30);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(StorePrecision::float32);
  begin(*cpu, scan);
  begin(*gpu, scan);
  EXPECT_EQ(feed(*gpu, scan, 0, 30), feed(*cpu, scan, 0, 30));
  expect_slices_close(*gpu, *cpu, kFloat32Tolerance, "pixel_type");
}

TEST(CudaEngine, Uint8FramesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  expect_pixel_type_matches_cpu<std::uint8_t>();
}

TEST(CudaEngine, Uint16FramesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  expect_pixel_type_matches_cpu<std::uint16_t>();
}

TEST(CudaEngine, Uint32FramesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  expect_pixel_type_matches_cpu<std::uint32_t>();
}

TEST(CudaEngine, Float32FramesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  expect_pixel_type_matches_cpu<float>();
}

// Shapes that exercise the padding: rows not a multiple of 4 (a partial quad), odd cols (store pitch, partial axial
// tiles, the rounding at the far detector edge), no darks and no flats (levels 0 and 1).
TEST(CudaEngine, OddShapesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (const auto& [rows, cols] : {std::pair{37u, 101u}, std::pair{1u, 67u}, std::pair{6u, 130u}}) {
    SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols));
    const auto scan = make_random_scan<float>(rng, rows, cols, 25, 25, 0, 0);
    auto cpu = make_cpu_engine();
    auto gpu = cuda_engine(StorePrecision::float32);
    begin(*cpu, scan);
    begin(*gpu, scan);
    feed(*cpu, scan, 0, 25);
    feed(*gpu, scan, 0, 25);
    expect_slices_close(*gpu, *cpu, kFloat32Tolerance, "odd_shape");
  }
}

// Wider detectors use more columns per thread in the vertical-slice kernel (1024 < cols <= 2048: 4 per thread).
TEST(CudaEngine, WideDetectorMatchesCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<std::uint16_t>(rng, 6, 1100, 12, 12);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(StorePrecision::float16);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 12);
  feed(*gpu, scan, 0, 12);
  expect_slices_close(*gpu, *cpu, kFloat16Tolerance, "wide");
}

// Angles at exactly 0 and a center offset of 0 put pixels exactly on the detector's first and last columns, where the
// engines' positions round to either side of an edge: the edge rule (detector_sampling.hpp) gives the same value on
// both sides.
TEST(CudaEngine, PixelsExactlyOnDetectorEdgesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (const std::uint32_t cols : {64u, 65u}) {
    auto scan = make_random_scan<std::uint16_t>(rng, 8, cols, 4, 4);
    scan.params.center_offset_px = 0.f;
    scan.params.slices.yz_x_px = 0.f;
    for (float& a : scan.angles_rad) a = 0.f;
    auto cpu = make_cpu_engine();
    auto gpu = cuda_engine(StorePrecision::float32);
    begin(*cpu, scan);
    begin(*gpu, scan);
    feed(*cpu, scan, 0, 4);
    feed(*gpu, scan, 0, 4);
    expect_slices_close(*gpu, *cpu, kFloat32Tolerance, "edges_" + std::to_string(cols));
  }
}

// A scan of the same shape as the previous one reuses its buffers, and starts from nothing all the same: no leftover
// slice values, references or stored projections (the second scan fills only half of the slots).
TEST(CudaEngine, NextScanOfTheSameShapeStartsClean) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto first = make_random_scan<std::uint16_t>(rng, 16, 96, 30, 30);
  const auto second = make_random_scan<std::uint16_t>(rng, 16, 96, 30, 15);
  auto reused = cuda_engine(StorePrecision::float16);
  auto fresh = cuda_engine(StorePrecision::float16);
  begin(*reused, first);
  feed(*reused, first, 0, 30);
  begin(*reused, second);
  begin(*fresh, second);
  EXPECT_EQ(reused->projections_in_store(), 0u);
  feed(*reused, second, 0, 15);
  feed(*fresh, second, 0, 15);
  expect_slices_close(*reused, *fresh, 1e-5, "second_scan");
  reused->set_center(1.5f);
  fresh->set_center(1.5f);
  expect_slices_close(*reused, *fresh, 1e-5, "second_scan_recomputed");
}

// Frames in page-locked memory take the direct path; the result is the same as through the staging buffer.
TEST(CudaEngine, PinnedFramesGiveTheSameSlices) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<std::uint16_t>(rng, 16, 80, 20, 20);
  auto pageable = cuda_engine(StorePrecision::float32);
  auto pinned = cuda_engine(StorePrecision::float32);
  begin(*pageable, scan);
  begin(*pinned, scan);
  feed(*pageable, scan, 0, 20);
  const std::size_t bytes = scan.projections[0].size() * sizeof(std::uint16_t);
  PinnedHostBuffer frame(bytes);
  for (std::uint32_t k = 0; k < 20; ++k) {
    std::memcpy(frame.data(), scan.projections[k].data(), bytes);
    pinned->add_projection(k, scan.angles_rad[k], {frame.data(), PixelType::uint16, 16, 80});
    std::memset(frame.data(), 0xff, bytes);  // the engine must be done with the caller's memory on return
  }
  expect_slices_close(*pinned, *pageable, 1e-5, "pinned");
}

// Stage timing reports time for every stage that ran.
TEST(CudaEngine, StageTimingCountsEveryStage) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<std::uint16_t>(rng, 8, 64, 10, 10);
  auto gpu = cuda_engine(StorePrecision::float32, true);
  begin(*gpu, scan);
  feed(*gpu, scan, 0, 10);
  gpu->set_center(1.f);
  gpu->synchronize();
  const CudaStageTimes t = gpu->stage_times();
  EXPECT_EQ(t.projections, 10u);
  EXPECT_GT(t.upload_ms, 0.0);
  EXPECT_GT(t.preprocess_ms, 0.0);
  EXPECT_GT(t.filter_ms, 0.0);
  EXPECT_GT(t.store_ms, 0.0);
  EXPECT_EQ(t.fused_ms, 0.0) << "64 columns take the staged path";
  EXPECT_EQ(t.recomputes, 1u);
  EXPECT_GT(t.recompute_ms, 0.0);
  EXPECT_GE(t.updates, 0u);
}

// A scan far larger than the device is refused at begin, saying how much it needs and how much there is.
TEST(CudaEngine, RefusesScanThatDoesNotFit) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_engine(StorePrecision::automatic);
  const ScanGeometry huge{4096, 4096, 1'000'000, std::numbers::pi_v<float> / 1e6f, {}, {}};
  const EngineMemoryPlan plan = gpu->plan(huge);
  EXPECT_FALSE(plan.fits());
  EXPECT_EQ(plan.store_precision, "float16") << "automatic picks float16 when float32 would not fit";
  EXPECT_GT(plan.available_bytes, 0u);
  try {
    gpu->begin_scan(huge, {});
    FAIL() << "begin_scan accepted a scan of " << plan.total_bytes << " bytes";
  } catch (const EngineError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("MiB"), std::string::npos) << message;
    EXPECT_NE(message.find("free"), std::string::npos) << message;
  }
  // The engine is still usable for a scan that fits.
  Seeded rng;
  const auto scan = make_random_scan<std::uint16_t>(rng, 8, 64, 4, 4);
  begin(*gpu, scan);
  feed(*gpu, scan, 0, 4);
  copy_checked(*gpu, Orthoslice::xy);
}

TEST(CudaEngine, RejectsBadCalls) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_engine(StorePrecision::float32);
  std::vector<float> out(64 * 64);
  EXPECT_THROW(gpu->copy_slice(Orthoslice::xy, out), EngineError);  // no scan
  Seeded rng;
  const auto scan = make_random_scan<std::uint16_t>(rng, 8, 64, 4, 4);
  begin(*gpu, scan);
  const FrameView frame = gpu_testing::view(scan.projections[0], scan.geometry);
  EXPECT_THROW(gpu->add_projection(4, 0.f, frame), EngineError);  // slot out of range
  EXPECT_THROW(gpu->add_projection(0, std::numeric_limits<float>::quiet_NaN(), frame), EngineError);
  EXPECT_THROW(gpu->add_projection(0, 0.f, {frame.data, frame.type, 8, 63}), EngineError);  // shape
  EXPECT_THROW(gpu->set_center(std::numeric_limits<float>::infinity()), EngineError);
  EXPECT_THROW(gpu->set_slices({8, 0.f, 0.f}), EngineError);  // xy_row out of range
  gpu->add_projection(0, 0.f, frame);
  EXPECT_THROW(gpu->add_dark(gpu_testing::view(scan.darks[0], scan.geometry)), EngineError);  // after a projection
  std::vector<float> wrong(10);
  EXPECT_THROW(gpu->copy_slice(Orthoslice::xz, wrong), EngineError);
  EXPECT_THROW(gpu->begin_scan({0, 64, 4, 1.f, {}, {}}, {}), EngineError);
}

// A PixelType outside the enum is refused, naming the value, as by the CPU engine (frame_checks.hpp), before anything
// is uploaded or stored.
TEST(CudaEngine, RefusesUnknownPixelTypeNamingIt) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_engine(StorePrecision::float32);
  Seeded rng;
  const auto scan = make_random_scan<std::uint16_t>(rng, 8, 64, 4, 4);
  begin(*gpu, scan);
  const FrameView valid = gpu_testing::view(scan.projections[0], scan.geometry);
  const FrameView unknown{valid.data, static_cast<PixelType>(7), valid.rows, valid.cols};
  for (const auto& [call, kind] : {std::pair<std::function<void()>, std::string>{[&] { gpu->add_dark(unknown); }, "dark"},
                                   {[&] { gpu->add_flat(unknown); }, "flat"},
                                   {[&] { gpu->add_projection(0, 0.f, unknown); }, "projection"}}) {
    try {
      call();
      ADD_FAILURE() << kind << ": no EngineError";
    } catch (const EngineError& e) {
      EXPECT_NE(std::string(e.what()).find(kind + " frame: unknown pixel type 7"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(gpu->projections_in_store(), 0u);
  gpu->add_dark(gpu_testing::view(scan.darks[0], scan.geometry));  // the refused projection did not count as one
  gpu->add_projection(0, 0.f, valid);
  EXPECT_EQ(gpu->projections_in_store(), 1u);
}

// Without a usable device, making an engine fails with the same reason (this test runs everywhere).
TEST(CudaAvailability, EngineCreationFailsWithTheReason) {
  const auto reason = cuda_unavailable_reason();
  if (!reason) {
    EXPECT_NO_THROW(make_cuda_engine());
    return;
  }
  EXPECT_FALSE(reason->empty());
  try {
    make_cuda_engine();
    FAIL() << "make_cuda_engine succeeded although: " << *reason;
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find(*reason), std::string::npos) << e.what();
  }
  EXPECT_TRUE(cuda_unavailable_reason(12345).has_value());
}

// The device count agrees with the reasons (this test runs everywhere): no device without a reason at device 0,
// none past the count.
TEST(CudaAvailability, DeviceCountAgreesWithTheReasons) {
  const int count = cuda_device_count();
  EXPECT_GE(count, 0);
  if (count == 0) {
    EXPECT_TRUE(cuda_unavailable_reason(0).has_value());
  }
  const auto past = cuda_unavailable_reason(count);
  ASSERT_TRUE(past.has_value());
  if (count > 0) {
    EXPECT_NE(past->find("does not exist"), std::string::npos) << *past;
  }
}

}  // namespace
}  // namespace tomolive::kernels
