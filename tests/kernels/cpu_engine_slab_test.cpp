// CPU engines over slabs of the detector's rows (engine.hpp DetectorSlab, issue 18) against one CPU engine over the
// whole detector: on their owned rows the vertical slices, the axial slice, the stored projections, the counts
// (summed), the live 3D preview and the oblique slice (summed over the slabs) are the whole engine's bit for bit,
// with zingers, an axis tilt, a preview and an oblique slice on, at arrival and after set_processing and set_center;
// check_scan's refusals of a slab that leaves its detector.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "detector_slabs.hpp"
#include "processing_scan.hpp"
#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::kernels {
namespace {

constexpr std::uint32_t kRows = 40, kCols = 48, kProjections = 36;

ScanGeometry whole_geometry() {
  return testing::scan_geometry(kRows, kCols, kProjections, std::numbers::pi / kProjections);
}

// Transmission frames of the Shepp-Logan phantom with zingers (five times the transmission) and dead pixels (zero
// transmission: clamped), most on rows in a neighbouring slab's halo in the splits below, so that a slab counting
// beyond its owned rows counts them twice.
std::vector<std::vector<float>> phantom_frames() {
  const sim::DetectorGeometry detector{kRows, kCols, 0.0};
  const sim::Phantom phantom = sim::shepp_logan_3d(detector, 1.0);
  std::vector<std::vector<float>> frames;
  for (std::uint32_t k = 0; k < kProjections; ++k) {
    const float angle = testing::scan_angle(k, kProjections, std::numbers::pi);
    std::vector<float> frame = testing::transmission_of(testing::phantom_attenuation(phantom, detector, angle));
    for (const std::uint32_t row : {11u, 14u, 20u, 25u, 30u}) frame[row * kCols + (7 * k + 3 * row) % kCols] *= 5.f;
    for (const std::uint32_t row : {12u, 15u, 21u, 26u}) frame[row * kCols + (5 * k + row) % kCols] = 0.f;
    frames.push_back(std::move(frame));
  }
  return frames;
}

// Zingers, a 1.5 deg tilt, a preview of binning 3 (16 a side over 48 columns) and an oblique slice across the
// detector's rows. The halo these need for exact edge rows: 2 rows of the preview's binning below the owned rows, the
// tilt's row shift at the edge columns (0.62) and its cubic's 2 rows, and the zinger filter's row: 6.
ReconParams scan_params() {
  ReconParams params;
  params.center_offset_px = 0.7f;
  params.axis_tilt_deg = 1.5f;
  params.processing.zingers.enabled = true;
  params.slices.xz_y_px = 3.5f;
  params.slices.yz_x_px = -5.f;
  params.preview = PreviewParams{true, 16};
  params.oblique.enabled = true;
  params.oblique.normal = {0.3f, 0.2f, 1.f};
  params.oblique.offset_px = 2.f;
  return params;
}
constexpr std::uint32_t kHalo = 6;

// Expects a == b element for element (bit for bit but for the sign of zero), naming the first difference.
void expect_same(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_TRUE(std::any_of(b.begin(), b.end(), [](float v) { return v != 0.f; })) << what << ": all zero";
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] != b[k]) {
      ADD_FAILURE() << what << ": element " << k << " of " << a.size() << " differs: " << a[k] << " vs " << b[k];
      return;
    }
  }
}

const std::vector<std::uint32_t> kComparedSlots = {0, 17, kProjections - 1};

class CpuEngineSlabs : public ::testing::TestWithParam<std::vector<std::uint32_t>> {};

TEST_P(CpuEngineSlabs, OwnedRowsEqualOneEngineOverTheWholeDetector) {
  testing::SlabEngines engines([] { return make_cpu_engine({.threads = 2}); }, whole_geometry(), GetParam(), kHalo,
                               scan_params(), 20);
  ProjectionStats whole, summed;
  const std::vector<std::vector<float>> frames = phantom_frames();
  for (std::uint32_t k = 0; k < kProjections; ++k) {
    const auto [of_whole, of_slabs] = engines.add_projection(
        k, testing::scan_angle(k, kProjections, std::numbers::pi), testing::float_frame(frames[k], kRows, kCols));
    whole.clamped_values += of_whole.clamped_values;
    whole.zingers_replaced += of_whole.zingers_replaced;
    summed.clamped_values += of_slabs.clamped_values;
    summed.zingers_replaced += of_slabs.zingers_replaced;
  }
  EXPECT_GT(whole.zingers_replaced, 0u);
  EXPECT_GT(whole.clamped_values, 0u);
  EXPECT_EQ(summed.zingers_replaced, whole.zingers_replaced);
  EXPECT_EQ(summed.clamped_values, whole.clamped_values);
  engines.compare(expect_same, kComparedSlots, "at arrival");

  // A re-filter: its counts too are the owned rows'.
  ProcessingParams hann = engines.whole().params().processing;
  hann.window = FilterWindow::hann;
  hann.zingers.threshold = 0.5f;
  const auto [report, summed_report] = engines.refilter([&](Engine& e) { return e.set_processing(hann); });
  EXPECT_GT(report.zingers_replaced, 0u);
  EXPECT_EQ(summed_report.zingers_replaced, report.zingers_replaced);
  EXPECT_EQ(summed_report.clamped_values, report.clamped_values);
  engines.compare(expect_same, kComparedSlots, "after set_processing");

  engines.for_each([](Engine& e) { e.set_center(-0.4f); });
  engines.compare(expect_same, kComparedSlots, "after set_center");
}

// Three slabs (edges inside the preview's layers 4 and 9), and two of unequal sizes.
INSTANTIATE_TEST_SUITE_P(Splits, CpuEngineSlabs,
                         ::testing::Values(std::vector<std::uint32_t>{0, 13, 27, kRows},
                                           std::vector<std::uint32_t>{0, 22, kRows}));

TEST(CpuEngineSlab, RefusesASlabOffItsDetector) {
  const auto engine = make_cpu_engine({.threads = 2});
  ScanGeometry g = whole_geometry();
  g.rows = 12;
  g.slab = DetectorSlab{kRows, 30, 0, 12};
  testing::expect_engine_error([&] { engine->begin_scan(g, ReconParams{}); }, "leaves the detector's 40 rows");
  g.slab = DetectorSlab{kRows, 28, 4, 4};
  testing::expect_engine_error([&] { engine->begin_scan(g, ReconParams{}); }, "owned rows must be a non-empty range");
  g.slab = DetectorSlab{kRows, 28, 4, 13};
  testing::expect_engine_error([&] { engine->begin_scan(g, ReconParams{}); }, "owned_end <= rows");
  g.slab = DetectorSlab{kRows, 28, 4, 12};
  engine->begin_scan(g, ReconParams{});
  EXPECT_EQ(engine->slice_shape(Orthoslice::xz), std::make_pair(12u, kCols));
}

}  // namespace
}  // namespace tomolive::kernels
