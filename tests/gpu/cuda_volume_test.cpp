// The CUDA engine's full volume (Engine::reconstruct_volume, PROTOCOL.md 10.6) against the CPU engine's, which equals
// the live slices bit for bit (tests/kernels/cpu_engine_volume_test.cpp): within Q2 for both store precisions, for
// boxes not aligned to the store's quads of 4 rows, for slab sizes that do not divide the box, and the GPU volume's
// layers against the GPU's own live axial slice; the sink can stop it; the refusals are the CPU engine's.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "../kernels/volume_test_sink.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::begin;
using gpu_testing::copy_checked;
using gpu_testing::cuda_engine;
using gpu_testing::feed;
using gpu_testing::make_random_scan;
using gpu_testing::Seeded;
using gpu_testing::tolerance;
using testing::VolumeCollector;

// max |a - b| over the box, relative to the largest |b|.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  return testing::relative_max_difference(a, b);
}

std::vector<float> axial_cut(Engine& engine, std::uint32_t row, const SliceRegion& r) {
  SlicePositions positions = engine.params().slices;
  positions.xy_row = row;
  engine.set_slices(positions);
  const std::vector<float> xy = copy_checked(engine, Orthoslice::xy);
  const std::uint32_t n = engine.slice_shape(Orthoslice::xy).second;
  std::vector<float> values;
  for (std::uint32_t i = 0; i < r.rows; ++i) {
    for (std::uint32_t j = 0; j < r.cols; ++j) values.push_back(xy[std::size_t{r.row0 + i} * n + r.col0 + j]);
  }
  return values;
}

class CudaVolume : public ::testing::TestWithParam<StorePrecision> {};

TEST_P(CudaVolume, MatchesTheCpuVolumeAndTheLiveSlices) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // 110 projections into 90 slots: a sliding window.
  const auto scan = make_random_scan<std::uint16_t>(rng, 11, 150, 90, 110);
  auto cpu = make_cpu_engine();
  auto gpu = cuda_engine(store);
  begin(*cpu, scan);
  begin(*gpu, scan);
  feed(*cpu, scan, 0, 110);
  feed(*gpu, scan, 0, 110);
  for (Engine* e : {static_cast<Engine*>(cpu.get()), static_cast<Engine*>(gpu.get())}) e->set_center(2.75f);

  const std::uint32_t n = scan.geometry.cols;
  const std::vector<VolumeBox> boxes = {{{0, 0, n, n}, 0, 11}, {{17, 5, 70, 133}, 1, 9}, {{40, 149, 33, 1}, 6, 1}};
  for (const VolumeBox& box : boxes) {
    for (const std::uint32_t slab_rows : {box.rows, 2u, 3u}) {
      if (slab_rows > gpu->volume_slab_rows(box.region)) continue;
      SCOPED_TRACE("box rows " + std::to_string(box.row0) + "+" + std::to_string(box.rows) + ", region " +
                   std::to_string(box.region.rows) + " x " + std::to_string(box.region.cols) + ", slabs of " +
                   std::to_string(slab_rows));
      VolumeCollector on_gpu(box), on_cpu(box);
      ASSERT_TRUE(gpu->reconstruct_volume(box, slab_rows, on_gpu));
      ASSERT_TRUE(cpu->reconstruct_volume(box, slab_rows, on_cpu));
      EXPECT_EQ(on_gpu.rows_done(), box.rows);
      testing::expect_all_finite(on_gpu.values(), "gpu volume");
      EXPECT_LE(relative_difference(on_gpu.values(), on_cpu.values()), tolerance(store));
    }
  }
  // The central layers against the GPU's own live slices.
  const VolumeBox whole{{0, 0, n, n}, 0, 11};
  VolumeCollector collector(whole);
  ASSERT_TRUE(gpu->reconstruct_volume(whole, 4, collector));
  for (const std::uint32_t row : {0u, 5u, 10u}) {
    EXPECT_LE(relative_difference(collector.layer(row), axial_cut(*gpu, row, whole.region)), tolerance(store))
        << "layer " << row;
  }
}

TEST_P(CudaVolume, TheSinkStopsItAndRefusalsAreTheCpuEngines) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const auto scan = make_random_scan<std::uint16_t>(rng, 8, 64, 30, 30);
  auto gpu = cuda_engine(GetParam());
  begin(*gpu, scan);
  feed(*gpu, scan, 0, 30);
  const VolumeBox box{{0, 0, 64, 64}, 0, 8};
  VolumeCollector collector(box);
  collector.stop_at_memory = 4;
  EXPECT_FALSE(gpu->reconstruct_volume(box, 2, collector));
  EXPECT_EQ(collector.slabs_done(), 2u);
  VolumeCollector refused(box);
  testing::expect_engine_error([&] { gpu->reconstruct_volume({{0, 0, 64, 64}, 4, 5}, 1, refused); },
                               "leaves the detector's 8 rows");
  testing::expect_engine_error([&] { gpu->reconstruct_volume({{0, 1, 64, 64}, 0, 8}, 1, refused); },
                               "leaves the 64 x 64 axial slice");
}

INSTANTIATE_TEST_SUITE_P(Store, CudaVolume, ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         [](const ::testing::TestParamInfo<StorePrecision>& param_info) {
                           return gpu_testing::precision_name(param_info.param);
                         });

}  // namespace
}  // namespace tomolive::kernels
