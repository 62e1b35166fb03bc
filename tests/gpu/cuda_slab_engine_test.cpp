// SlabEngine over CUDA engines (issue 18 point 4): three CUDA engines on one device, each over a slab of the detector's
// rows, give what one CUDA engine over the whole detector gives (Q2), with zingers and rings, through set_center,
// set_slices, set_processing, a sliding window, the center sweep and a volume. Skipped without a usable device.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "gpu_test_support.hpp"
#include "tomolive/kernels/slab_engine.hpp"
#include "../kernels/volume_test_sink.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::begin;
using gpu_testing::cuda_engine;
using gpu_testing::expect_slices_close;
using gpu_testing::feed;
using gpu_testing::make_random_scan;
using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;
using gpu_testing::tolerance;

std::unique_ptr<SlabEngine> cuda_slabs(StorePrecision store, std::size_t engines, std::uint32_t halo) {
  std::vector<std::unique_ptr<Engine>> parts;
  for (std::size_t k = 0; k < engines; ++k) parts.push_back(cuda_engine(store));
  SlabEngineOptions options;
  options.halo_rows = halo;
  return make_slab_engine(std::move(parts), options);
}

class CudaSlabEngine : public ::testing::TestWithParam<StorePrecision> {};

TEST_P(CudaSlabEngine, ThreeEnginesOnOneDeviceGiveWhatOneGives) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  constexpr std::uint32_t kRows = 45, kSlots = 40;
  auto scan = make_random_scan<std::uint16_t>(rng, kRows, 80, kSlots, 2 * kSlots + 7);  // a window, turned twice
  scan.params.slices.xy_row = 20;
  scan.params.processing.zingers.enabled = true;
  auto whole = cuda_engine(store);
  auto slabs = cuda_slabs(store, 3, 4);
  for (Engine* engine : {static_cast<Engine*>(whole.get()), static_cast<Engine*>(slabs.get())}) {
    begin(*engine, scan);
    feed(*engine, scan, 0, 2 * kSlots + 7);
  }
  ASSERT_EQ(slabs->slabs().size(), 3u);
  expect_slices_close(*slabs, *whole, tolerance(store), "sliding_window");

  for (Engine* engine : {static_cast<Engine*>(whole.get()), static_cast<Engine*>(slabs.get())}) {
    engine->set_center(1.5f);
    engine->set_slices({30, 4.f, -6.f});
  }
  expect_slices_close(*slabs, *whole, tolerance(store), "set_center_set_slices");

  ProcessingParams processing = scan.params.processing;
  processing.window = FilterWindow::hann;
  processing.rings.enabled = true;
  processing.rings.size = 7;
  whole->set_processing(processing);
  slabs->set_processing(processing);
  expect_slices_close(*slabs, *whole, tolerance(store), "set_processing");

  const std::vector<float> offsets{-2.f, 0.f, 1.f};
  const SliceRegion region{10, 12, 40, 50};
  std::vector<float> want(offsets.size() * region.rows * region.cols), got(want.size());
  whole->sweep_center(30, offsets, region, want);
  slabs->sweep_center(30, offsets, region, got);
  EXPECT_LE(relative_max_difference(got, want), tolerance(store)) << "sweep_center";

  const VolumeBox box{{5, 5, 60, 70}, 3, 40};
  testing::VolumeCollector expected(box);
  testing::VolumeCollector collected(box, 16);
  ASSERT_TRUE(whole->reconstruct_volume(box, 6, expected));
  ASSERT_TRUE(slabs->reconstruct_volume(box, 6, collected));
  EXPECT_LE(relative_max_difference(collected.values(), expected.values()), tolerance(store)) << "volume";
}

INSTANTIATE_TEST_SUITE_P(Stores, CudaSlabEngine, ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         [](const ::testing::TestParamInfo<StorePrecision>& param) {
                           return gpu_testing::precision_name(param.param);
                         });

}  // namespace
}  // namespace tomolive::kernels
