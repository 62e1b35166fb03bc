// The CPU engine's full volume (Engine::reconstruct_volume, PROTOCOL.md 10.6): every z-layer of a box equals, bit for
// bit, the region of the live axial slice at that detector row (set_slices + copy_slice) with the scan's center and
// processing, for any slab size; the volume changes nothing; a sink can stop it; every refusal names the value.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"
#include "volume_test_sink.hpp"

namespace tomolive::kernels {
namespace {

using testing::Seeded;
using testing::VolumeCollector;

constexpr double kPi = std::numbers::pi;

// A scan of random uint16 projections over 180 degrees, with one dark and one flat, fed to `engine`.
ScanGeometry feed_random_scan(Engine& engine, std::mt19937& gen, std::uint32_t rows, std::uint32_t cols,
                              std::uint32_t projections, const ReconParams& params) {
  ScanGeometry g;
  g.rows = rows;
  g.cols = cols;
  g.slots = projections;
  g.angle_weight_rad = static_cast<float>(kPi / projections);
  engine.begin_scan(g, params);
  const std::size_t n = std::size_t{rows} * cols;
  std::uniform_int_distribution<int> raw(300, 9000);
  std::vector<std::uint16_t> dark(n, 100), flat(n, 10000), frame(n);
  engine.add_dark(testing::uint16_frame(dark, rows, cols));
  engine.add_flat(testing::uint16_frame(flat, rows, cols));
  for (std::uint32_t k = 0; k < projections; ++k) {
    for (auto& v : frame) v = static_cast<std::uint16_t>(raw(gen));
    engine.add_projection(k, static_cast<float>(kPi * k / projections), testing::uint16_frame(frame, rows, cols));
  }
  return g;
}

std::vector<float> axial_region(Engine& engine, const ScanGeometry& g, std::uint32_t row, const SliceRegion& r) {
  SlicePositions positions = engine.params().slices;
  positions.xy_row = row;
  engine.set_slices(positions);
  const testing::Slice xy = testing::copy_slice(engine, Orthoslice::xy, g.cols, g.cols);
  std::vector<float> values;
  for (std::uint32_t i = 0; i < r.rows; ++i) {
    for (std::uint32_t j = 0; j < r.cols; ++j) values.push_back(xy.at(r.row0 + i, r.col0 + j));
  }
  return values;
}

ReconParams shifted_filtered_params() {
  ReconParams params;
  params.center_offset_px = -1.25f;
  params.slices.xy_row = 1;
  params.slices.xz_y_px = 3.f;
  params.processing.window = FilterWindow::hann;
  return params;
}

TEST(CpuEngineVolume, LayersEqualTheLiveAxialSliceForEverySlabSize) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  auto engine = make_cpu_engine({.memory_limit_bytes = 0, .threads = 2});
  const ScanGeometry g = feed_random_scan(*engine, rng.gen, 7, 34, 40, shifted_filtered_params());
  const ReconParams before = engine->params();
  const testing::SliceSet slices_before = testing::copy_slices(*engine, g);
  EXPECT_EQ(engine->volume_slab_rows({0, 0, g.cols, g.cols}), std::numeric_limits<std::uint32_t>::max());

  for (const VolumeBox box : {VolumeBox{{0, 0, 34, 34}, 0, 7}, VolumeBox{{5, 3, 20, 27}, 2, 4}}) {
    for (const std::uint32_t slab_rows : {1u, 3u, box.rows}) {
      SCOPED_TRACE("box rows " + std::to_string(box.row0) + "+" + std::to_string(box.rows) + ", slabs of " +
                   std::to_string(slab_rows));
      VolumeCollector collector(box);
      ASSERT_TRUE(engine->reconstruct_volume(box, slab_rows, collector));
      EXPECT_EQ(collector.slabs_done(), (box.rows + slab_rows - 1) / slab_rows);
      EXPECT_EQ(collector.rows_done(), box.rows);
      std::vector<float> expected_layers;
      for (std::uint32_t z = 0; z < box.rows; ++z) {
        EXPECT_EQ(collector.layer(z), axial_region(*engine, g, box.row0 + z, box.region)) << "layer " << z;
      }
      SlicePositions restore = before.slices;
      engine->set_slices(restore);
    }
  }
  // The volume changed nothing: parameters and slices are as before.
  EXPECT_EQ(engine->params().center_offset_px, before.center_offset_px);
  EXPECT_EQ(engine->params().slices.xy_row, before.slices.xy_row);
  const testing::SliceSet slices_after = testing::copy_slices(*engine, g);
  EXPECT_EQ(slices_after.xy.values, slices_before.xy.values);
  EXPECT_EQ(slices_after.xz.values, slices_before.xz.values);
}

TEST(CpuEngineVolume, TheSinkStopsTheVolume) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  auto engine = make_cpu_engine({.memory_limit_bytes = 0, .threads = 2});
  feed_random_scan(*engine, rng.gen, 6, 16, 12, ReconParams{});
  const VolumeBox box{{0, 0, 16, 16}, 0, 6};
  {
    VolumeCollector collector(box);
    collector.stop_at_memory = 4;  // the third slab of 2 rows gets no memory
    EXPECT_FALSE(engine->reconstruct_volume(box, 2, collector));
    EXPECT_EQ(collector.slabs_done(), 2u);
  }
  {
    VolumeCollector collector(box);
    collector.stop_after_done = 0;  // the first slab's done says stop
    EXPECT_FALSE(engine->reconstruct_volume(box, 2, collector));
    EXPECT_EQ(collector.slabs_done(), 1u);
    EXPECT_EQ(collector.slabs_given(), 1u);
  }
}

TEST(CpuEngineVolume, RefusalsNameTheValue) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  auto engine = make_cpu_engine({.memory_limit_bytes = 0, .threads = 1});
  const VolumeBox whole{{0, 0, 16, 16}, 0, 4};
  {
    VolumeCollector collector(whole);
    testing::expect_engine_error([&] { engine->reconstruct_volume(whole, 1, collector); }, "no active scan");
    testing::expect_engine_error([&] { (void)engine->volume_slab_rows(whole.region); }, "no active scan");
  }
  feed_random_scan(*engine, rng.gen, 4, 16, 8, ReconParams{});
  const auto refuse = [&](const VolumeBox& box, std::uint32_t slab_rows, const std::string& needle) {
    VolumeCollector collector(whole);
    testing::expect_engine_error([&] { engine->reconstruct_volume(box, slab_rows, collector); }, needle);
    EXPECT_EQ(collector.slabs_given(), 0u);
  };
  refuse({{0, 0, 16, 16}, 0, 0}, 1, "is empty");
  refuse({{0, 0, 0, 16}, 0, 4}, 1, "is empty");
  refuse({{1, 0, 16, 16}, 0, 4}, 1, "leaves the 16 x 16 axial slice");
  refuse({{0, 9, 16, 8}, 0, 4}, 1, "leaves the 16 x 16 axial slice");
  refuse({{0, 0, 16, 16}, 2, 3}, 1, "leaves the detector's 4 rows");
  refuse(whole, 0, "slab_rows 0 out of range");
}

}  // namespace
}  // namespace tomolive::kernels
