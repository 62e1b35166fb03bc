// The 4096-point complex FFT of the fused ramp filter (fused_ramp_filter.cu), split over 256 threads that hold 16
// values each: three radix-16 passes in registers, the values exchanged through shared memory between passes.
// __host__ __device__ (TOMOLIVE_HD): tests/gpu/fft4096_test.cpp runs the same passes on the host, one "thread" after
// the other, and compares the ramp filter built from them with the CPU engine's FFTW filter.
//
// Decomposition (N = 4096 = 16^3, W_M = exp(-2 pi i / M) forward, its conjugate inverse). A sample index is
// n = 256 a + b with b = 16 c + d, a spectrum index k = k1 + 16 m1 + 256 m2 (a, c, d, k1, m1, m2 in 0..15). Then
//   W_N^(n k) = W_16^(a k1) * W_N^(b k1) * W_16^(c m1) * W_256^(d m1) * W_16^(d m2),
// so the forward transform is: pass 1 (thread b) a 16-point DFT over a, twiddle W_N^(b k1); pass 2 (thread (k1, d)) a
// DFT over c, twiddle W_256^(d m1); pass 3 (thread (k1, m1)) a DFT over d. The spectrum comes out in the order its
// threads hold it (spectrum_bin), which is all a pointwise multiply needs, and the inverse runs the same passes
// backwards (conjugate twiddles), from that order back to natural order: no reordering pass at all.
//
// The ramp filter only transforms zero-padded rows (padded_length: N >= 2 cols, so samples n >= N / 2 are zero, a >= 8)
// and keeps only the first cols <= N / 2 outputs: pass 1 and the last inverse pass use 8-point DFTs on half the data.
//
// Exchanges: value j of thread t moves to or from logical index logical_index(pattern, t, j) of a shared array of N
// complex values, stored at slot(logical) (one spare slot per 16, so that no pattern has shared-memory bank
// conflicts: every half-warp touches 16 distinct 8-byte bank pairs).
#pragma once

#include <cstdint>

#include "small_dft.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels::cuda::fft4096 {

inline constexpr std::uint32_t kLength = 4096;  // N
inline constexpr std::uint32_t kThreads = 256;
inline constexpr std::uint32_t kValues = 16;                       // per thread
inline constexpr std::uint32_t kHalfValues = 8;                    // a < 8: samples n < N / 2
inline constexpr std::uint32_t kSlots = kLength + kLength / 16;   // shared array per transform, Complex values

TOMOLIVE_HD inline std::uint32_t slot(std::uint32_t logical) { return logical + logical / 16; }

// The three exchange patterns: the logical index (into the N values of one transform) of value j of thread t.
enum class Pattern : std::uint8_t {
  by_column,  // 256 j + t: thread t = b holds column b of the 16 x 256 view
  by_middle,  // 256 (t / 16) + 16 j + t % 16
  by_inner,   // 16 t + j: thread t holds 16 consecutive values
};

TOMOLIVE_HD inline std::uint32_t logical_index(Pattern pattern, std::uint32_t t, std::uint32_t j) {
  switch (pattern) {
    case Pattern::by_column: return 256 * j + t;
    case Pattern::by_middle: return 256 * (t / 16) + 16 * j + t % 16;
    case Pattern::by_inner: return 16 * t + j;
  }
  return 0;
}

// The spectrum index k whose value thread t holds in v[j] after forward_pass3 (and reads in inverse_pass1).
TOMOLIVE_HD inline std::uint32_t spectrum_bin(std::uint32_t t, std::uint32_t j) {
  return t / 16 + 16 * (t % 16) + 256 * j;
}

namespace detail {

// v[j] *= first * step^j for every j (first: nullptr for 1). The powers come from a running product, so that only
// two twiddles are live at a time (registers); its rounding grows with j, to about 15 ulp.
TOMOLIVE_HD inline void twiddle(Complex (&v)[kValues], const Complex* first, Complex step) {
  Complex w = step;
  if (first != nullptr) {
    v[0] = v[0] * *first;
    w = *first * step;
  }
  TOMOLIVE_UNROLL
  for (unsigned j = 1; j < kValues; ++j) {
    v[j] = v[j] * w;
    if (j + 1 < kValues) w = w * step;
  }
}

// exp(-+2 pi i e / N) (forward -, inverse +).
template <Direction D>
TOMOLIVE_HD inline Complex root(std::uint32_t e) {
  const float fraction = static_cast<float>(e % kLength) / static_cast<float>(kLength);
  return unit_root(D == Direction::forward ? -fraction : fraction);
}

}  // namespace detail

// Pass 1, thread t = b. On entry v[a] = x[256 a + b] for a < 8 (v[8..15] are not read: the zero padding); on return
// v[k1] = W_N^(b k1) * sum_a x[256 a + b] W_16^(a k1). A 16-point DFT of which half the inputs are zero: the even
// outputs are the 8-point DFT of the inputs, the odd ones that of the inputs times W_16^a.
TOMOLIVE_HD inline void forward_pass1(std::uint32_t t, Complex (&v)[kValues]) {
  Complex even[8], odd[8];
  TOMOLIVE_UNROLL
  for (unsigned a = 0; a < 8; ++a) {
    even[a] = v[a];
    odd[a] = rotate16<Direction::forward>(v[a], a);
  }
  dft8<Direction::forward>(even);
  dft8<Direction::forward>(odd);
  TOMOLIVE_UNROLL
  for (unsigned m = 0; m < 8; ++m) {
    v[2 * m] = even[m];
    v[2 * m + 1] = odd[m];
  }
  detail::twiddle(v, nullptr, detail::root<Direction::forward>(t));
}

// Pass 2, thread t = (k1, d) = (t / 16, t % 16). On entry v[c] = pass 1's value k1 of thread 16 c + d; on return
// v[m1] = W_256^(d m1) * sum_c v[c] W_16^(c m1).
TOMOLIVE_HD inline void forward_pass2(std::uint32_t t, Complex (&v)[kValues]) {
  dft16<Direction::forward>(v);
  detail::twiddle(v, nullptr, detail::root<Direction::forward>(16 * (t % 16)));
}

// Pass 3, thread t = (k1, m1). On entry v[d] = pass 2's value m1 of thread (k1, d); on return v[m2] = X[k],
// k = spectrum_bin(t, m2).
TOMOLIVE_HD inline void forward_pass3(Complex (&v)[kValues]) { dft16<Direction::forward>(v); }

// The inverse passes undo the forward ones in reverse order, with conjugate twiddles (unnormalised, as FFTW's
// FFTW_BACKWARD: forward then inverse multiplies by N).

// Inverse pass 1, thread t = (k1, m1): v[m2] = spectrum at spectrum_bin(t, m2) -> v[d] =
// W_256^-(d m1) * sum_m2 v[m2] W_16^-(d m2).
TOMOLIVE_HD inline void inverse_pass1(std::uint32_t t, Complex (&v)[kValues]) {
  dft16<Direction::inverse>(v);
  detail::twiddle(v, nullptr, detail::root<Direction::inverse>(16 * (t % 16)));
}

// Inverse pass 2, thread t = (k1, d): v[m1] = inverse pass 1's value d of thread (k1, m1) -> v[c] =
// W_N^-((16 c + d) k1) * sum_m1 v[m1] W_16^-(c m1).
TOMOLIVE_HD inline void inverse_pass2(std::uint32_t t, Complex (&v)[kValues]) {
  dft16<Direction::inverse>(v);
  const std::uint32_t k1 = t / 16, d = t % 16;
  const Complex first = detail::root<Direction::inverse>(d * k1);
  detail::twiddle(v, &first, detail::root<Direction::inverse>(16 * k1));
}

// Inverse pass 3, thread t = b: v[k1] = inverse pass 2's value c = b / 16 of thread (k1, b % 16) -> v[a] =
// x[256 a + b] for a < 8 (v[8..15] are left undefined: the outputs past N / 2 that the filter drops). The 16-point
// inverse DFT's first 8 outputs: the 8-point inverse DFT of the even inputs plus W_16^-a times that of the odd ones.
TOMOLIVE_HD inline void inverse_pass3(Complex (&v)[kValues]) {
  Complex even[8], odd[8];
  TOMOLIVE_UNROLL
  for (unsigned m = 0; m < 8; ++m) {
    even[m] = v[2 * m];
    odd[m] = v[2 * m + 1];
  }
  dft8<Direction::inverse>(even);
  dft8<Direction::inverse>(odd);
  TOMOLIVE_UNROLL
  for (unsigned a = 0; a < 8; ++a) v[a] = even[a] + rotate16<Direction::inverse>(odd[a], a);
}

}  // namespace tomolive::kernels::cuda::fft4096
