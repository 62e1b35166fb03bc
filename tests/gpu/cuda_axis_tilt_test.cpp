// Axis tilt correction on the CUDA engine against the CPU engine (Q2): the same slices for a scan with a tilted axis,
// corrected from begin_scan and by set_axis_tilt later, on both store precisions and on a width the fused path would
// take without the rotation (1025..2048 columns), and the same processing sweep under a tilt.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/tilted_scan.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

struct TiltCase {
  StorePrecision store;
  std::uint32_t cols;
};

class CudaAxisTilt : public ::testing::TestWithParam<TiltCase> {};

TEST_P(CudaAxisTilt, MatchesTheCpuEngine) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  const TiltCase c = GetParam();
  testing::TiltedScanSpec spec{.rows = 32, .cols = c.cols, .projections = 90, .center_offset_px = 1.5,
                               .tilt_deg = 1.25};
  ReconParams params;
  params.center_offset_px = 1.5f;
  params.axis_tilt_deg = 1.25f;
  params.slices.xy_row = 9;
  const auto cpu = make_cpu_engine({});
  const auto cuda = gpu_testing::cuda_engine(c.store);
  testing::feed_tilted_scan(*cpu, spec, params);
  testing::feed_tilted_scan(*cuda, spec, params);
  const std::string what = gpu_testing::precision_name(c.store) + ", " + std::to_string(c.cols) + " columns";
  gpu_testing::expect_slices_close(*cuda, *cpu, gpu_testing::tolerance(c.store), "tilt at begin, " + what);

  // Off, then on again through set_axis_tilt (the re-filter path), and a center change under the tilt.
  for (const float tilt : {0.f, -0.75f}) {
    cpu->set_axis_tilt(tilt);
    cuda->set_axis_tilt(tilt);
    gpu_testing::expect_slices_close(*cuda, *cpu, gpu_testing::tolerance(c.store),
                                     "set_axis_tilt " + std::to_string(tilt) + ", " + what);
  }
  cpu->set_center(-2.f);
  cuda->set_center(-2.f);
  gpu_testing::expect_slices_close(*cuda, *cpu, gpu_testing::tolerance(c.store), "set_center under a tilt, " + what);

  const SliceRegion region{4, 6, 20, 24};
  const ProcessingParams current = cpu->params().processing;
  std::vector<float> cpu_image(std::size_t{region.rows} * region.cols), cuda_image(cpu_image.size());
  cpu->sweep_processing(9, std::span<const ProcessingParams>(&current, 1), region, cpu_image);
  cuda->sweep_processing(9, std::span<const ProcessingParams>(&current, 1), region, cuda_image);
  EXPECT_LE(gpu_testing::relative_max_difference(cuda_image, cpu_image), gpu_testing::tolerance(c.store))
      << "processing sweep under a tilt, " << what;
}

INSTANTIATE_TEST_SUITE_P(StoresAndWidths, CudaAxisTilt,
                         ::testing::Values(TiltCase{StorePrecision::float32, 96}, TiltCase{StorePrecision::float16, 96},
                                           TiltCase{StorePrecision::float32, 1100}),
                         [](const auto& test) {
                           return gpu_testing::precision_name(test.param.store) + "_" +
                                  std::to_string(test.param.cols);
                         });

}  // namespace
}  // namespace tomolive::kernels
