// The CUDA engine's projection processing (processing.hpp: filter windows, zingers, Paganin phase retrieval, ring
// removal, half-acquisition weights, the corrected store and set_processing) against the CPU engine on fresh random
// inputs, for both store precisions (Q2 budgets: 1e-3 float32, 5e-3 float16): every window on the fused and the staged
// arrival path, each step alone, all of them with half acquisition (and set_center, which re-filters then), a
// set_processing re-filter against a scan begun with the same processing, the fused and staged arrivals against each
// other, the memory plan and refusals. Every test skips, with the reason, where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "gpu_test_objects.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::begin;
using gpu_testing::central_cylinder;
using gpu_testing::copy_checked;
using gpu_testing::cuda_engine;
using gpu_testing::expect_slices_close;
using gpu_testing::feed;
using gpu_testing::feed_with_stats;
using gpu_testing::LineIntegral;
using gpu_testing::make_random_scan;
using gpu_testing::make_scan;
using gpu_testing::object_with_stripes;
using gpu_testing::RandomScan;
using gpu_testing::refiltered_tolerance;
using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;
using gpu_testing::smooth_object;
using gpu_testing::with_zingers;

using Scan = RandomScan<std::uint16_t>;

constexpr std::array<FilterWindow, 6> kWindows = {FilterWindow::ram_lak, FilterWindow::shepp_logan,
                                                  FilterWindow::cosine,  FilterWindow::hamming,
                                                  FilterWindow::hann,    FilterWindow::parzen};

using gpu_testing::precision_name;
using gpu_testing::tolerance;

// Two CUDA engines given the same stored values differ only in the order of their slices' atomic sums.
constexpr double kSameStoreTolerance = 1e-5;

ProcessingParams with_window(FilterWindow window) {
  ProcessingParams p;
  p.window = window;
  return p;
}

ProcessingParams every_step() {
  ProcessingParams p;
  p.window = FilterWindow::hann;
  p.zingers.enabled = true;
  p.phase.enabled = true;
  p.phase.distance_m = 0.05;
  p.rings.enabled = true;
  p.rings.size = 5;
  // As in the scans of gpu_test_support.hpp: the defective-pixel setting is read once per scan (a set_processing
  // cannot change it), so an engine switched to these parameters and one begun with them must share it.
  p.defective_pixels.enabled = false;
  return p;
}

std::unique_ptr<CudaEngine> staged_engine(StorePrecision store) {
  CudaEngineOptions options;
  options.store = store;
  options.staged_filter = true;
  return make_cuda_engine(options);
}

std::uint64_t total_zingers(const std::vector<ProjectionStats>& stats) {
  std::uint64_t total = 0;
  for (const ProjectionStats& s : stats) total += s.zingers_replaced;
  return total;
}

std::vector<std::uint64_t> clamped_of(const std::vector<ProjectionStats>& stats) {
  std::vector<std::uint64_t> clamped;
  for (const ProjectionStats& s : stats) clamped.push_back(s.clamped_values);
  return clamped;
}

// Zinger counts of two engines: equal up to pixels whose test |exp(m - A) - 1| > threshold falls within float
// rounding of the threshold (expf differs by an ulp between host and device).
void expect_zinger_counts_close(std::uint64_t gpu, std::uint64_t cpu, const std::string& what) {
  EXPECT_GT(cpu, 0u) << what << ": the scan has zingers";
  const double slack = 1.0 + 1e-3 * static_cast<double>(cpu);
  EXPECT_LE(std::fabs(static_cast<double>(gpu) - static_cast<double>(cpu)), slack) << what << ": " << gpu << " vs "
                                                                                    << cpu;
}

// The CPU engine (the reference) and a CUDA engine, both begun with the same scan.
struct EnginePair {
  std::unique_ptr<Engine> cpu = make_cpu_engine();
  std::unique_ptr<CudaEngine> gpu;

  EnginePair(const Scan& scan, StorePrecision store) : gpu(cuda_engine(store)) {
    begin(*cpu, scan);
    begin(*gpu, scan);
  }
  // Projections [first, first + count) into both; expects the same clamped count for each.
  void feed_both(const Scan& scan, std::uint32_t first, std::uint32_t count) {
    const std::vector<std::uint64_t> expected = feed(*cpu, scan, first, count);
    EXPECT_EQ(feed(*gpu, scan, first, count), expected);
  }
  // Whole slices, corners past the detector's edges included (one edge rule: detector_sampling.hpp).
  void expect_close(double tolerance, const std::string& what) const {
    expect_slices_close(*gpu, *cpu, tolerance, what);
  }
};

class CudaProcessingVsCpu : public ::testing::TestWithParam<StorePrecision> {};

// Every window, on a staged width (100 columns) and a fused one (1100 columns): against the CPU engine, and visibly
// different from Ram-Lak (the window reached the filter).
TEST_P(CudaProcessingVsCpu, EveryWindowMatchesCpuOnBothPaths) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  for (const std::uint32_t cols : {100u, 1100u}) {
    Scan scan = make_random_scan<std::uint16_t>(rng, 5, cols, 12, 12);
    std::vector<float> ram_lak_xy;
    for (const FilterWindow window : kWindows) {
      const std::string what = std::to_string(cols) + "_" + window_name(window);
      SCOPED_TRACE(what);
      scan.params.processing = with_window(window);
      EnginePair engines(scan, store);
      engines.feed_both(scan, 0, 12);
      engines.expect_close(tolerance(store), what);
      const std::vector<float> xy = copy_checked(*engines.gpu, Orthoslice::xy);
      if (window == FilterWindow::ram_lak) {
        ram_lak_xy = xy;
      } else {
        EXPECT_GT(relative_max_difference(xy, ram_lak_xy), 10 * tolerance(store)) << "window not applied";
      }
    }
  }
}

TEST_P(CudaProcessingVsCpu, ZingersMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  for (const std::uint32_t cols : {90u, 1100u}) {  // the fused width arrives through the staged path too
    SCOPED_TRACE(std::to_string(cols) + " cols");
    Scan scan = make_scan<std::uint16_t>(rng, 16, cols, 20, 20, with_zingers(rng, central_cylinder(16, cols)));
    scan.params.processing.zingers.enabled = true;
    EnginePair engines(scan, store);
    const std::vector<ProjectionStats> cpu_stats = feed_with_stats(*engines.cpu, scan, 0, 20);
    const std::vector<ProjectionStats> gpu_stats = feed_with_stats(*engines.gpu, scan, 0, 20);
    EXPECT_EQ(clamped_of(gpu_stats), clamped_of(cpu_stats));
    expect_zinger_counts_close(total_zingers(gpu_stats), total_zingers(cpu_stats), "arrivals");
    engines.expect_close(tolerance(store), "zingers_" + std::to_string(cols));
  }
}

TEST_P(CudaProcessingVsCpu, PhaseRetrievalMatchesCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // 24 x 90: padded to 64 x 256, edge padding on both axes.
  Scan scan = make_scan<std::uint16_t>(rng, 24, 90, 16, 16, smooth_object(24, 90, 16));
  scan.params.processing.phase.enabled = true;
  scan.params.processing.phase.energy_kev = 25.0;
  scan.params.processing.phase.distance_m = 0.2;
  scan.params.processing.phase.pixel_size_um = 0.65;
  scan.params.processing.phase.delta_over_beta = 250.0;
  EnginePair engines(scan, store);
  engines.feed_both(scan, 0, 16);
  engines.expect_close(tolerance(store), "phase");
}

// Arrivals before any ring pass (offset zero), the pass of set_processing, arrivals after it (with its offsets) and a
// second pass over all of them.
TEST_P(CudaProcessingVsCpu, RingRemovalMatchesCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  constexpr std::uint32_t kSlots = 40;
  Scan scan = make_scan<std::uint16_t>(rng, 10, 80, kSlots, kSlots, object_with_stripes(rng, 10, 80, kSlots));
  scan.params.processing.rings.enabled = true;
  scan.params.processing.rings.size = 7;
  EnginePair engines(scan, store);
  engines.feed_both(scan, 0, 30);
  engines.expect_close(tolerance(store), "before_pass");
  const RefilterReport cpu_first = engines.cpu->set_processing(scan.params.processing);
  const RefilterReport gpu_first = engines.gpu->set_processing(scan.params.processing);
  EXPECT_EQ(gpu_first.projections, 30u);
  EXPECT_EQ(gpu_first.projections, cpu_first.projections);
  EXPECT_GT(gpu_first.milliseconds, 0.0);
  engines.expect_close(refiltered_tolerance(store), "first_pass");
  engines.feed_both(scan, 30, 10);
  engines.expect_close(refiltered_tolerance(store), "offsets");
  EXPECT_EQ(engines.gpu->set_processing(scan.params.processing).projections, kSlots);
  engines.cpu->set_processing(scan.params.processing);
  engines.expect_close(refiltered_tolerance(store), "second_pass");
}

// A 360-degree half-acquisition scan (detector columns [0, 72) of a 120-column frame, the rest filler), with half
// acquisition alone and with every step: after the arrivals, after set_center (the weights follow the axis: the
// engines re-filter) and after a set_processing.
TEST_P(CudaProcessingVsCpu, HalfAcquisitionMatchesCpuAndFollowsTheCenter) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  constexpr std::uint32_t kRows = 8, kCols = 120, kDetectorCols = 72, kSlots = 36;
  const LineIntegral stripes = object_with_stripes(rng, kRows, kDetectorCols, kSlots);
  // The detector's 4 outer columns see the open beam, as beside a sample narrower than the extended field.
  const LineIntegral detector_only = [stripes](std::uint32_t k, std::uint32_t r, std::uint32_t c) {
    return c >= 4 && c < kDetectorCols ? stripes(k, r, c) : 0.f;
  };
  Scan scan = make_scan<std::uint16_t>(rng, kRows, kCols, kSlots, kSlots, detector_only);
  for (std::uint32_t k = 0; k < kSlots; ++k) {
    scan.angles_rad[k] = 2.f * std::numbers::pi_v<float> * (static_cast<float>(k) + rng.uniform(0.f, 0.5f)) /
                         static_cast<float>(kSlots);
  }
  scan.geometry.half_acquisition = {true, 0, kDetectorCols};
  for (const bool all_steps : {false, true}) {
    const std::string what = all_steps ? "every_step" : "weights_only";
    SCOPED_TRACE(what);
    const ProcessingParams processing = all_steps ? every_step() : ProcessingParams{};
    scan.params.processing = processing;
    EnginePair engines(scan, store);
    engines.feed_both(scan, 0, kSlots);
    engines.expect_close(tolerance(store), what + "_arrivals");
    const float center = scan.params.center_offset_px + rng.uniform(1.f, 3.f);
    engines.cpu->set_center(center);
    engines.gpu->set_center(center);
    engines.expect_close(refiltered_tolerance(store), what + "_set_center");
    engines.cpu->set_processing(processing);
    engines.gpu->set_processing(processing);
    engines.expect_close(refiltered_tolerance(store), what + "_set_processing");
  }
}

// set_processing re-filters from the corrected store: an engine that received the scan with the default processing
// and then switched equals one that received it with the new processing (and also ran the ring pass), and the CPU
// engine; its report counts what it did.
TEST_P(CudaProcessingVsCpu, SetProcessingEqualsScanBegunWithIt) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  constexpr std::uint32_t kSlots = 24;
  Scan scan = make_scan<std::uint16_t>(rng, 12, 96, kSlots, kSlots,
                                       with_zingers(rng, object_with_stripes(rng, 12, 96, kSlots)));
  const ProcessingParams processing = every_step();

  auto switched = cuda_engine(store);
  begin(*switched, scan);
  feed(*switched, scan, 0, kSlots);
  const RefilterReport report = switched->set_processing(processing);
  EXPECT_EQ(report.projections, kSlots);
  EXPECT_GT(report.milliseconds, 0.0);
  EXPECT_TRUE(switched->params().processing == processing);

  scan.params.processing = processing;
  auto fresh = cuda_engine(store);
  begin(*fresh, scan);
  feed(*fresh, scan, 0, kSlots);
  EXPECT_EQ(fresh->set_processing(processing).zingers_replaced, report.zingers_replaced);
  expect_slices_close(*switched, *fresh, kSameStoreTolerance, "switched_vs_fresh");

  const auto cpu = make_cpu_engine();
  begin(*cpu, scan);
  feed(*cpu, scan, 0, kSlots);
  const RefilterReport cpu_report = cpu->set_processing(processing);
  expect_zinger_counts_close(report.zingers_replaced, cpu_report.zingers_replaced, "re-filter");
  EXPECT_EQ(report.clamped_values, cpu_report.clamped_values);
  expect_slices_close(*switched, *cpu, refiltered_tolerance(store), "switched_vs_cpu");

  // Without rings the fresh engine's arrivals are final: the switched engine's re-filter equals them (float16: up to
  // the rounding of the corrected store that the re-filter starts from).
  ProcessingParams no_rings = processing;
  no_rings.rings.enabled = false;
  switched->set_processing(no_rings);
  scan.params.processing = no_rings;
  auto arrived = cuda_engine(store);
  begin(*arrived, scan);
  feed(*arrived, scan, 0, kSlots);
  expect_slices_close(*switched, *arrived, store == StorePrecision::float16 ? tolerance(store) : kSameStoreTolerance,
                      "refiltered_vs_arrived");
}

// The fused arrival path (1100 columns, a window, no steps) and the staged one give the same corrected and filtered
// projections, before and after a window change; the corrected store holds the CPU engine's attenuation.
TEST_P(CudaProcessingVsCpu, FusedAndStagedArrivalsAgree) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  Scan scan = make_random_scan<std::uint16_t>(rng, 6, 1100, 10, 10);
  scan.params.processing = with_window(FilterWindow::shepp_logan);
  scan.params.processing.defective_pixels.enabled = false;  // pixel repairs take the staged path
  auto cpu = make_cpu_engine();
  auto fused = cuda_engine(store, true);
  auto staged = staged_engine(store);
  begin(*cpu, scan);
  begin(*fused, scan);
  begin(*staged, scan);
  const std::vector<std::uint64_t> cpu_clamped = feed(*cpu, scan, 0, 10);
  EXPECT_EQ(feed(*fused, scan, 0, 10), cpu_clamped);
  EXPECT_EQ(feed(*staged, scan, 0, 10), cpu_clamped);
  fused->synchronize();
  EXPECT_GT(fused->stage_times().fused_ms, 0.0) << "1100 columns without steps arrive through the fused kernel";
  const double same_path = store == StorePrecision::float16 ? 1e-3 : kSameStoreTolerance;
  expect_slices_close(*fused, *staged, same_path, "fused_vs_staged");

  const std::size_t pixels = std::size_t{scan.geometry.rows} * scan.geometry.cols;
  for (const std::uint32_t slot : {0u, 7u}) {
    std::vector<float> from_fused(pixels), from_staged(pixels), from_cpu(pixels);
    fused->copy_corrected_projection(slot, from_fused);
    staged->copy_corrected_projection(slot, from_staged);
    cpu->copy_corrected_projection(slot, from_cpu);
    EXPECT_EQ(from_fused, from_staged) << "slot " << slot << ": both paths store attenuation() of the same pixels";
    // float16: rounded to nearest, 2^-11 of a value.
    EXPECT_LE(relative_max_difference(from_fused, from_cpu), store == StorePrecision::float16 ? 1e-3 : 1e-6);
  }

  for (auto* engine : {static_cast<Engine*>(cpu.get()), static_cast<Engine*>(fused.get()),
                       static_cast<Engine*>(staged.get())}) {
    engine->set_processing(with_window(FilterWindow::parzen));
  }
  expect_slices_close(*fused, *staged, kSameStoreTolerance, "after_window_change");
  expect_slices_close(*fused, *cpu, tolerance(store), "after_window_change_cpu");
}

INSTANTIATE_TEST_SUITE_P(StorePrecisions, CudaProcessingVsCpu,
                         ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         [](const auto& param_info) { return precision_name(param_info.param); });

TEST(CudaProcessing, CorrectedStoreIsPlannedInTheStorePrecision) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  const ScanGeometry g{10, 70, 30, std::numbers::pi_v<float> / 30.f, {}, {}};
  for (const StorePrecision store : {StorePrecision::float32, StorePrecision::float16}) {
    const EngineMemoryPlan plan = cuda_engine(store)->plan(g);
    const std::uint64_t bytes_per_value = store == StorePrecision::float32 ? 4 : 2;
    EXPECT_EQ(plan.corrected_store_bytes, std::uint64_t{g.slots} * g.rows * g.cols * bytes_per_value);
    EXPECT_EQ(plan.total_bytes, plan.store_bytes + plan.corrected_store_bytes + plan.slice_bytes + plan.other_bytes);
    EXPECT_TRUE(plan.fits());
  }
}

TEST(CudaProcessing, RefusedProcessingKeepsThePrevious) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_engine(StorePrecision::float32);
  EXPECT_THROW(gpu->set_processing(ProcessingParams{}), EngineError);  // no scan
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  Scan scan = make_random_scan<std::uint16_t>(rng, 8, 64, 4, 4);
  ProcessingParams bad;
  bad.rings.size = 20;
  scan.params.processing = bad;
  EXPECT_THROW(gpu->begin_scan(scan.geometry, scan.params), EngineError);
  scan.params.processing = with_window(FilterWindow::hamming);
  begin(*gpu, scan);
  feed(*gpu, scan, 0, 4);
  EXPECT_THROW(gpu->set_processing(bad), EngineError);
  ScanGeometry outside = scan.geometry;
  outside.half_acquisition = {true, 60, 10};  // columns 60..69 of a 64-column frame
  EXPECT_THROW(gpu->begin_scan(outside, scan.params), EngineError);  // refused before the scan is touched
  EXPECT_TRUE(gpu->params().processing == with_window(FilterWindow::hamming));
  std::vector<float> out(std::size_t{8} * 64);
  EXPECT_THROW(gpu->copy_corrected_projection(4, out), EngineError);  // slot out of range
  std::vector<float> wrong(10);
  EXPECT_THROW(gpu->copy_corrected_projection(0, wrong), EngineError);
}

}  // namespace
}  // namespace tomolive::kernels
