// SlabEngine (slab_engine.hpp): the split of the detector's rows, and an engine over CPU engines of row slabs giving
// what one CPU engine over the whole detector gives (issue 18: Q2, here far tighter), through every call, a sliding
// window and a volume; and an engine that is lost mid-scan leaving the others serving.
#include "tomolive/kernels/slab_engine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "processing_scan.hpp"
#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/sim/phantom.hpp"
#include "volume_test_sink.hpp"

namespace tomolive::kernels {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr std::uint32_t kRows = 40, kCols = 32, kSlots = 30;
// Well below Q2 (targets.md, 5e-3): the slab engines compute each row as the whole engine does.
constexpr double kTolerance = 1e-6;

ScanGeometry geometry() { return testing::scan_geometry(kRows, kCols, kSlots, kPi / kSlots); }

// Transmission frames of a Shepp-Logan phantom filling the detector's height, with two hot pixels per frame (one on
// a slab boundary row) for the zinger filter.
testing::FrameSource phantom_frames() {
  return [](std::uint32_t k, float angle) {
    const sim::DetectorGeometry detector{kRows, kCols, 0.0};
    std::vector<float> a(std::size_t{kRows} * kCols);
    sim::shepp_logan_3d(detector, 1.0).project(detector, angle * 180.0 / kPi, 0, kRows, a);
    std::vector<float> t = testing::transmission_of(a);
    t[std::size_t{13} * kCols + 5 + k % 20] *= 2.f;
    t[std::size_t{(k * 7) % kRows} * kCols + 9] *= 2.f;
    return t;
  };
}

std::unique_ptr<Engine> cpu_engine() {
  CpuEngineOptions options;
  options.threads = 1;
  return make_cpu_engine(options);
}

std::unique_ptr<SlabEngine> slab_engine(std::size_t engines, std::uint32_t halo) {
  std::vector<std::unique_ptr<Engine>> parts;
  for (std::size_t k = 0; k < engines; ++k) parts.push_back(cpu_engine());
  SlabEngineOptions options;
  options.halo_rows = halo;
  return make_slab_engine(std::move(parts), options);
}

std::vector<float> slice_of(const Engine& engine, Orthoslice which) {
  const auto [rows, cols] = engine.slice_shape(which);
  std::vector<float> values(std::size_t{rows} * cols);
  engine.copy_slice(which, values);
  return values;
}

void expect_same(std::span<const float> slabs, std::span<const float> whole, const std::string& what) {
  ASSERT_EQ(slabs.size(), whole.size()) << what;
  testing::expect_all_finite(slabs, what);
  EXPECT_LE(testing::relative_max_difference(slabs, whole), kTolerance) << what;
}

// The three orthoslices and every stored projection of both engines agree.
void expect_same_results(const Engine& slabs, const Engine& whole, const std::string& what) {
  for (Orthoslice which : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    expect_same(slice_of(slabs, which), slice_of(whole, which), what + ", slice " + slice_name(which));
  }
  expect_same(testing::stored_projections(slabs, geometry()), testing::stored_projections(whole, geometry()),
              what + ", stored projections");
}

TEST(SplitDetectorRows, EqualWeightsGiveEqualSlabsWithHalosClippedAtTheEdges) {
  const std::vector<SlabRows> slabs = split_detector_rows(100, {0, 0, 0, 0}, 6);
  ASSERT_EQ(slabs.size(), 4u);
  EXPECT_EQ(slabs[0], (SlabRows{0, 31, 0, 25}));
  EXPECT_EQ(slabs[1], (SlabRows{19, 37, 25, 25}));
  EXPECT_EQ(slabs[2], (SlabRows{44, 37, 50, 25}));
  EXPECT_EQ(slabs[3], (SlabRows{69, 31, 75, 25}));
  const DetectorSlab second = detector_slab(slabs[1], 100);
  EXPECT_EQ(second.detector_rows, 100u);
  EXPECT_EQ(second.first_row, 19u);
  EXPECT_EQ(second.owned_begin, 6u);
  EXPECT_EQ(second.owned_end, 31u);
}

TEST(SplitDetectorRows, RowsFollowTheWeightsAndEverySlabKeepsItsMinimum) {
  const std::vector<SlabRows> weighted = split_detector_rows(1000, {3, 1}, 0);
  ASSERT_EQ(weighted.size(), 2u);
  EXPECT_EQ(weighted[0].owned_rows, 750u);
  EXPECT_EQ(weighted[1].owned_row0, 750u);
  EXPECT_EQ(weighted[1].owned_rows, 250u);
  // A device with almost no memory still gets its minimum, taken from the others.
  const std::vector<SlabRows> tiny = split_detector_rows(64, {1000, 1, 1000}, 2);
  ASSERT_EQ(tiny.size(), 3u);
  EXPECT_EQ(tiny[1].owned_rows, kMinSlabRows);
  std::uint32_t total = 0;
  for (const SlabRows& slab : tiny) total += slab.owned_rows;
  EXPECT_EQ(total, 64u);
}

TEST(SplitDetectorRows, AShortDetectorUsesFewerSlabs) {
  EXPECT_EQ(split_detector_rows(20, {1, 1, 1, 1}, 4).size(), 2u);
  const std::vector<SlabRows> one = split_detector_rows(5, {1, 1}, 4);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], (SlabRows{0, 5, 0, 5}));
  testing::expect_engine_error([] { split_detector_rows(10, {}, 0); }, "no engines");
  testing::expect_engine_error([] { split_detector_rows(0, {1}, 0); }, "no rows");
}

TEST(SlabEngine, RefusesNoEnginesAndNullEngines) {
  testing::expect_engine_error([] { make_slab_engine({}); }, "no engines");
  std::vector<std::unique_ptr<Engine>> engines;
  engines.push_back(cpu_engine());
  engines.push_back(nullptr);
  testing::expect_engine_error([&] { make_slab_engine(std::move(engines)); }, "engine 1 is null");
}

TEST(SlabEngine, ThreeSlabsGiveWhatOneEngineGivesThroughEveryCommand) {
  const std::unique_ptr<Engine> whole = cpu_engine();
  const std::unique_ptr<SlabEngine> slabs = slab_engine(3, 4);
  ReconParams params;
  params.slices.xy_row = 13;  // the first slab's last row is 12: the axial slice belongs to the second
  params.processing.zingers.enabled = true;
  const ProjectionStats whole_stats = testing::begin_and_feed(*whole, geometry(), params, kPi, phantom_frames());
  const ProjectionStats slab_stats = testing::begin_and_feed(*slabs, geometry(), params, kPi, phantom_frames());
  EXPECT_GT(whole_stats.zingers_replaced, 0u);
  EXPECT_EQ(slab_stats.zingers_replaced, whole_stats.zingers_replaced);
  EXPECT_EQ(slab_stats.clamped_values, whole_stats.clamped_values);
  ASSERT_EQ(slabs->slabs().size(), 3u);
  EXPECT_EQ(slabs->slabs()[1].rows.owned_row0, 13u);
  EXPECT_EQ(slabs->projections_in_store(), kSlots);
  expect_same_results(*slabs, *whole, "after the scan");

  for (Engine* engine : {whole.get(), static_cast<Engine*>(slabs.get())}) engine->set_center(1.25f);
  expect_same_results(*slabs, *whole, "set_center");

  for (std::uint32_t row : {0u, 12u, 26u, 27u, 39u}) {
    const SlicePositions positions{row, -3.5f, 2.f};
    for (Engine* engine : {whole.get(), static_cast<Engine*>(slabs.get())}) engine->set_slices(positions);
    expect_same_results(*slabs, *whole, "set_slices row " + std::to_string(row));
  }

  ProcessingParams processing;
  processing.window = FilterWindow::hann;
  processing.zingers.enabled = true;
  processing.rings.enabled = true;
  processing.rings.size = 5;
  const RefilterReport whole_report = whole->set_processing(processing);
  const RefilterReport slab_report = slabs->set_processing(processing);
  EXPECT_EQ(slab_report.projections, whole_report.projections);
  EXPECT_EQ(slabs->params().processing.window, FilterWindow::hann);
  expect_same_results(*slabs, *whole, "set_processing");

  const std::vector<float> offsets{-1.f, 0.f, 0.5f, 2.f};
  const SliceRegion region{4, 6, 20, 18};
  std::vector<float> whole_sweep(offsets.size() * region.rows * region.cols);
  std::vector<float> slab_sweep(whole_sweep.size());
  whole->sweep_center(26, offsets, region, whole_sweep);
  slabs->sweep_center(26, offsets, region, slab_sweep);
  expect_same(slab_sweep, whole_sweep, "sweep_center");

  std::vector<ProcessingParams> candidates(2, processing);
  candidates[1].window = FilterWindow::ram_lak;
  candidates[1].rings.enabled = false;
  std::vector<float> whole_candidates(candidates.size() * region.rows * region.cols);
  std::vector<float> slab_candidates(whole_candidates.size());
  whole->sweep_processing(12, candidates, region, whole_candidates);
  slabs->sweep_processing(12, candidates, region, slab_candidates);
  expect_same(slab_candidates, whole_candidates, "sweep_processing");
}

// What follows the whole detector rather than a slab's frames: the tilt's pivot, the preview's grid and the oblique
// plane, assembled from the slabs (halo 4 covers the tilt's 2.4 rows at 32 columns and the preview's binning of 3).
TEST(SlabEngine, TiltPreviewAndObliqueSliceMatchOneEngine) {
  const std::unique_ptr<Engine> whole = cpu_engine();
  const std::unique_ptr<SlabEngine> slabs = slab_engine(3, 4);
  ReconParams params;
  params.slices.xy_row = 26;  // the second slab's last row
  testing::begin_and_feed(*whole, geometry(), params, kPi, phantom_frames());
  testing::begin_and_feed(*slabs, geometry(), params, kPi, phantom_frames());
  EXPECT_LE(slabs->halo_needed_rows(), slabs->halo_rows());

  whole->set_axis_tilt(1.5f);
  slabs->set_axis_tilt(1.5f);
  EXPECT_FLOAT_EQ(slabs->params().axis_tilt_deg, 1.5f);
  expect_same_results(*slabs, *whole, "set_axis_tilt");

  const PreviewParams preview{true, 16};
  whole->set_preview(preview);
  slabs->set_preview(preview);
  const PreviewGrid grid = slabs->preview_shape();
  EXPECT_EQ(grid.layers, whole->preview_shape().layers);
  std::vector<float> whole_preview(grid.voxels()), slab_preview(grid.voxels());
  whole->copy_preview(whole_preview);
  slabs->copy_preview(slab_preview);
  expect_same(slab_preview, whole_preview, "preview");

  ObliqueSlice oblique;
  oblique.enabled = true;
  oblique.normal = {0.3f, 0.f, 1.f};  // tilted across every slab
  oblique.offset_px = 2.f;
  whole->set_oblique_slice(oblique);
  slabs->set_oblique_slice(oblique);
  ASSERT_EQ(slabs->oblique_shape(), whole->oblique_shape());
  const auto [rows, cols] = slabs->oblique_shape();
  std::vector<float> whole_oblique(std::size_t{rows} * cols), slab_oblique(whole_oblique.size());
  whole->copy_oblique_slice(whole_oblique);
  slabs->copy_oblique_slice(slab_oblique);
  expect_same(slab_oblique, whole_oblique, "oblique slice");

  // A center change updates all three in every slab.
  const std::uint64_t version = slabs->preview_version();
  whole->set_center(-0.75f);
  slabs->set_center(-0.75f);
  EXPECT_GT(slabs->preview_version(), version);
  expect_same_results(*slabs, *whole, "set_center under a tilt");
  whole->copy_preview(whole_preview);
  slabs->copy_preview(slab_preview);
  expect_same(slab_preview, whole_preview, "preview after set_center");
  whole->copy_oblique_slice(whole_oblique);
  slabs->copy_oblique_slice(slab_oblique);
  expect_same(slab_oblique, whole_oblique, "oblique slice after set_center");
}

TEST(SlabEngine, ASlidingWindowReplacesSlotsInEverySlab) {
  const std::unique_ptr<Engine> whole = cpu_engine();
  const std::unique_ptr<SlabEngine> slabs = slab_engine(2, 3);
  const testing::FrameSource frames = phantom_frames();
  ReconParams params;
  params.slices.xy_row = 30;
  for (Engine* engine : {whole.get(), static_cast<Engine*>(slabs.get())}) {
    engine->begin_scan(geometry(), params);
    // Two and a half turns of the window: each slot replaced twice or three times.
    for (std::uint32_t k = 0; k < 5 * kSlots / 2; ++k) {
      const float angle = testing::scan_angle(k, kSlots, kPi);
      const std::vector<float> frame = frames(k, angle);
      engine->add_projection(k % kSlots, angle, testing::float_frame(frame, kRows, kCols));
    }
  }
  expect_same_results(*slabs, *whole, "sliding window");
}

TEST(SlabEngine, DarksFlatsAndTheDefectMapAreSplitAndAssembled) {
  const std::unique_ptr<Engine> whole = cpu_engine();
  const std::unique_ptr<SlabEngine> slabs = slab_engine(3, 2);
  std::vector<std::uint16_t> dark(std::size_t{kRows} * kCols, 100);
  std::vector<std::uint16_t> flat(dark.size(), 4000);
  flat[std::size_t{20} * kCols + 7] = 50;  // dead: flat below dark, in the middle slab
  flat[std::size_t{38} * kCols + 30] = 90;  // dead, in the last slab
  std::vector<std::uint8_t> mask(dark.size(), 0);
  mask[std::size_t{2} * kCols + 3] = 1;  // the detector's own mask, in the first slab
  ReconParams params;
  const testing::FrameSource frames = phantom_frames();
  std::vector<ProjectionStats> stats;
  for (Engine* engine : {whole.get(), static_cast<Engine*>(slabs.get())}) {
    engine->begin_scan(geometry(), params);
    engine->set_detector_mask(mask);
    engine->add_dark(testing::uint16_frame(dark, kRows, kCols));
    engine->add_flat(testing::uint16_frame(flat, kRows, kCols));
    for (std::uint32_t k = 0; k < kSlots; ++k) {
      const float angle = testing::scan_angle(k, kSlots, kPi);
      const std::vector<float> t = frames(k, angle);
      std::vector<std::uint16_t> raw(t.size());
      for (std::size_t p = 0; p < t.size(); ++p) raw[p] = static_cast<std::uint16_t>(100 + std::lround(3900 * t[p]));
      engine->add_projection(k, angle, testing::uint16_frame(raw, kRows, kCols));
    }
  }
  const DefectivePixelMap* whole_map = whole->defective_pixels();
  const DefectivePixelMap* slab_map = slabs->defective_pixels();
  ASSERT_NE(whole_map, nullptr);
  ASSERT_NE(slab_map, nullptr);
  EXPECT_EQ(slab_map->rows, kRows);
  EXPECT_EQ(slab_map->kinds, whole_map->kinds);
  EXPECT_EQ(slab_map->counts().dead, whole_map->counts().dead);
  EXPECT_GE(slab_map->counts().dead, 2u);
  expect_same_results(*slabs, *whole, "darks, flats and defects");
  testing::expect_engine_error([&] { slabs->set_detector_mask(std::vector<std::uint8_t>(5, 0)); }, "5 values");
  const std::vector<std::uint16_t> short_frame(std::size_t{kRows - 1} * kCols, 1);
  testing::expect_engine_error([&] { slabs->add_projection(0, 0.f, testing::uint16_frame(short_frame, kRows - 1, kCols)); },
                               "projection");
}

TEST(SlabEngine, AVolumeComesFromEverySlabInRowOrder) {
  const std::unique_ptr<Engine> whole = cpu_engine();
  const std::unique_ptr<SlabEngine> slabs = slab_engine(3, 2);
  ReconParams params;
  testing::begin_and_feed(*whole, geometry(), params, kPi, phantom_frames());
  testing::begin_and_feed(*slabs, geometry(), params, kPi, phantom_frames());
  const VolumeBox box{{3, 2, 24, 27}, 5, 30};  // rows 5..34: parts of all three slabs
  testing::VolumeCollector expected(box);
  ASSERT_TRUE(whole->reconstruct_volume(box, 4, expected));
  for (std::size_t outstanding : {std::size_t{2}, std::size_t{64}}) {
    testing::VolumeCollector collected(box, outstanding);
    ASSERT_TRUE(slabs->reconstruct_volume(box, 4, collected)) << outstanding;
    EXPECT_EQ(collected.rows_done(), box.rows);
    // Slabs end at slab boundaries too: rows 5..12, 13..26, 27..34 in slabs of 4 rows.
    EXPECT_EQ(collected.slabs_done(), 2u + 4u + 2u);
    expect_same(collected.values(), expected.values(), "volume, " + std::to_string(outstanding) + " outstanding");
  }
  // The caller stops it: what was done is delivered, nothing after.
  testing::VolumeCollector stopped(box, 64);
  stopped.stop_after_done = 13;
  EXPECT_FALSE(slabs->reconstruct_volume(box, 4, stopped));
  EXPECT_GE(stopped.rows_done(), 13u - box.row0 + 4u);
}

// Forwards every call to a CPU engine until `fail_after` projections were added; from then on every call throws
// EngineLostError, as a CUDA engine does after a sticky device error.
class FailingEngine final : public Engine {
 public:
  explicit FailingEngine(std::uint32_t fail_after) : inner_(cpu_engine()), fail_after_(fail_after) {}

  std::string name() const override { return "failing"; }
  EngineMemoryPlan plan(const ScanGeometry& g) const override { return inner().plan(g); }
  void begin_scan(const ScanGeometry& g, const ReconParams& p) override { inner().begin_scan(g, p); }
  void add_dark(const FrameView& f) override { inner().add_dark(f); }
  void add_flat(const FrameView& f) override { inner().add_flat(f); }
  void set_detector_mask(std::span<const std::uint8_t> m) override { inner().set_detector_mask(m); }
  const DefectivePixelMap* defective_pixels() const override { return inner().defective_pixels(); }
  ProjectionStats add_projection(std::uint32_t slot, float angle, const FrameView& f) override {
    if (added_++ == fail_after_) failed_ = true;
    return inner().add_projection(slot, angle, f);
  }
  void set_center(float c) override { inner().set_center(c); }
  void set_slices(const SlicePositions& s) override { inner().set_slices(s); }
  RefilterReport set_axis_tilt(float t) override { return inner().set_axis_tilt(t); }
  RefilterReport set_processing(const ProcessingParams& p) override { return inner().set_processing(p); }
  void set_oblique_slice(const ObliqueSlice& o) override { inner().set_oblique_slice(o); }
  std::pair<std::uint32_t, std::uint32_t> oblique_shape() const override { return inner().oblique_shape(); }
  void copy_oblique_slice(std::span<float> out) const override { inner().copy_oblique_slice(out); }
  PreviewParams default_preview() const override { return inner().default_preview(); }
  void set_preview(const PreviewParams& p) override { inner().set_preview(p); }
  PreviewGrid preview_shape() const override { return inner().preview_shape(); }
  void copy_preview(std::span<float> out) const override { inner().copy_preview(out); }
  std::uint64_t preview_version() const override { return inner_->preview_version(); }
  const ReconParams& params() const override { return inner().params(); }
  std::uint32_t projections_in_store() const override { return inner().projections_in_store(); }
  std::pair<std::uint32_t, std::uint32_t> slice_shape(Orthoslice s) const override { return inner().slice_shape(s); }
  void copy_slice(Orthoslice s, std::span<float> out) const override { inner().copy_slice(s, out); }
  std::optional<float> slot_angle(std::uint32_t slot) const override { return inner().slot_angle(slot); }
  void copy_projection(std::uint32_t slot, std::span<float> out) const override { inner().copy_projection(slot, out); }
  void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const override {
    inner().copy_corrected_projection(slot, out);
  }
  void sweep_center(std::uint32_t row, std::span<const float> c, const SliceRegion& r, std::span<float> out) override {
    inner().sweep_center(row, c, r, out);
  }
  void sweep_processing(std::uint32_t row, std::span<const ProcessingParams> c, const SliceRegion& r,
                        std::span<float> out) override {
    inner().sweep_processing(row, c, r, out);
  }
  std::uint32_t volume_slab_rows(const SliceRegion& r) const override { return inner().volume_slab_rows(r); }
  bool reconstruct_volume(const VolumeBox& b, std::uint32_t rows, VolumeSink& sink) override {
    return inner().reconstruct_volume(b, rows, sink);
  }

 private:
  Engine& inner() const {
    if (failed_) throw EngineLostError("cudaErrorIllegalAddress (simulated): the device failed");
    return *inner_;
  }

  std::unique_ptr<Engine> inner_;
  std::uint32_t fail_after_;
  std::uint32_t added_ = 0;
  bool failed_ = false;
};

TEST(SlabEngine, AnEngineLostMidScanLeavesTheOtherSlabsServing) {
  std::vector<std::unique_ptr<Engine>> parts;
  parts.push_back(cpu_engine());
  parts.push_back(std::make_unique<FailingEngine>(10));
  parts.push_back(cpu_engine());
  SlabEngineOptions options;
  options.halo_rows = 3;
  const std::unique_ptr<SlabEngine> slabs = make_slab_engine(std::move(parts), options);
  const std::unique_ptr<Engine> whole = cpu_engine();
  ReconParams params;
  params.slices.xy_row = 30;
  testing::begin_and_feed(*whole, geometry(), params, kPi, phantom_frames());
  testing::begin_and_feed(*slabs, geometry(), params, kPi, phantom_frames());  // slab 2 fails at its 11th frame

  const std::vector<SlabStatus> status = slabs->slabs();
  ASSERT_EQ(status.size(), 3u);
  EXPECT_FALSE(status[0].lost);
  EXPECT_TRUE(status[1].lost);
  EXPECT_NE(status[1].lost_reason.find("device failed"), std::string::npos) << status[1].lost_reason;
  EXPECT_FALSE(status[2].lost);

  // The vertical slices: the live slabs' rows as one engine gives them, the lost slab's rows NaN.
  for (Orthoslice which : {Orthoslice::xz, Orthoslice::yz}) {
    const std::vector<float> got = slice_of(*slabs, which);
    const std::vector<float> want = slice_of(*whole, which);
    const SlabRows lost = status[1].rows;
    for (std::uint32_t row = 0; row < kRows; ++row) {
      const bool in_lost = row >= lost.owned_row0 && row < lost.owned_row0 + lost.owned_rows;
      for (std::uint32_t col = 0; col < kCols; ++col) {
        const float value = got[std::size_t{row} * kCols + col];
        if (in_lost) {
          ASSERT_TRUE(std::isnan(value)) << "row " << row;
        } else {
          ASSERT_NEAR(value, want[std::size_t{row} * kCols + col], 1e-6f) << "row " << row;
        }
      }
    }
  }
  // The axial slice of a live slab still works and changes still reach the live slabs; the lost slab's row is refused.
  expect_same(slice_of(*slabs, Orthoslice::xy), slice_of(*whole, Orthoslice::xy), "axial slice of a live slab");
  slabs->set_center(0.5f);
  whole->set_center(0.5f);
  expect_same(slice_of(*slabs, Orthoslice::xy), slice_of(*whole, Orthoslice::xy), "after set_center");
  slabs->set_slices({status[1].rows.owned_row0, 0.f, 0.f});
  testing::expect_engine_error([&] { slice_of(*slabs, Orthoslice::xy); }, "was lost");
  const std::vector<float> offsets{0.f};
  std::vector<float> images(kCols * kCols);
  testing::expect_engine_error(
      [&] { slabs->sweep_center(status[1].rows.owned_row0, offsets, {0, 0, kCols, kCols}, images); }, "was lost");

  // The preview and the oblique slice: the lost slab's layers and pixels NaN, the others as one engine gives them.
  const PreviewParams preview{true, 16};
  const SlabRows lost = status[1].rows;
  whole->set_preview(preview);
  slabs->set_preview(preview);
  const PreviewGrid grid = slabs->preview_shape();
  std::vector<float> want_preview(grid.voxels()), got_preview(grid.voxels());
  whole->copy_preview(want_preview);
  slabs->copy_preview(got_preview);
  const std::size_t layer = std::size_t{grid.rows} * grid.cols;
  for (std::uint32_t z = 0; z < grid.layers; ++z) {
    const std::uint32_t first_row = z * grid.binning;
    const bool in_lost = first_row >= lost.owned_row0 && first_row < lost.owned_row0 + lost.owned_rows;
    const float got = got_preview[z * layer + layer / 2], want = want_preview[z * layer + layer / 2];
    if (in_lost) {
      EXPECT_TRUE(std::isnan(got)) << "preview layer " << z;
    } else {
      EXPECT_NEAR(got, want, 1e-6f) << "preview layer " << z;
    }
  }
  ObliqueSlice vertical;  // the XZ plane: z runs over every detector row
  vertical.enabled = true;
  vertical.normal = {0.f, 1.f, 0.f};
  whole->set_oblique_slice(vertical);
  slabs->set_oblique_slice(vertical);
  const auto [oblique_rows, oblique_cols] = slabs->oblique_shape();
  std::vector<float> want_oblique(std::size_t{oblique_rows} * oblique_cols), got_oblique(want_oblique.size());
  whole->copy_oblique_slice(want_oblique);
  slabs->copy_oblique_slice(got_oblique);
  std::size_t lost_pixels = 0;
  for (std::size_t k = 0; k < got_oblique.size(); ++k) {
    if (std::isnan(got_oblique[k])) {
      ++lost_pixels;
    } else {
      EXPECT_NEAR(got_oblique[k], want_oblique[k], 1e-6f) << "oblique pixel " << k;
    }
  }
  EXPECT_EQ(lost_pixels, std::size_t{lost.owned_rows} * oblique_cols);

  // The next scan is split over the engines that are left.
  testing::begin_and_feed(*slabs, geometry(), params, kPi, phantom_frames());
  whole->set_center(params.center_offset_px);
  std::uint32_t in_scan = 0;
  for (const SlabStatus& slab : slabs->slabs()) in_scan += slab.lost ? 0 : 1;
  EXPECT_EQ(in_scan, 2u);
  expect_same(slice_of(*slabs, Orthoslice::xz), slice_of(*whole, Orthoslice::xz), "next scan, two slabs");
}

TEST(SlabEngine, LosingEverySlabLosesTheEngine) {
  std::vector<std::unique_ptr<Engine>> parts;
  parts.push_back(std::make_unique<FailingEngine>(2));
  parts.push_back(std::make_unique<FailingEngine>(3));
  const std::unique_ptr<SlabEngine> slabs = make_slab_engine(std::move(parts));
  ReconParams params;
  EXPECT_THROW(testing::begin_and_feed(*slabs, geometry(), params, kPi, phantom_frames()), EngineLostError);
  EXPECT_THROW(slabs->begin_scan(geometry(), params), EngineLostError);
}

}  // namespace
}  // namespace tomolive::kernels
