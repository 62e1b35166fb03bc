// Defective pixels on the CUDA engine against the CPU engine (Q2): the same map, the same repaired corrected store
// the same slices and the same clamp counts, on a phantom scan with dead and hot pixels near the axis (one at a frame
// corner, one at a row's end), for a width the staged path takes and one the fused kernel takes (1025..2048 columns:
// the repairs done inside it). A detector with defects is the common case: the fused kernel must not be given up for it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/defective_scan.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

class CudaDefectivePixels : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(CudaDefectivePixels, MatchesTheCpuEngine) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  testing::DefectiveScanSpec spec;
  spec.cols = GetParam();
  spec.projections = 90;
  const std::uint32_t row = spec.rows / 2, axis = spec.cols / 2, row0 = row * spec.cols;
  spec.dead = {row0 + axis - 1, row0 + axis + 3, row0 + spec.cols + axis, 0, row0 + spec.cols - 1};
  spec.hot = {row0 + axis + 1, row0 + axis + 2, row0 - spec.cols + axis - 4};
  spec.detector_mask.assign(std::size_t{spec.rows} * spec.cols, 0);
  spec.detector_mask[row0 + axis - 3] = 1;
  ReconParams params;
  params.slices.xy_row = row;

  const auto cpu = make_cpu_engine({});
  const auto cuda = gpu_testing::cuda_engine(StorePrecision::float32, true);
  const ProjectionStats cpu_stats = testing::feed_defective_scan(*cpu, spec, params);
  const ProjectionStats cuda_stats = testing::feed_defective_scan(*cuda, spec, params);
  EXPECT_EQ(cuda_stats.clamped_values, cpu_stats.clamped_values);
  cuda->synchronize();
  const CudaStageTimes times = cuda->stage_times();
  if (spec.cols > 1024) {
    EXPECT_GT(times.fused_ms, 0.0) << "the repairs sent the projections down the staged path";
    EXPECT_EQ(times.preprocess_ms, 0.0);
  } else {
    EXPECT_GT(times.preprocess_ms, 0.0);
  }

  ASSERT_NE(cpu->defective_pixels(), nullptr);
  ASSERT_NE(cuda->defective_pixels(), nullptr);
  EXPECT_EQ(cuda->defective_pixels()->kinds, cpu->defective_pixels()->kinds);
  EXPECT_EQ(cuda->defective_pixels()->counts().total, spec.dead.size() + spec.hot.size() + 1);
  EXPECT_EQ(cuda->defective_pixels()->counts().detector_mask, 1u);

  const std::size_t frame = std::size_t{spec.rows} * spec.cols;
  std::vector<float> cpu_corrected(frame), cuda_corrected(frame);
  for (const std::uint32_t slot : {0u, spec.projections / 3, spec.projections - 1}) {
    cpu->copy_corrected_projection(slot, cpu_corrected);
    cuda->copy_corrected_projection(slot, cuda_corrected);
    EXPECT_LE(gpu_testing::relative_max_difference(cuda_corrected, cpu_corrected), gpu_testing::kFloat32Tolerance)
        << "corrected projection of slot " << slot;
  }
  gpu_testing::expect_slices_close(*cuda, *cpu, gpu_testing::kFloat32Tolerance,
                                   "defective pixels, " + std::to_string(spec.cols) + " columns");
  EXPECT_LE(testing::axial_relative_rmse(*cuda, spec, row), 1.05 * testing::axial_relative_rmse(*cpu, spec, row));
}

INSTANTIATE_TEST_SUITE_P(StagedAndFusedWidths, CudaDefectivePixels, ::testing::Values(96u, 1100u));

}  // namespace
}  // namespace tomolive::kernels
