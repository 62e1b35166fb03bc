// Defective pixels on the CUDA engine against the CPU engine (Q2): the same map, the same repaired corrected store
// and the same slices, on a phantom scan with dead and hot pixels near the axis, for a width the staged path takes and
// one the fused path would take without repairs (1025..2048 columns).
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
  const auto cuda = gpu_testing::cuda_engine(StorePrecision::float32);
  testing::feed_defective_scan(*cpu, spec, params);
  testing::feed_defective_scan(*cuda, spec, params);

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
