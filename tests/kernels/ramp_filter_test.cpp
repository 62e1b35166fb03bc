// padded_length, ramp_response against a direct DFT, and CpuRampFilter against direct linear convolution.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {
namespace {

// The spatial ramp kernel (Kak & Slaney), in double.
double ramp_kernel(std::int64_t n) {
  if (n == 0) return 0.25;
  if (n % 2 == 0) return 0.0;
  const double pn = std::numbers::pi * static_cast<double>(n);
  return -1.0 / (pn * pn);
}

TEST(PaddedLength, PowerOfTwoAtLeastTwiceColsAndSixtyFour) {
  EXPECT_EQ(padded_length(0), 64u);
  EXPECT_EQ(padded_length(1), 64u);
  EXPECT_EQ(padded_length(32), 64u);
  EXPECT_EQ(padded_length(33), 128u);
  EXPECT_EQ(padded_length(64), 128u);
  EXPECT_EQ(padded_length(100), 256u);
  EXPECT_EQ(padded_length(1024), 2048u);
  EXPECT_EQ(padded_length(2016), 4096u);
  EXPECT_EQ(padded_length(2048), 4096u);
  EXPECT_EQ(padded_length(2049), 8192u);
  EXPECT_EQ(padded_length(std::uint32_t{1} << 30), std::uint32_t{1} << 31);
  EXPECT_THROW(padded_length((std::uint32_t{1} << 30) + 1), std::length_error);
}

// Direct O(n^2) DFT of h(n) over the circular index range, normalised by 1 / padded.
std::vector<double> direct_response(std::uint32_t padded) {
  std::vector<double> response(padded / 2 + 1);
  for (std::uint32_t m = 0; m < response.size(); ++m) {
    double sum = 0.0;
    for (std::uint32_t k = 0; k < padded; ++k) {
      const std::int64_t n = k <= padded / 2 ? std::int64_t{k} : std::int64_t{k} - padded;
      sum += ramp_kernel(n) * std::cos(2.0 * std::numbers::pi * double(m) * double(k) / double(padded));
    }
    response[m] = sum / padded;
  }
  return response;
}

TEST(RampResponse, MatchesDirectDft) {
  for (const std::uint32_t padded : {64u, 128u, 512u}) {
    SCOPED_TRACE("padded " + std::to_string(padded));
    const std::vector<float> response = ramp_response(padded);
    const std::vector<double> expected = direct_response(padded);
    ASSERT_EQ(response.size(), expected.size());
    for (std::size_t m = 0; m < response.size(); ++m) {
      // Absolute in units of the unnormalised response (which peaks near 1/2 at Nyquist).
      EXPECT_NEAR(response[m] * double(padded), expected[m] * double(padded), 2e-6) << "bin " << m;
    }
    // A ramp: rises from ~0 at DC to ~1/2 at Nyquist, monotonically.
    for (std::size_t m = 1; m < response.size(); ++m) EXPECT_GT(response[m], response[m - 1]) << "bin " << m;
    EXPECT_NEAR(response.back() * double(padded), 0.5, 0.01);
  }
}

TEST(RampResponse, DcBinIsSmallAndPositive) {
  for (const std::uint32_t padded : {64u, 256u, 1024u, 4096u}) {
    SCOPED_TRACE("padded " + std::to_string(padded));
    // H(0) = 1/4 - 2 sum over odd n <= padded/2 of 1 / (pi n)^2: the tail of a series summing to 1/4.
    double dc = 0.25;
    for (std::uint32_t n = 1; n <= padded / 2; n += 2) dc -= 2.0 / std::pow(std::numbers::pi * n, 2);
    const float response_dc = ramp_response(padded)[0] * static_cast<float>(padded);
    EXPECT_GT(dc, 0.0);
    EXPECT_LT(dc, 1.0 / padded);
    EXPECT_GT(response_dc, 0.f);
    EXPECT_NEAR(response_dc, dc, 0.02 * dc);
  }
}

TEST(RampResponse, RejectsOddLength) { EXPECT_THROW(ramp_response(63), std::invalid_argument); }

// Linear convolution of each row with h(n), in double, over the unpadded row.
std::vector<double> direct_filter(const std::vector<float>& rows, std::uint32_t cols) {
  std::vector<double> out(rows.size(), 0.0);
  for (std::size_t r = 0; r < rows.size() / cols; ++r) {
    for (std::uint32_t a = 0; a < cols; ++a) {
      double sum = 0.0;
      for (std::uint32_t b = 0; b < cols; ++b) sum += double(rows[r * cols + b]) * ramp_kernel(std::int64_t{a} - b);
      out[r * cols + a] = sum;
    }
  }
  return out;
}

TEST(CpuRampFilter, EqualsDirectLinearConvolution) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  std::uniform_real_distribution<float> value(-1.f, 3.f);
  // Power-of-two and other widths; row counts below, at and above the batch, and not a multiple of it.
  for (const std::uint32_t cols : {1u, 17u, 64u, 100u, 128u}) {
    for (const std::uint32_t count : {1u, 3u, 8u, 13u}) {
      SCOPED_TRACE("cols " + std::to_string(cols) + " rows " + std::to_string(count));
      std::vector<float> rows(std::size_t{count} * cols);
      for (float& v : rows) v = value(rng.gen);
      const std::vector<double> expected = direct_filter(rows, cols);
      CpuRampFilter filter(cols, 4);
      EXPECT_EQ(filter.padded(), padded_length(cols));
      filter.filter_rows(rows.data(), count);
      double diff = 0.0, scale = 0.0;
      for (std::size_t k = 0; k < rows.size(); ++k) {
        diff = std::max(diff, std::fabs(rows[k] - expected[k]));
        scale = std::max(scale, std::fabs(expected[k]));
      }
      EXPECT_LE(diff, 1e-5 * scale);
    }
  }
}

TEST(CpuRampFilter, ConstantRowIsNearlyCancelledInside) {
  // The ramp has (almost) no DC response: far from the edges a constant row filters to ~0 (the truncated kernel
  // leaves a small positive remainder of about 1 / (pi^2 * distance to the edge)).
  std::vector<float> row(128, 1.f);
  CpuRampFilter filter(128);
  filter.filter_rows(row.data(), 1);
  EXPECT_NEAR(row[64], 0.f, 0.01f);
  EXPECT_GT(row[0], 0.1f);  // edges: half of the kernel's negative lobe is missing
}

TEST(CpuRampFilter, RowResultDoesNotDependOnItsBatch) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  std::uniform_real_distribution<float> value(0.f, 1.f);
  const std::uint32_t cols = 96, count = 11;
  std::vector<float> rows(std::size_t{count} * cols);
  for (float& v : rows) v = value(rng.gen);
  std::vector<float> together = rows;
  CpuRampFilter filter(cols, 4);
  filter.filter_rows(together.data(), count);
  // Each block of batch_rows() rows alone, as the engine does.
  std::vector<float> blocks = rows;
  for (std::uint32_t first = 0; first < count; first += 4) {
    filter.filter_rows(blocks.data() + std::size_t{first} * cols, std::min(4u, count - first));
  }
  EXPECT_EQ(together, blocks);
}

TEST(CpuRampFilter, ConcurrentInstancesAgree) {
  // Construction (planning) on several threads at once is serialised by fftw_planner_mutex().
  std::vector<float> reference(64 * 8, 0.f);
  for (std::size_t k = 0; k < reference.size(); ++k) reference[k] = static_cast<float>(k % 7);
  std::vector<float> expected = reference;
  CpuRampFilter(64).filter_rows(expected.data(), 8);
  std::vector<std::vector<float>> results(4, reference);
  {
    std::vector<std::jthread> threads;
    for (auto& r : results) {
      threads.emplace_back([&r] {
        CpuRampFilter filter(64);
        filter.filter_rows(r.data(), 8);
      });
    }
  }
  for (const auto& r : results) EXPECT_EQ(r, expected);
}

TEST(CpuRampFilter, RejectsZeroSizes) {
  EXPECT_THROW(CpuRampFilter(0), std::invalid_argument);
  EXPECT_THROW(CpuRampFilter(16, 0), std::invalid_argument);
}

}  // namespace
}  // namespace tomolive::kernels
