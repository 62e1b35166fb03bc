// The CPU engine's projection processing (processing.hpp) end to end: a re-filter (set_processing) gives what a scan
// begun with the same processing gives, the ring pass and the ring offset of later arrivals, the refilter report,
// refusals, and independence of the thread count.
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
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/cpu_ring_removal.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::kernels {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr std::uint32_t kRows = 6, kCols = 48, kSlots = 24;

ScanGeometry small_geometry() { return testing::scan_geometry(kRows, kCols, kSlots, kPi / kSlots); }

// Transmission frames of a Shepp-Logan phantom (rows 10..15 of a 26-row detector, inside its height) with three hot
// pixels (transmission x 2) per frame at positions that move with k, and optionally only the detector columns
// [col0, kCols) measured (the rest transmission 1).
testing::FrameSource phantom_frames(std::uint32_t col0 = 0) {
  return [col0](std::uint32_t k, float angle) {
    const sim::DetectorGeometry detector{26, kCols, 0.0};
    std::vector<float> a(std::size_t{kRows} * kCols);
    sim::shepp_logan_3d(detector, 1.0).project(detector, angle * 180.0 / kPi, 10, 10 + kRows, a);
    std::vector<float> t = testing::transmission_of(a);
    for (std::uint32_t z = 0; z < 3; ++z) {
      t[((k + 2 * z) % kRows) * kCols + col0 + 3 + (7 * k + 13 * z) % (kCols - col0 - 6)] *= 2.f;
    }
    for (std::uint32_t r = 0; r < kRows; ++r) {
      for (std::uint32_t c = 0; c < col0; ++c) t[r * kCols + c] = 1.f;
    }
    return t;
  };
}

std::unique_ptr<Engine> engine_with_threads(unsigned threads) {
  CpuEngineOptions options;
  options.threads = threads;
  return make_cpu_engine(options);
}

ProcessingParams every_step_but_rings() {
  ProcessingParams p;
  p.window = FilterWindow::cosine;
  p.zingers.enabled = true;
  p.phase.enabled = true;
  p.phase.distance_m = 0.05;
  p.phase.delta_over_beta = 64.0;
  return p;
}

void expect_same_store_and_slices(const Engine& a, const Engine& b, const ScanGeometry& g) {
  EXPECT_EQ(testing::stored_projections(a, g), testing::stored_projections(b, g));
  const testing::SliceSet sa = testing::copy_slices(a, g), sb = testing::copy_slices(b, g);
  EXPECT_EQ(sa.xy.values, sb.xy.values);
  EXPECT_EQ(sa.xz.values, sb.xz.values);
  EXPECT_EQ(sa.yz.values, sb.yz.values);
}

struct NamedProcessing {
  std::string name;
  ProcessingParams processing;
  HalfAcquisition half;  // of the scan's geometry
  std::uint32_t detector_col0() const { return half.enabled ? half.detector_col0 : 0; }  // of the frames
};

std::vector<NamedProcessing> refilter_cases() {
  std::vector<NamedProcessing> cases;
  ProcessingParams p;
  p.window = FilterWindow::hann;
  cases.push_back({"hann window", p, {}});
  p = {};
  p.zingers.enabled = true;
  cases.push_back({"zingers", p, {}});
  p = {};
  p.phase = every_step_but_rings().phase;
  cases.push_back({"phase", p, {}});
  cases.push_back({"window, zingers and phase", every_step_but_rings(), {}});
  cases.push_back({"every step but rings, half acquisition", every_step_but_rings(), {true, 18, kCols - 18}});
  return cases;
}

// Bit for bit: arrival and re-filter run the same steps on the same corrected values, and a recompute adds the slots
// in the order a scan fed in slot order added them.
TEST(CpuEngineProcessing, SetProcessingEqualsAScanBegunWithIt) {
  for (const NamedProcessing& c : refilter_cases()) {
    SCOPED_TRACE(c.name);
    ScanGeometry g = small_geometry();
    g.half_acquisition = c.half;
    ReconParams with;
    with.processing = c.processing;
    with.center_offset_px = 0.5f;
    ReconParams without = with;
    without.processing = {};
    auto refiltered = engine_with_threads(2);
    auto fresh = engine_with_threads(2);
    testing::begin_and_feed(*refiltered, g, without, kPi, phantom_frames(c.detector_col0()));
    const std::vector<float> unprocessed = testing::stored_projections(*refiltered, g);
    const ProjectionStats arrived = testing::begin_and_feed(*fresh, g, with, kPi, phantom_frames(c.detector_col0()));

    const RefilterReport report = refiltered->set_processing(c.processing);
    EXPECT_EQ(refiltered->params().processing, c.processing);
    expect_same_store_and_slices(*refiltered, *fresh, g);
    EXPECT_NE(testing::stored_projections(*refiltered, g), unprocessed);
    EXPECT_EQ(report.projections, kSlots);
    EXPECT_EQ(report.zingers_replaced, arrived.zingers_replaced);
    EXPECT_EQ(report.clamped_values, arrived.clamped_values);
    EXPECT_GT(report.milliseconds, 0.0);
    if (c.processing.zingers.enabled) {
      // Most of the 3 hot pixels per frame (the median of one next to a steep edge of the phantom may be off).
      EXPECT_GE(report.zingers_replaced, 3u * kSlots * 9 / 10);
    } else {
      EXPECT_EQ(report.zingers_replaced, 0u);
    }
  }
}

TEST(CpuEngineProcessing, BackToDefaultsRestoresTheUnprocessedResultsBitForBit) {
  const ScanGeometry g = small_geometry();
  auto engine = engine_with_threads(3);
  testing::begin_and_feed(*engine, g, ReconParams{}, kPi, phantom_frames());
  const std::vector<float> store = testing::stored_projections(*engine, g);
  const std::vector<float> xy = testing::axial_slice(*engine, g);
  ProcessingParams all = every_step_but_rings();
  all.rings.enabled = true;
  engine->set_processing(all);
  EXPECT_NE(testing::axial_slice(*engine, g), xy);
  engine->set_processing(ProcessingParams{});
  EXPECT_EQ(testing::stored_projections(*engine, g), store);
  EXPECT_EQ(testing::axial_slice(*engine, g), xy);
}

// The ring pass over the store, then a projection arriving in a sliding window: corrected + the pass's offset, then
// filtered. Expected values from SinogramRingFilter over the corrected store (copy_corrected_projection).
TEST(CpuEngineProcessing, RingPassAndTheOffsetOfLaterArrivals) {
  const ScanGeometry g = small_geometry();
  const std::size_t frame = std::size_t{kRows} * kCols;
  ReconParams params;
  params.processing.rings.enabled = true;
  params.processing.rings.size = 5;
  auto engine = engine_with_threads(2);
  const testing::FrameSource frames = phantom_frames();
  testing::begin_and_feed(*engine, g, params, kPi, frames);

  // Before the first pass the offset is zero: the scan's arrivals are only ramp-filtered.
  std::vector<float> corrected(frame * kSlots);
  for (std::uint32_t slot = 0; slot < kSlots; ++slot) {
    engine->copy_corrected_projection(slot, std::span<float>(corrected.data() + slot * frame, frame));
  }
  std::vector<float> expected = corrected;
  CpuRampFilter filter(kCols);
  filter.filter_rows(expected.data(), kRows * kSlots);
  EXPECT_EQ(testing::stored_projections(*engine, g), expected);

  // The pass, row by row over the slots.
  const RefilterReport report = engine->set_processing(params.processing);
  EXPECT_EQ(report.projections, kSlots);
  std::vector<float> passed = corrected, offsets(frame), sinogram(std::size_t{kSlots} * kCols);
  SinogramRingFilter pass(kSlots, kCols);
  for (std::uint32_t r = 0; r < kRows; ++r) {
    for (std::uint32_t k = 0; k < kSlots; ++k) {
      std::copy_n(corrected.data() + k * frame + r * kCols, kCols, sinogram.data() + k * kCols);
    }
    pass.apply(sinogram.data(), kSlots, kCols, 5, offsets.data() + r * kCols);
    for (std::uint32_t k = 0; k < kSlots; ++k) {
      std::copy_n(sinogram.data() + k * kCols, kCols, passed.data() + k * frame + r * kCols);
    }
  }
  EXPECT_NE(passed, corrected);
  expected = passed;
  filter.filter_rows(expected.data(), kRows * kSlots);
  EXPECT_EQ(testing::stored_projections(*engine, g), expected);

  // A later arrival replacing slot 7 gets the offset, not a pass.
  const std::vector<float> late = frames(kSlots + 7, 0.3f);
  engine->add_projection(7, 0.3f, testing::float_frame(late, kRows, kCols));
  std::vector<float> late_expected(frame);
  engine->copy_corrected_projection(7, late_expected);
  for (std::size_t k = 0; k < frame; ++k) late_expected[k] += offsets[k];
  filter.filter_rows(late_expected.data(), kRows);
  std::vector<float> stored(frame);
  engine->copy_projection(7, stored);
  EXPECT_EQ(stored, late_expected);
}

TEST(CpuEngineProcessing, ResultsDoNotDependOnTheThreadCount) {
  ScanGeometry g = small_geometry();
  g.half_acquisition = {true, 10, kCols - 10};
  ProcessingParams all = every_step_but_rings();
  all.rings.enabled = true;
  ReconParams params;
  params.center_offset_px = -1.25f;
  auto one = engine_with_threads(1);
  auto four = engine_with_threads(4);
  testing::begin_and_feed(*one, g, params, kPi, phantom_frames(10));
  testing::begin_and_feed(*four, g, params, kPi, phantom_frames(10));
  const RefilterReport a = one->set_processing(all);
  const RefilterReport b = four->set_processing(all);
  EXPECT_EQ(a.zingers_replaced, b.zingers_replaced);
  EXPECT_EQ(a.clamped_values, b.clamped_values);
  expect_same_store_and_slices(*one, *four, g);
  // An arrival after the pass, and a new center (half acquisition re-filters).
  for (Engine* engine : {one.get(), four.get()}) {
    const std::vector<float> late = phantom_frames(10)(kSlots + 2, 1.f);
    EXPECT_EQ(engine->add_projection(2, 1.f, testing::float_frame(late, kRows, kCols)).zingers_replaced, 3u);
    engine->set_center(0.75f);
  }
  expect_same_store_and_slices(*one, *four, g);
}

TEST(CpuEngineProcessing, RefusedParametersKeepThePreviousOnes) {
  const ScanGeometry g = small_geometry();
  auto engine = engine_with_threads(2);
  testing::begin_and_feed(*engine, g, ReconParams{}, kPi, phantom_frames());
  ProcessingParams hann;
  hann.window = FilterWindow::hann;
  engine->set_processing(hann);
  const std::vector<float> xy = testing::axial_slice(*engine, g);

  ProcessingParams bad = hann;
  bad.rings.enabled = true;
  bad.rings.size = 4;
  EXPECT_THROW(
      {
        try {
          engine->set_processing(bad);
        } catch (const EngineError& e) {
          EXPECT_NE(std::string(e.what()).find("ring removal size 4"), std::string::npos) << e.what();
          throw;
        }
      },
      EngineError);
  bad = hann;
  bad.phase.energy_kev = -1.0;
  EXPECT_THROW(engine->set_processing(bad), EngineError);
  EXPECT_EQ(engine->params().processing, hann);
  EXPECT_EQ(testing::axial_slice(*engine, g), xy);
}

TEST(CpuEngineProcessing, SetProcessingNeedsAScan) {
  auto engine = make_cpu_engine({});
  try {
    engine->set_processing(ProcessingParams{});
    FAIL() << "set_processing without a scan did not throw";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("set_processing: no active scan"), std::string::npos) << e.what();
  }
  std::vector<float> out(16);
  EXPECT_THROW(engine->copy_corrected_projection(0, out), EngineError);
}

TEST(CpuEngineProcessing, CorrectedProjectionIsTheAttenuationBeforeProcessing) {
  const ScanGeometry g = small_geometry();
  ReconParams params;
  params.processing = every_step_but_rings();
  auto engine = engine_with_threads(2);
  const testing::FrameSource frames = phantom_frames();
  testing::begin_and_feed(*engine, g, params, kPi, frames);
  const std::vector<float> t = frames(3, testing::scan_angle(3, kSlots, kPi));
  std::vector<float> out(std::size_t{kRows} * kCols);
  engine->copy_corrected_projection(3, out);
  for (std::size_t k = 0; k < out.size(); ++k) EXPECT_EQ(out[k], -std::log(t[k])) << "pixel " << k;
  std::vector<float> wrong(out.size() + 1);
  EXPECT_THROW(engine->copy_corrected_projection(3, wrong), EngineError);
  ScanGeometry bigger = g;
  bigger.slots = kSlots + 1;
  engine->begin_scan(bigger, params);
  EXPECT_THROW(engine->copy_corrected_projection(kSlots, out), EngineError);  // empty slot
}

}  // namespace
}  // namespace tomolive::kernels
