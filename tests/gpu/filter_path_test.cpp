// Tests of FilterPath (kernels/cuda/src/filter_path.hpp) on the GPU: the filtered projection it writes into a store
// slot, cell by cell, against the CPU engine's preprocessing (compute_attenuation) and FFTW ramp filter
// (CpuRampFilter) on fresh random frames. The store is poisoned (all bytes 0xff: NaN in float32 and float16) first:
// every cell of the slot must be written (padding columns and rows as exact zeros) and the neighbouring slots left
// alone. Both store precisions; the fused path at the widths it takes (odd and even, both ends of 1025..2048), the
// staged path as the fallback for other widths and when asked for. Every test skips where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "corrected_store.hpp"
#include "device_resources.hpp"
#include "filter_path.hpp"
#include "gpu_test_support.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/cpu_preprocess.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

using gpu_testing::Seeded;

// IEEE half (binary16) bits -> float.
float half_to_float(std::uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  const float sign = (bits & 0x8000) != 0 ? -1.f : 1.f;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

// Lane `lane` (row 4 quad + lane) of cell `index` of a store copied to the host.
float cell_lane(const std::vector<unsigned char>& cells, StoreType type, std::uint64_t index, std::uint32_t lane) {
  if (type == StoreType::float32) {
    float value;
    std::memcpy(&value, cells.data() + (index * 4 + lane) * sizeof(float), sizeof value);
    return value;
  }
  std::uint16_t bits;
  std::memcpy(&bits, cells.data() + (index * 4 + lane) * sizeof bits, sizeof bits);
  return half_to_float(bits);
}

struct Case {
  std::uint32_t rows;
  std::uint32_t cols;
  bool staged_only;
  FilterPath::Kind expected;
};

std::string describe(const Case& c, StoreType type) {
  return std::to_string(c.rows) + " x " + std::to_string(c.cols) + ", " + store_type_name(type) + " store, " +
         (c.expected == FilterPath::Kind::fused ? "fused" : "staged") + (c.staged_only ? " (asked for)" : "");
}

// One projection through FilterPath into slot 1 of a 3-slot store, compared cell by cell with the CPU reference.
void expect_path_matches_cpu(Seeded& rng, const Case& c, StoreType type) {
  SCOPED_TRACE(describe(c, type));
  const std::size_t pixels = std::size_t{c.rows} * c.cols;
  std::vector<std::uint16_t> raw(pixels);
  std::vector<float> dark(pixels), flat(pixels);
  for (std::size_t k = 0; k < pixels; ++k) {
    dark[k] = rng.uniform(90.f, 110.f);
    flat[k] = dark[k] + rng.uniform(18000.f, 22000.f);
    raw[k] = static_cast<std::uint16_t>(dark[k] + (flat[k] - dark[k]) * rng.uniform(0.2f, 1.f));
  }
  // Clamped pixels: a zero reading and a dead pixel (flat == dark).
  raw[rng.below(static_cast<std::uint32_t>(pixels))] = 0;
  const std::size_t dead = rng.below(static_cast<std::uint32_t>(pixels));
  flat[dead] = dark[dead];

  std::vector<float> expected(pixels);
  const FrameView frame{raw.data(), PixelType::uint16, c.rows, c.cols};
  const std::uint64_t expected_clamped =
      compute_attenuation(frame, dark.data(), flat.data(), expected.data(), 0, c.rows);
  const std::vector<float> expected_attenuation = expected;
  CpuRampFilter(c.cols).filter_rows(expected.data(), c.rows);

  Stream stream;
  DeviceArray<std::uint16_t> raw_device(pixels);
  DeviceArray<float> dark_device(pixels), flat_device(pixels);
  DeviceArray<unsigned long long> counters(2);  // clamped, zingers replaced
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(raw_device.get(), raw.data(), raw_device.bytes(), cudaMemcpyHostToDevice));
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(dark_device.get(), dark.data(), dark_device.bytes(), cudaMemcpyHostToDevice));
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(flat_device.get(), flat.data(), flat_device.bytes(), cudaMemcpyHostToDevice));
  TOMOLIVE_CUDA_CHECK(cudaMemset(counters.get(), 0, counters.bytes()));
  const StoreLayout layout = StoreLayout::make(3, c.rows, c.cols);
  ProjectionStore store(layout, type);
  TOMOLIVE_CUDA_CHECK(cudaMemset(store.slot_cells(0), 0xff, store.bytes()));

  FilterPath path(layout, c.staged_only, stream.get());
  ASSERT_EQ(path.kind(), c.expected);
  Event raw_consumed, counted;
  FilterPath::Marks marks;
  marks.raw_consumed = raw_consumed.get();
  marks.counted = counted.get();
  CorrectedStore corrected(3, c.rows, c.cols, type);
  path.run(raw_device.get(), PixelType::uint16, dark_device.get(), flat_device.get(), corrected, store, 1,
           {counters.get(), counters.get() + 1, RowRange{}}, marks);
  TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  unsigned long long counts[2] = {};
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(counts, counters.get(), counters.bytes(), cudaMemcpyDeviceToHost));
  EXPECT_EQ(counts[0], expected_clamped);
  EXPECT_EQ(counts[1], 0u) << "no zinger filter ran";

  // The corrected slot: the CPU's attenuation (float16: rounded to nearest, 2^-11 of a value).
  DeviceArray<float> attenuation(pixels);
  corrected.read(1, attenuation.get(), c.cols, stream.get());
  std::vector<float> stored_attenuation(pixels);
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(stored_attenuation.data(), attenuation.get(), attenuation.bytes(),
                                      cudaMemcpyDeviceToHost, stream.get()));
  TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  EXPECT_LE(gpu_testing::relative_max_difference(stored_attenuation, expected_attenuation),
            type == StoreType::float32 ? 1e-6 : 1e-3);
  std::vector<unsigned char> cells(store.bytes());
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(cells.data(), store.cells(), cells.size(), cudaMemcpyDeviceToHost));

  // Slots 0 and 2 untouched (still all 0xff).
  const std::uint64_t slot_bytes = store.bytes() / 3;
  for (const std::uint64_t slot : {0u, 2u}) {
    const auto begin = cells.begin() + static_cast<std::ptrdiff_t>(slot * slot_bytes);
    EXPECT_EQ(std::count(begin, begin + static_cast<std::ptrdiff_t>(slot_bytes), 0xff),
              static_cast<std::ptrdiff_t>(slot_bytes))
        << "slot " << slot << " was written";
  }
  // Slot 1: every value finite, padding exact zeros, filtered values close to the CPU's.
  double difference = 0.0, peak = 0.0;
  std::uint64_t bad = 0;
  const std::uint64_t first_cell = std::uint64_t{layout.quads} * layout.pitch;
  for (std::uint32_t quad = 0; quad < layout.quads; ++quad) {
    for (std::uint32_t col = 0; col < layout.pitch; ++col) {
      for (std::uint32_t lane = 0; lane < 4; ++lane) {
        const std::uint32_t row = 4 * quad + lane;
        const float value = cell_lane(cells, type, first_cell + std::uint64_t{quad} * layout.pitch + col, lane);
        if (row >= c.rows || col >= c.cols) {
          if (value != 0.f && bad++ < 5) ADD_FAILURE() << "padding (" << row << ", " << col << ") holds " << value;
          continue;
        }
        if (!std::isfinite(value) && bad++ < 5) ADD_FAILURE() << "(" << row << ", " << col << ") holds " << value;
        const double reference = expected[std::size_t{row} * c.cols + col];
        difference = std::max(difference, std::fabs(value - reference));
        peak = std::max(peak, std::fabs(reference));
      }
    }
  }
  EXPECT_EQ(bad, 0u);
  // float32: FFT rounding (~1e-6 of the peak); float16: the store's own rounding (2^-11 of a value).
  const double tolerance = type == StoreType::float32 ? 1e-5 : 1e-3;
  EXPECT_LE(difference / peak, tolerance);
  ::testing::Test::RecordProperty(describe(c, type), std::to_string(difference / peak));
}

TEST(FilterPath, ChoosesFusedExactlyForPaddedLength4096) {
  for (std::uint32_t cols = 1; cols <= 4100; ++cols) {
    const bool fused = padded_length(cols) == 4096;
    EXPECT_EQ(FilterPath::choose(cols, false) == FilterPath::Kind::fused, fused) << cols << " cols";
    EXPECT_EQ(FilterPath::choose(cols, true), FilterPath::Kind::staged) << cols << " cols";
  }
  EXPECT_EQ(FilterPath::choose(1025, false), FilterPath::Kind::fused);
  EXPECT_EQ(FilterPath::choose(2048, false), FilterPath::Kind::fused);
  EXPECT_EQ(FilterPath::choose(1024, false), FilterPath::Kind::staged);
  EXPECT_EQ(FilterPath::choose(2049, false), FilterPath::Kind::staged);
}

TEST(FilterPath, FusedPathMatchesCpuAtEveryWidthKind) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  // 7 rows: a full quad and a partial one (rows past the detector stored as zeros).
  for (const std::uint32_t cols : {1025u, 1500u, 2016u, 2047u, 2048u}) {
    for (const StoreType type : {StoreType::float32, StoreType::float16}) {
      expect_path_matches_cpu(rng, {7, cols, false, FilterPath::Kind::fused}, type);
    }
  }
  // One row: a single partial quad.
  expect_path_matches_cpu(rng, {1, 2039, false, FilterPath::Kind::fused}, StoreType::float32);
}

TEST(FilterPath, StagedPathMatchesCpuAsFallbackAndWhenAskedFor) {
  TOMOLIVE_SKIP_WITHOUT_CUDA();
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (const StoreType type : {StoreType::float32, StoreType::float16}) {
    for (const std::uint32_t cols : {101u, 1024u, 2049u}) {  // padded lengths 256, 2048, 8192
      expect_path_matches_cpu(rng, {6, cols, false, FilterPath::Kind::staged}, type);
    }
    expect_path_matches_cpu(rng, {6, 2048, true, FilterPath::Kind::staged}, type);
  }
}

}  // namespace
}  // namespace tomolive::kernels::cuda
