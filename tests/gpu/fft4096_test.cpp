// Host tests of the fused ramp filter's FFT (kernels/cuda/src/fft4096.hpp and small_dft.hpp, __host__ __device__):
// the small DFTs and the 4096-point forward transform against a direct DFT in double precision, the exchange
// patterns (every value moves, no shared-memory bank conflicts), and the whole ramp filter, run pass by pass over 256
// emulated threads exactly in the kernel's order, against the CPU engine's FFTW filter (CpuRampFilter). No GPU needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <cstdint>
#include <numbers>
#include <set>
#include <vector>

#include "fft4096.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

using gpu_testing::relative_max_difference;
using gpu_testing::Seeded;
namespace fft = fft4096;

using Values = Complex[fft::kValues];

// Direct DFT in double precision, sign -1 (forward) or +1 (inverse).
std::vector<std::complex<double>> direct_dft(const std::vector<Complex>& x, int sign) {
  const std::size_t n = x.size();
  std::vector<std::complex<double>> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    std::complex<double> sum = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      const double angle = sign * 2.0 * std::numbers::pi * static_cast<double>((j * k) % n) / static_cast<double>(n);
      sum += std::complex<double>(x[j].re, x[j].im) * std::polar(1.0, angle);
    }
    out[k] = sum;
  }
  return out;
}

// max |a - b| / max |b|.
double relative_error(const std::vector<Complex>& a, const std::vector<std::complex<double>>& b) {
  double diff = 0.0, scale = 0.0;
  for (std::size_t k = 0; k < b.size(); ++k) {
    diff = std::max(diff, std::abs(std::complex<double>(a[k].re, a[k].im) - b[k]));
    scale = std::max(scale, std::abs(b[k]));
  }
  return diff / scale;
}

std::vector<Complex> random_values(Seeded& rng, std::size_t n) {
  std::vector<Complex> x(n);
  for (Complex& v : x) v = {rng.uniform(-1.f, 1.f), rng.uniform(-1.f, 1.f)};
  return x;
}

template <std::size_t N, Direction D>
void expect_small_dft(Seeded& rng, void (*dft)(Complex (&)[N])) {
  const std::vector<Complex> x = random_values(rng, N);
  Complex v[N];
  std::copy(x.begin(), x.end(), v);
  dft(v);
  const auto expected = direct_dft(x, D == Direction::forward ? -1 : 1);
  EXPECT_LT(relative_error(std::vector<Complex>(v, v + N), expected), 1e-6) << N << " points";
}

TEST(Fft4096, SmallDftsEqualDirectDft) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  expect_small_dft<8, Direction::forward>(rng, dft8<Direction::forward>);
  expect_small_dft<8, Direction::inverse>(rng, dft8<Direction::inverse>);
  expect_small_dft<16, Direction::forward>(rng, dft16<Direction::forward>);
  expect_small_dft<16, Direction::inverse>(rng, dft16<Direction::inverse>);
}

// The shared array as the kernel sees it, and its accesses: writes then reads of one exchange, every thread.
struct SharedArray {
  std::vector<Complex> slots = std::vector<Complex>(fft::kSlots);

  void write(std::vector<Values>& threads, fft::Pattern pattern) {
    for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
      for (std::uint32_t j = 0; j < fft::kValues; ++j) {
        slots[fft::slot(fft::logical_index(pattern, t, j))] = threads[t][j];
      }
    }
  }
  void read(std::vector<Values>& threads, fft::Pattern pattern) const {
    for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
      for (std::uint32_t j = 0; j < fft::kValues; ++j) {
        threads[t][j] = slots[fft::slot(fft::logical_index(pattern, t, j))];
      }
    }
  }
};

// The forward transform of x (x[n] = 0 for n >= N / 2, as the zero padding), returned in natural order.
std::vector<Complex> forward_transform(const std::vector<Complex>& x) {
  std::vector<Values> threads(fft::kThreads);
  SharedArray shared;
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
    for (std::uint32_t a = 0; a < fft::kHalfValues; ++a) threads[t][a] = x[256 * a + t];
    fft::forward_pass1(t, threads[t]);
  }
  shared.write(threads, fft::Pattern::by_column);
  shared.read(threads, fft::Pattern::by_middle);
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) fft::forward_pass2(t, threads[t]);
  shared.write(threads, fft::Pattern::by_middle);
  shared.read(threads, fft::Pattern::by_inner);
  std::vector<Complex> spectrum(fft::kLength);
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
    fft::forward_pass3(threads[t]);
    for (std::uint32_t j = 0; j < fft::kValues; ++j) spectrum[fft::spectrum_bin(t, j)] = threads[t][j];
  }
  return spectrum;
}

TEST(Fft4096, ForwardTransformEqualsDirectDft) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  std::vector<Complex> x = random_values(rng, fft::kLength);
  std::fill(x.begin() + fft::kLength / 2, x.end(), Complex{});
  EXPECT_LT(relative_error(forward_transform(x), direct_dft(x, -1)), 2e-6);
}

// Every pattern is a permutation of the N logical indices, the spectrum bins too, and slot() maps them into kSlots
// without collisions; in every pattern the 16 threads of a half-warp touch 16 different 8-byte bank pairs (shared
// memory has 32 banks of 4 bytes; a 64-bit access is served half a warp at a time).
TEST(Fft4096, ExchangePatternsArePermutationsFreeOfBankConflicts) {
  using Index = std::function<std::uint32_t(std::uint32_t, std::uint32_t)>;
  const auto in = [](fft::Pattern pattern) -> Index {
    return [pattern](std::uint32_t t, std::uint32_t j) { return fft::logical_index(pattern, t, j); };
  };
  const std::vector<Index> exchanges = {in(fft::Pattern::by_column), in(fft::Pattern::by_middle),
                                        in(fft::Pattern::by_inner)};
  std::vector<Index> all = exchanges;
  all.push_back(fft::spectrum_bin);
  for (const Index& pattern : all) {
    std::set<std::uint32_t> logical, slots;
    for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
      for (std::uint32_t j = 0; j < fft::kValues; ++j) {
        logical.insert(pattern(t, j));
        slots.insert(fft::slot(pattern(t, j)));
      }
    }
    EXPECT_EQ(logical.size(), fft::kLength);
    EXPECT_EQ(*logical.rbegin(), fft::kLength - 1);
    EXPECT_EQ(slots.size(), fft::kLength);
    EXPECT_LT(*slots.rbegin(), fft::kSlots);
  }
  for (const Index& pattern : exchanges) {
    for (std::uint32_t half_warp = 0; half_warp < fft::kThreads / 16; ++half_warp) {
      for (std::uint32_t j = 0; j < fft::kValues; ++j) {
        std::set<std::uint32_t> bank_pairs;
        for (std::uint32_t t = 16 * half_warp; t < 16 * half_warp + 16; ++t) {
          bank_pairs.insert(fft::slot(pattern(t, j)) % 16);
        }
        EXPECT_EQ(bank_pairs.size(), 16u) << "half-warp " << half_warp << ", value " << j;
      }
    }
  }
}

// The fused kernel's filter of two rows (row0 + i row1), pass by pass in its order, with the same response lookup.
void emulate_ramp_filter_pair(std::vector<float>& row0, std::vector<float>& row1, const std::vector<float>& response) {
  const auto cols = static_cast<std::uint32_t>(row0.size());
  std::vector<Values> threads(fft::kThreads);
  SharedArray shared;
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
    for (std::uint32_t a = 0; a < fft::kHalfValues; ++a) {
      const std::uint32_t col = 256 * a + t;
      threads[t][a] = col < cols ? Complex{row0[col], row1[col]} : Complex{};
    }
    fft::forward_pass1(t, threads[t]);
  }
  shared.write(threads, fft::Pattern::by_column);
  shared.read(threads, fft::Pattern::by_middle);
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) fft::forward_pass2(t, threads[t]);
  shared.write(threads, fft::Pattern::by_middle);
  shared.read(threads, fft::Pattern::by_inner);
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
    fft::forward_pass3(threads[t]);
    for (std::uint32_t j = 0; j < fft::kValues; ++j) {
      const std::uint32_t k = fft::spectrum_bin(t, j);
      threads[t][j] = threads[t][j] * response[std::min(k, fft::kLength - k)];
    }
    fft::inverse_pass1(t, threads[t]);
  }
  shared.write(threads, fft::Pattern::by_inner);
  shared.read(threads, fft::Pattern::by_middle);
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) fft::inverse_pass2(t, threads[t]);
  shared.write(threads, fft::Pattern::by_middle);
  shared.read(threads, fft::Pattern::by_column);
  for (std::uint32_t t = 0; t < fft::kThreads; ++t) {
    fft::inverse_pass3(threads[t]);
    for (std::uint32_t a = 0; a < fft::kHalfValues; ++a) {
      const std::uint32_t col = 256 * a + t;
      if (col < cols) {
        row0[col] = threads[t][a].re;
        row1[col] = threads[t][a].im;
      }
    }
  }
}

// Every width the fused path takes (padded_length 4096: 1025..2048 columns), odd and even, at both ends.
TEST(Fft4096, RampFilterOfTwoRowsEqualsCpuRampFilter) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  const std::vector<float> response = ramp_response(fft::kLength);
  for (const std::uint32_t cols : {1025u, 1111u, 2000u, 2016u, 2047u, 2048u}) {
    SCOPED_TRACE(std::to_string(cols) + " cols");
    ASSERT_EQ(padded_length(cols), fft::kLength);
    std::vector<float> rows(2 * std::size_t{cols});
    for (float& v : rows) v = rng.uniform(0.f, 1.5f);
    std::vector<float> row0(rows.begin(), rows.begin() + cols), row1(rows.begin() + cols, rows.end());
    CpuRampFilter reference(cols, 2);
    reference.filter_rows(rows.data(), 2);
    emulate_ramp_filter_pair(row0, row1, response);
    EXPECT_LT(relative_max_difference(row0, std::vector<float>(rows.begin(), rows.begin() + cols)), 1e-5);
    EXPECT_LT(relative_max_difference(row1, std::vector<float>(rows.begin() + cols, rows.end())), 1e-5);
  }
}

}  // namespace
}  // namespace tomolive::kernels::cuda
