// The CUDA engine's oblique slice (PROTOCOL.md 10.9) and processing sweep (10.8) against the CPU engine, on fresh
// random inputs, for both store precisions: the oblique slice built frame by frame (with sliding-window replacements)
// and recomputed after set_center and set_oblique_slice; sweep_processing over window, ring, zinger and phase
// candidates, leaving params and slices alone. Q2 budgets. Every test skips, with the reason, where no CUDA device is
// usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gpu_test_objects.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {
namespace {

using gpu_testing::begin;
using gpu_testing::copy_checked;
using gpu_testing::cuda_engine;
using gpu_testing::feed;
using gpu_testing::make_random_scan;
using gpu_testing::make_scan;
using gpu_testing::object_with_stripes;
using gpu_testing::refiltered_tolerance;
using gpu_testing::RandomScan;
using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;
using gpu_testing::tolerance;
using gpu_testing::with_zingers;

std::vector<float> oblique_values(const Engine& engine) {
  const auto [rows, cols] = engine.oblique_shape();
  std::vector<float> values(std::size_t{rows} * cols, std::numeric_limits<float>::quiet_NaN());
  engine.copy_oblique_slice(values);
  EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
      << engine.name() << ": oblique slice not fully written";
  return values;
}

void expect_oblique_close(const Engine& gpu, const Engine& cpu, double tol, const std::string& what) {
  ASSERT_EQ(gpu.oblique_shape(), cpu.oblique_shape()) << what;
  const std::vector<float> reference = oblique_values(cpu);
  EXPECT_TRUE(std::any_of(reference.begin(), reference.end(), [](float v) { return v != 0.f; })) << what;
  EXPECT_LE(relative_max_difference(oblique_values(gpu), reference), tol) << what;
}

class CudaOblique : public ::testing::TestWithParam<StorePrecision> {};

TEST_P(CudaOblique, MatchesCpuIncrementallyAndAfterRecomputes) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const StorePrecision store = GetParam();
  // A sliding window: 60 projections through 40 slots.
  auto scan = make_random_scan<std::uint16_t>(rng, 21, 70, 40, 60);
  scan.params.oblique.enabled = true;
  scan.params.oblique.normal = {rng.uniform(-1.f, 1.f), rng.uniform(-1.f, 1.f), rng.uniform(0.5f, 1.f)};
  scan.params.oblique.offset_px = rng.uniform(-3.f, 3.f);
  auto gpu = cuda_engine(store);
  auto cpu = make_cpu_engine();
  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) {
    begin(*engine, scan);
    feed(*engine, scan, 0, 60);
  }
  expect_oblique_close(*gpu, *cpu, tolerance(store), "incremental");

  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) engine->set_center(1.25f);
  expect_oblique_close(*gpu, *cpu, tolerance(store), "after set_center");

  ObliqueSlice vertical;  // a vertical-like plane: rows x cols
  vertical.enabled = true;
  vertical.normal = {0.8f, -0.6f, 0.2f};
  vertical.offset_px = 4.f;
  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) {
    engine->set_oblique_slice(vertical);
  }
  EXPECT_EQ(gpu->oblique_shape(), std::make_pair(21u, 70u));
  expect_oblique_close(*gpu, *cpu, tolerance(store), "vertical-like plane");

  // An axis plane gives the orthoslice (Q2 between the two paths of the same engine).
  ObliqueSlice axial;
  axial.enabled = true;
  axial.offset_px = static_cast<float>(scan.params.slices.xy_row) - 10.f;
  gpu->set_oblique_slice(axial);
  EXPECT_LE(relative_max_difference(oblique_values(*gpu), copy_checked(*gpu, Orthoslice::xy)), tolerance(store));
}

// Candidates of every kind the sweep takes: a window, rings, zingers, and phase retrieval of kernels reaching 14 and
// 43 rows (paganin_reach_rows: bands of most or all of the 17 rows) and 2 rows (a band of 7 rows inside the
// detector, edge-padded where the whole frame goes on, as in the CPU engine).
std::vector<ProcessingParams> sweep_candidates() {
  std::vector<ProcessingParams> candidates(6);
  candidates[0].window = FilterWindow::hamming;
  candidates[1].rings.enabled = true;
  candidates[1].rings.size = 7;
  // The ring pass sorts each column, which holds the scan's zingers too: removed first, as set_processing's tests do,
  // the column's values stay 0.02 apart (gpu_test_objects.hpp), so that a float16 store's rounding keeps their order.
  candidates[1].zingers.enabled = true;
  candidates[2].zingers.enabled = true;
  candidates[3].phase.enabled = true;
  candidates[3].phase.delta_over_beta = 30.0;
  candidates[3].phase.distance_m = 0.05;
  candidates[4] = candidates[3];
  candidates[4].phase.delta_over_beta = 300.0;
  candidates[5] = candidates[3];
  candidates[5].phase.delta_over_beta = 0.5;
  return candidates;
}

// The two engines' sweeps of `candidates` at a random axial row agree (the CUDA engine's batched re-filter of each
// candidate's band against the CPU engine's); the GPU's slices and processing are left alone.
template <class Scan>
void expect_sweeps_match(Seeded& rng, const Scan& scan, StorePrecision store,
                         const std::vector<ProcessingParams>& candidates) {
  auto gpu = cuda_engine(store);
  auto cpu = make_cpu_engine();
  for (Engine* engine : {static_cast<Engine*>(gpu.get()), static_cast<Engine*>(cpu.get())}) {
    begin(*engine, scan);
    feed(*engine, scan, 0, static_cast<std::uint32_t>(scan.projections.size()));
  }
  const SliceRegion region{10, 20, 40, 50};
  const std::uint32_t xy_row = rng.below(scan.geometry.rows);
  SCOPED_TRACE("xy_row " + std::to_string(xy_row));
  const std::vector<float> xy_before = copy_checked(*gpu, Orthoslice::xy);
  std::vector<float> gpu_images(candidates.size() * region.rows * region.cols,
                                std::numeric_limits<float>::quiet_NaN());
  std::vector<float> cpu_images(gpu_images.size());
  gpu->sweep_processing(xy_row, candidates, region, gpu_images);
  cpu->sweep_processing(xy_row, candidates, region, cpu_images);
  EXPECT_EQ(gpu->params().processing, scan.params.processing);
  EXPECT_LE(relative_max_difference(copy_checked(*gpu, Orthoslice::xy), xy_before), 1e-6);
  const std::size_t pixels = std::size_t{region.rows} * region.cols;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const std::vector<float> g(gpu_images.begin() + c * pixels, gpu_images.begin() + (c + 1) * pixels);
    const std::vector<float> r(cpu_images.begin() + c * pixels, cpu_images.begin() + (c + 1) * pixels);
    EXPECT_LE(relative_max_difference(g, r), refiltered_tolerance(store)) << "candidate " << c;
  }
}

// The sweeps' scan: 17 x 96 pixels, 24 projections of a smooth object with stripes (rings) and zingers, on which the
// float16 store's rounding of the attenuation changes neither what the zinger filter replaces nor how the ring pass
// orders a column (gpu_test_objects.hpp); on a random per-pixel object it does, by up to 8 % of the peak.
RandomScan<std::uint16_t> sweep_scan(Seeded& rng) {
  constexpr std::uint32_t kRows = 17, kCols = 96, kProjections = 24;
  return make_scan<std::uint16_t>(rng, kRows, kCols, kProjections, kProjections,
                                  with_zingers(rng, object_with_stripes(rng, kRows, kCols, kProjections)));
}

class CudaProcessingSweep : public ::testing::TestWithParam<StorePrecision> {};

TEST_P(CudaProcessingSweep, MatchesCpuAndChangesNothing) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  expect_sweeps_match(rng, sweep_scan(rng), GetParam(), sweep_candidates());
}

// Half acquisition: the weights (per column, at the current axis) of every frame of a batch, and the zinger filter,
// ring pass and phase retrieval (both ways) on the detector's columns only.
TEST_P(CudaProcessingSweep, HalfAcquisitionMatchesCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  auto scan = sweep_scan(rng);
  scan.geometry.half_acquisition = {true, 8, 80};
  std::vector<ProcessingParams> candidates = sweep_candidates();
  // Zingers on the window, ring and zinger candidates and on the first phase candidate (which then takes the band
  // path); the other two phase candidates take the retrieved rows (cuda_engine.cpp) on the detector's columns.
  for (std::size_t c = 0; c < 4; ++c) candidates[c].zingers.enabled = true;
  expect_sweeps_match(rng, scan, GetParam(), candidates);
}

// More phase-retrieval candidates than one pass of the retrieved rows takes (PhaseSweepRows::kMaxCandidates): a
// delta/beta sweep of 11 log-spaced values whose bands range from a few rows to the whole detector.
TEST_P(CudaProcessingSweep, ManyPhaseCandidatesMatchCpu) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  std::vector<ProcessingParams> candidates(11);
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    candidates[c].phase.enabled = true;
    candidates[c].phase.distance_m = 0.05;
    candidates[c].phase.delta_over_beta = 0.5 * std::pow(1000.0, static_cast<double>(c) / 10.0);
  }
  expect_sweeps_match(rng, sweep_scan(rng), GetParam(), candidates);
}

std::string store_name(const ::testing::TestParamInfo<StorePrecision>& param) {
  return gpu_testing::precision_name(param.param);
}

INSTANTIATE_TEST_SUITE_P(Stores, CudaOblique, ::testing::Values(StorePrecision::float32, StorePrecision::float16),
                         store_name);
INSTANTIATE_TEST_SUITE_P(Stores, CudaProcessingSweep,
                         ::testing::Values(StorePrecision::float32, StorePrecision::float16), store_name);

}  // namespace
}  // namespace tomolive::kernels
