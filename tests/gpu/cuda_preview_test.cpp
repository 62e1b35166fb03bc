// The CUDA engine's live 3D preview (PROTOCOL.md 10.12) against the CPU engine, on fresh random inputs, for both store
// precisions: built projection by projection (with sliding-window replacements), rebuilt after set_center and
// set_processing, resized by set_preview; off and on again; the default (on, 256 a side) and the budget. Q2 budgets.
// Every test skips, with the reason, where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::begin;
using gpu_testing::cuda_engine;
using gpu_testing::feed;
using gpu_testing::make_random_scan;
using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;
using gpu_testing::tolerance;

std::vector<float> preview_values(const Engine& engine) {
  std::vector<float> values(engine.preview_shape().voxels(), std::numeric_limits<float>::quiet_NaN());
  engine.copy_preview(values);
  EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
      << engine.name() << ": preview not fully written";
  return values;
}

void expect_preview_close(const Engine& gpu, const Engine& cpu, double tol, const std::string& what) {
  const PreviewGrid g = gpu.preview_shape(), c = cpu.preview_shape();
  ASSERT_EQ(std::vector<std::uint32_t>({g.layers, g.rows, g.cols, g.binning}),
            std::vector<std::uint32_t>({c.layers, c.rows, c.cols, c.binning}))
      << what;
  const std::vector<float> reference = preview_values(cpu);
  EXPECT_TRUE(std::any_of(reference.begin(), reference.end(), [](float v) { return v != 0.f; })) << what;
  const double difference = relative_max_difference(preview_values(gpu), reference);
  EXPECT_LE(difference, tol) << what;
  ::testing::Test::RecordProperty(what, std::to_string(difference));
}

class CudaPreview : public ::testing::TestWithParam<StorePrecision> {};

TEST_P(CudaPreview, MatchesCpuIncrementallyAndAfterRebuilds) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // A sliding window: 70 projections through 40 slots, of 21 x 70 pixels; a preview of 24 a side: binning 3.
  auto scan = make_random_scan<std::uint16_t>(rng, 21, 70, 40, 70);
  scan.params.preview = PreviewParams{true, 24};
  auto gpu = cuda_engine(store);
  auto cpu = make_cpu_engine();
  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) {
    begin(*engine, scan);
    feed(*engine, scan, 0, 70);
  }
  EXPECT_EQ(gpu->preview_shape().binning, 3u);
  expect_preview_close(*gpu, *cpu, tolerance(store), "incremental");

  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) engine->set_center(1.5f);
  expect_preview_close(*gpu, *cpu, tolerance(store), "after_set_center");

  ProcessingParams hann = cpu->params().processing;
  hann.window = FilterWindow::hann;
  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) engine->set_processing(hann);
  expect_preview_close(*gpu, *cpu, tolerance(store), "after_set_processing");

  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) {
    engine->set_preview(PreviewParams{true, 70});  // binning 1
  }
  expect_preview_close(*gpu, *cpu, tolerance(store), "resized");

  const std::uint64_t version = gpu->preview_version();
  gpu->set_preview(PreviewParams{false, 70});
  EXPECT_EQ(gpu->preview_shape().voxels(), 0u);
  EXPECT_NE(gpu->preview_version(), version);
  gpu->set_preview(PreviewParams{true, 24});
  cpu->set_preview(PreviewParams{true, 24});
  expect_preview_close(*gpu, *cpu, tolerance(store), "on_again");
}

TEST(CudaPreviewDefaults, OnAt256AndBoundedByTheBudget) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  CudaEngineOptions options;
  options.preview_budget_bytes = std::uint64_t{8} << 20;
  auto gpu = make_cuda_engine(options);
  EXPECT_EQ(gpu->default_preview(), (PreviewParams{true, 256}));
  const ScanGeometry g{64, 300, 16, 3.14159265f / 16, {}, {}};
  const EngineMemoryPlan plan = gpu->plan(g);
  EXPECT_EQ(plan.preview_bytes, std::uint64_t{8} << 20);
  ReconParams params;
  params.preview = PreviewParams{true, 300};  // 64 x 300 x 300 voxels (binning 1): 22 MiB, over the budget
  testing::expect_engine_error([&] { gpu->begin_scan(g, params); }, "preview budget");
  params.preview = PreviewParams{true, 100};
  gpu->begin_scan(g, params);
  EXPECT_EQ(gpu->preview_shape().binning, 3u);
  testing::expect_engine_error([&] { gpu->set_preview(PreviewParams{true, 300}); }, "preview budget");
  EXPECT_EQ(gpu->params().preview, (PreviewParams{true, 100}));
}

std::string store_name(const ::testing::TestParamInfo<StorePrecision>& param) {
  return gpu_testing::precision_name(param.param);
}

INSTANTIATE_TEST_SUITE_P(Stores, CudaPreview, ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         store_name);

}  // namespace
}  // namespace tomolive::kernels
