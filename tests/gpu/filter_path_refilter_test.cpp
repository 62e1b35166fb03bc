// Tests of FilterPath::refilter's batches (kernels/cuda/src/filter_path.hpp) on the GPU: a path whose re-filter budget
// makes batches of 3 frames (phase retrieval in sub-batches of 1) re-filters 8 occupied slots of 9 (batches of 3, 3
// and 2: two batch boundaries and a partial batch; a hole in the slot list), and a path of the default budget (one
// batch of 9 frames, phase retrieval too, 8 of them used), exactly as a path that takes one frame at a time
// (budget 0), for every
// processing step that looks across rows, columns or slots: zingers (a low threshold, so that most pixels take their
// median and a neighbourhood reaching into the neighbouring frame of the batch would change the frame's edge rows;
// spikes on every frame's first and last row), the ring pass, phase retrieval, the axis tilt rotation and
// half-acquisition weights. Without steps the batched re-filter is also checked against the CPU's FFTW ramp filter
// (CpuRampFilter), so that both paths are not wrong alike in the store's slot handling. Both store precisions. Every
// test skips where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "corrected_store.hpp"
#include "device_resources.hpp"
#include "filter_path.hpp"
#include "gpu_test_support.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;

constexpr std::uint32_t kSlots = 9, kRows = 6, kCols = 101;
const std::vector<std::uint32_t> kOccupied = {0, 1, 2, 4, 5, 6, 7, 8};  // slot 3 never written
constexpr std::uint32_t kBatch = 3;

// A path's re-filter budget and the batches it must make of it.
struct Budget {
  std::uint64_t bytes;
  std::uint32_t batch;
  std::uint32_t phase_batch;
};

// What one re-filter left: the stored slots as floats (kSlots x kRows x kCols) and the counters.
struct Result {
  std::vector<float> values;
  unsigned long long clamped = 0;
  unsigned long long zingers = 0;
};

// Corrected frames (attenuation) of every slot: random values around 0.8, a ring (a per-column offset shared by
// every frame), and on each frame's first and last rows a spike (a zinger) at a random column.
std::vector<float> corrected_frames(Seeded& rng) {
  std::vector<float> ring(kCols);
  for (float& offset : ring) offset = rng.uniform(-0.05f, 0.05f);
  std::vector<float> frames(std::size_t{kSlots} * kRows * kCols);
  for (std::uint32_t s = 0; s < kSlots; ++s) {
    float* frame = frames.data() + std::size_t{s} * kRows * kCols;
    for (std::uint32_t r = 0; r < kRows; ++r) {
      for (std::uint32_t c = 0; c < kCols; ++c) frame[r * kCols + c] = rng.uniform(0.3f, 1.3f) + ring[c];
    }
    frame[rng.below(kCols)] += 3.f;
    frame[(kRows - 1) * kCols + rng.below(kCols)] += 3.f;
  }
  return frames;
}

// Re-filters kOccupied from a corrected store holding `frames` with a path of re-filter budget `budget`, configured
// with the given processing, into a store poisoned with NaN.
Result refilter(const std::vector<float>& frames, StoreType type, const Budget& budget,
                const ProcessingParams& processing, const HalfAcquisition& half, const AxisTiltRotation& rotation) {
  Stream stream;
  const StoreLayout layout = StoreLayout::make(kSlots, kRows, kCols);
  CorrectedStore corrected(kSlots, kRows, kCols, type);
  DeviceArray<float> frame(std::size_t{kRows} * kCols);
  for (const std::uint32_t slot : kOccupied) {
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(frame.get(), frames.data() + std::size_t{slot} * kRows * kCols,
                                        frame.bytes(), cudaMemcpyHostToDevice, stream.get()));
    corrected.write(slot, frame.get(), kCols, stream.get());
  }
  ProjectionStore store(layout, type);
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(store.slot_cells(0), 0xff, store.bytes(), stream.get()));
  DeviceArray<unsigned long long> counters(2);  // clamped, zingers replaced
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(counters.get(), 0, counters.bytes(), stream.get()));

  FilterPath path(layout, true, stream.get(), budget.bytes);
  EXPECT_EQ(path.refilter_batch(), budget.batch);
  EXPECT_EQ(path.refilter_phase_batch(), budget.phase_batch);
  path.configure(processing, half, 40.f, rotation);
  path.refilter(corrected, store, kOccupied, {counters.get(), counters.get() + 1, RowRange{}});

  Result result;
  DeviceArray<float> values(std::size_t{kSlots} * kRows * kCols);
  store.read(SlotBatch{nullptr, 0, kSlots}, values.get(), kCols, stream.get());
  result.values.resize(values.size());
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(result.values.data(), values.get(), values.bytes(), cudaMemcpyDeviceToHost,
                                      stream.get()));
  unsigned long long counts[2] = {};
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(counts, counters.get(), counters.bytes(), cudaMemcpyDeviceToHost, stream.get()));
  TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  result.clamped = counts[0];
  result.zingers = counts[1];
  return result;
}

// The occupied slots' values of a result (slot 3, never written, left out).
std::vector<float> occupied_values(const Result& result) {
  std::vector<float> values;
  for (const std::uint32_t slot : kOccupied) {
    const auto begin = result.values.begin() + static_cast<std::ptrdiff_t>(std::size_t{slot} * kRows * kCols);
    values.insert(values.end(), begin, begin + kRows * kCols);
  }
  return values;
}

// The slot never re-filtered still holds the poison (NaN, every bit set).
void expect_hole_untouched(const Result& result) {
  const auto begin = result.values.begin() + static_cast<std::ptrdiff_t>(std::size_t{3} * kRows * kCols);
  EXPECT_TRUE(std::all_of(begin, begin + kRows * kCols, [](float v) { return std::isnan(v); })) << "slot 3 was written";
}

// One frame at a time.
constexpr Budget kOneFrame{0, 1, 1};

// The budget that makes batches of kBatch frames (less than one frame's phase retrieval: sub-batches of 1).
Budget small_budget() {
  const Budget budget{kBatch * ProjectionProcessor::frame_bytes(kRows, kCols), kBatch, 1};
  EXPECT_LT(budget.bytes, PaganinFilter::estimate_bytes(kRows, kCols, 1));
  return budget;
}

// The default budget: every slot in one batch, phase retrieval included.
constexpr Budget kDefault{FilterPath::kRefilterBudgetBytes, kSlots, kSlots};

struct StepCase {
  std::string name;
  ProcessingParams processing;
  HalfAcquisition half;
  AxisTiltRotation rotation;
};

std::vector<StepCase> step_cases() {
  std::vector<StepCase> cases;
  ProcessingParams zingers;
  zingers.zingers.enabled = true;
  zingers.zingers.threshold = 0.02f;
  cases.push_back({"zingers", zingers, {}, {}});
  ProcessingParams rings = zingers;
  rings.rings.enabled = true;
  rings.rings.size = 5;
  cases.push_back({"zingers_and_rings", rings, {}, {}});
  ProcessingParams phase;
  phase.phase.enabled = true;
  phase.phase.delta_over_beta = 200.0;
  phase.phase.distance_m = 0.5;
  cases.push_back({"phase", phase, {}, {}});
  cases.push_back({"tilt_rotation_and_zingers", zingers, {},
                   axis_tilt_rotation(EngineRows::whole(kRows), kCols, 2.f)});
  ProcessingParams hamming;
  hamming.window = FilterWindow::hamming;
  cases.push_back({"half_acquisition", hamming, {true, 10, 80}, {}});
  ProcessingParams all = rings;
  all.phase = phase.phase;
  all.window = FilterWindow::shepp_logan;
  cases.push_back({"every_step_half_acquisition", all, {true, 10, 80}, {}});
  return cases;
}

TEST(FilterPathRefilter, BatchesEqualOneFrameAtATime) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::vector<float> frames = corrected_frames(rng);
  for (const StoreType type : {StoreType::float32, StoreType::float16}) {
    for (const StepCase& c : step_cases()) {
      SCOPED_TRACE(c.name + ", " + store_type_name(type) + " store");
      const Result single = refilter(frames, type, kOneFrame, c.processing, c.half, c.rotation);
      expect_hole_untouched(single);
      const std::vector<float> reference = occupied_values(single);
      ASSERT_TRUE(std::all_of(reference.begin(), reference.end(), [](float v) { return !std::isnan(v); }));
      if (c.processing.zingers.enabled) {
        // At least the spikes on every frame's edge rows were replaced.
        EXPECT_GE(single.zingers, 2 * kOccupied.size());
      }
      for (const Budget& budget : {small_budget(), kDefault}) {
        SCOPED_TRACE("batches of " + std::to_string(budget.batch));
        const Result batched = refilter(frames, type, budget, c.processing, c.half, c.rotation);
        expect_hole_untouched(batched);
        // Only cuFFT's batch counts differ: float32 rounding, and float16 values rounded the other way at most.
        EXPECT_LE(relative_max_difference(occupied_values(batched), reference),
                  type == StoreType::float32 ? 1e-5 : 1e-3);
        EXPECT_EQ(batched.zingers, single.zingers);
        EXPECT_EQ(batched.clamped, single.clamped);
      }
    }
  }
}

TEST(FilterPathRefilter, BatchesWithoutStepsMatchCpuRampFilter) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::vector<float> frames = corrected_frames(rng);
  std::vector<float> expected;
  CpuRampFilter ramp(kCols);
  for (const std::uint32_t slot : kOccupied) {
    std::vector<float> frame(frames.begin() + static_cast<std::ptrdiff_t>(std::size_t{slot} * kRows * kCols),
                             frames.begin() + static_cast<std::ptrdiff_t>(std::size_t{slot + 1} * kRows * kCols));
    ramp.filter_rows(frame.data(), kRows);
    expected.insert(expected.end(), frame.begin(), frame.end());
  }
  const Result batched = refilter(frames, StoreType::float32, small_budget(), {}, {}, {});
  expect_hole_untouched(batched);
  // float32 store: the corrected store's values are the frames; FFT rounding (~1e-6 of the peak).
  EXPECT_LE(relative_max_difference(occupied_values(batched), expected), 1e-5);
  EXPECT_EQ(batched.zingers, 0u);
  EXPECT_EQ(batched.clamped, 0u);
}

}  // namespace
}  // namespace tomolive::kernels::cuda
