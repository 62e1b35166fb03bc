// CUDA engines over slabs of the detector's rows (engine.hpp DetectorSlab, issue 18) against one CUDA engine over the
// whole detector, on fresh random inputs (Q2 budgets): on their owned rows the vertical slices, the axial slice and
// the stored projections, and summed over the slabs the live 3D preview and the oblique slice, with zingers, an axis
// tilt, a preview and an oblique slice on (the staged path), at arrival and after set_processing and set_center; the
// counts (summed) exactly; and the fused path's counts and slices (1025..2048 columns, no processing steps). Every
// test skips, with the reason, where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/detector_slabs.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::make_random_scan;
using gpu_testing::RandomScan;
using gpu_testing::Seeded;

// A scan's store precision and shape, split into three slabs with halos of 6 rows.
struct SlabCase {
  StorePrecision store;
  std::uint32_t rows, cols;
  bool processing;  // zingers, a tilt, the preview and an oblique slice (else none: the fused path where it applies)
};

// Expects `tested` within the store's Q2 tolerance of `reference` (relative to its peak), and `reference` not zero.
testing::SlabComparison within(StorePrecision store) {
  return [store](const std::vector<float>& tested, const std::vector<float>& reference, const std::string& what) {
    ASSERT_EQ(tested.size(), reference.size()) << what;
    EXPECT_TRUE(std::any_of(reference.begin(), reference.end(), [](float v) { return v != 0.f; })) << what;
    const double difference = gpu_testing::relative_max_difference(tested, reference);
    EXPECT_LE(difference, gpu_testing::tolerance(store)) << what;
  };
}

class CudaSlabs : public ::testing::TestWithParam<SlabCase> {};

TEST_P(CudaSlabs, OwnedRowsMatchOneEngineOverTheWholeDetector) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const SlabCase c = GetParam();
  constexpr std::uint32_t kProjections = 36;
  RandomScan<std::uint16_t> scan = make_random_scan<std::uint16_t>(rng, c.rows, c.cols, kProjections, kProjections);
  if (c.processing) {
    // The halo these need (cpu_engine_slab_test): the preview's binning (3), the tilt and the zinger filter: 6 rows.
    scan.params.axis_tilt_deg = 1.5f;
    scan.params.processing.zingers.enabled = true;
    scan.params.preview = PreviewParams{true, 16};
    scan.params.oblique.enabled = true;
    scan.params.oblique.normal = {0.3f, 0.2f, 1.f};
    scan.params.oblique.offset_px = 2.f;
  }
  // The axial slice's row as make_random_scan drew it (kept free of dead pixels), on whichever slab owns it.
  const std::uint32_t third = c.rows / 3;
  testing::SlabEngines engines([&] { return std::unique_ptr<Engine>(gpu_testing::cuda_engine(c.store)); },
                               scan.geometry, {0, third, 2 * third + 1, c.rows}, 6, scan.params,
                               scan.params.slices.xy_row);
  for (const auto& d : scan.darks) engines.add_dark(gpu_testing::view(d, scan.geometry));
  for (const auto& f : scan.flats) engines.add_flat(gpu_testing::view(f, scan.geometry));
  ProjectionStats whole, summed;
  for (std::uint32_t k = 0; k < kProjections; ++k) {
    const auto [of_whole, of_slabs] =
        engines.add_projection(k, scan.angles_rad[k], gpu_testing::view(scan.projections[k], scan.geometry));
    whole.clamped_values += of_whole.clamped_values;
    whole.zingers_replaced += of_whole.zingers_replaced;
    summed.clamped_values += of_slabs.clamped_values;
    summed.zingers_replaced += of_slabs.zingers_replaced;
  }
  EXPECT_GT(whole.clamped_values, 0u);
  EXPECT_EQ(summed.clamped_values, whole.clamped_values);
  EXPECT_EQ(summed.zingers_replaced, whole.zingers_replaced);
  if (c.processing) {
    EXPECT_GT(whole.zingers_replaced, 0u);
  }
  const std::vector<std::uint32_t> slots = {0, 17, kProjections - 1};
  const std::string what = gpu_testing::precision_name(c.store) + ", " + std::to_string(c.rows) + " x " +
                           std::to_string(c.cols);
  engines.compare(within(c.store), slots, what + ", at arrival");

  ProcessingParams hann = engines.whole().params().processing;
  hann.window = FilterWindow::hann;
  const auto [report, summed_report] = engines.refilter([&](Engine& e) { return e.set_processing(hann); });
  EXPECT_EQ(summed_report.zingers_replaced, report.zingers_replaced);
  EXPECT_EQ(summed_report.clamped_values, report.clamped_values);
  engines.compare(within(c.store), slots, what + ", after set_processing");

  engines.for_each([](Engine& e) { e.set_center(-0.4f); });
  engines.compare(within(c.store), slots, what + ", after set_center");
}

INSTANTIATE_TEST_SUITE_P(Paths, CudaSlabs,
                         ::testing::Values(SlabCase{StorePrecision::float32, 40, 48, true},
                                           SlabCase{StorePrecision::float16, 40, 48, true},
                                           SlabCase{StorePrecision::float32, 30, 1100, false}),
                         [](const auto& test) {
                           return gpu_testing::precision_name(test.param.store) + "_" +
                                  std::to_string(test.param.cols) + (test.param.processing ? "_processing" : "_plain");
                         });

TEST(CudaSlab, RefusesASlabOffItsDetector) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  const auto engine = gpu_testing::cuda_engine(StorePrecision::float32);
  ScanGeometry g{12, 48, 8, 0.4f, {}, {}};
  g.slab = DetectorSlab{40, 30, 0, 12};
  testing::expect_engine_error([&] { engine->begin_scan(g, ReconParams{}); }, "leaves the detector's 40 rows");
  g.slab = DetectorSlab{40, 28, 4, 4};
  testing::expect_engine_error([&] { engine->begin_scan(g, ReconParams{}); }, "owned rows must be a non-empty range");
}

}  // namespace
}  // namespace tomolive::kernels
