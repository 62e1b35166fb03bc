// Discrete Fourier transforms of 4, 8 and 16 complex values held in registers, the building blocks of the fused ramp
// filter's 4096-point FFT (fft4096.hpp). __host__ __device__ (TOMOLIVE_HD), so that the host tests run the very
// arithmetic of the kernel (tests/gpu/fft4096_test.cpp).
//
// Convention (FFTW's): Direction::forward computes X[k] = sum_n x[n] exp(-2 pi i n k / N), Direction::inverse the
// same with exp(+2 pi i n k / N), unnormalised. The transforms work in place on arrays in natural order: x[k] holds
// X[k] on return. Every index is a compile-time constant once the loops are unrolled, so the arrays stay in registers
// and multiplications by 1, -1 and +-i cost no arithmetic.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "tomolive/kernels/host_device.hpp"

// Unrolls the next loop in device code (in host code, where the host compiler would warn about the pragma: nothing).
#if defined(__CUDA_ARCH__)
#define TOMOLIVE_UNROLL _Pragma("unroll")
#else
#define TOMOLIVE_UNROLL
#endif

namespace tomolive::kernels::cuda {

// A complex number in single precision; 8-byte aligned so that the kernel moves one with a single 64-bit access.
struct alignas(8) Complex {
  float re = 0.f;
  float im = 0.f;
};

TOMOLIVE_HD inline Complex operator+(Complex a, Complex b) { return {a.re + b.re, a.im + b.im}; }
TOMOLIVE_HD inline Complex operator-(Complex a, Complex b) { return {a.re - b.re, a.im - b.im}; }
TOMOLIVE_HD inline Complex operator*(Complex a, Complex b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
TOMOLIVE_HD inline Complex operator*(Complex a, float s) { return {a.re * s, a.im * s}; }

enum class Direction : std::uint8_t { forward, inverse };

// z * exp(-i pi / 2) = -i z (forward) or z * exp(+i pi / 2) = i z (inverse).
template <Direction D>
TOMOLIVE_HD inline Complex quarter_turn(Complex z) {
  return D == Direction::forward ? Complex{z.im, -z.re} : Complex{-z.im, z.re};
}

// z * exp(-+2 pi i j / 16) for a constant j in 0..15 (- forward, + inverse): no arithmetic for j = 0, 4, 8, 12.
template <Direction D>
TOMOLIVE_HD inline Complex rotate16(Complex z, unsigned j) {
  constexpr float c1 = 0.923879532511286756f;  // cos(pi / 8)
  constexpr float s1 = 0.382683432365089772f;  // sin(pi / 8)
  constexpr float r = 0.707106781186547524f;   // cos(pi / 4)
  // cos and sin of 2 pi j / 16, j = 0..15.
  constexpr float cosines[16] = {1.f, c1, r, s1, 0.f, -s1, -r, -c1, -1.f, -c1, -r, -s1, 0.f, s1, r, c1};
  constexpr float sines[16] = {0.f, s1, r, c1, 1.f, c1, r, s1, 0.f, -s1, -r, -c1, -1.f, -c1, -r, -s1};
  j %= 16;
  if (j == 0) return z;
  if (j == 8) return {-z.re, -z.im};
  if (j == 4) return quarter_turn<D>(z);
  if (j == 12) return quarter_turn<D>({-z.re, -z.im});
  const float s = D == Direction::forward ? -sines[j] : sines[j];
  return z * Complex{cosines[j], s};
}

// In place: (a0, a1, a2, a3) -> its 4-point DFT.
template <Direction D>
TOMOLIVE_HD inline void dft4(Complex& a0, Complex& a1, Complex& a2, Complex& a3) {
  const Complex t0 = a0 + a2;
  const Complex t1 = a0 - a2;
  const Complex t2 = a1 + a3;
  const Complex t3 = quarter_turn<D>(a1 - a3);
  a0 = t0 + t2;
  a1 = t1 + t3;
  a2 = t0 - t2;
  a3 = t1 - t3;
}

// In place, 8 points: two 4-point DFTs of the even and odd samples, combined with exp(-+2 pi i k / 8).
template <Direction D>
TOMOLIVE_HD inline void dft8(Complex (&x)[8]) {
  Complex even[4] = {x[0], x[2], x[4], x[6]};
  Complex odd[4] = {x[1], x[3], x[5], x[7]};
  dft4<D>(even[0], even[1], even[2], even[3]);
  dft4<D>(odd[0], odd[1], odd[2], odd[3]);
TOMOLIVE_UNROLL
  for (unsigned k = 0; k < 4; ++k) {
    const Complex o = rotate16<D>(odd[k], 2 * k);
    x[k] = even[k] + o;
    x[k + 4] = even[k] - o;
  }
}

// In place, 16 points as 4 x 4: n = 4 n1 + n2, k = k1 + 4 k2; 4-point DFTs over n1, twiddles exp(-+2 pi i n2 k1 / 16),
// 4-point DFTs over n2.
template <Direction D>
TOMOLIVE_HD inline void dft16(Complex (&x)[16]) {
TOMOLIVE_UNROLL
  for (unsigned n2 = 0; n2 < 4; ++n2) dft4<D>(x[n2], x[4 + n2], x[8 + n2], x[12 + n2]);
  // x[4 k1 + n2] holds the DFT over n1 at k1.
  Complex y[16];
TOMOLIVE_UNROLL
  for (unsigned k1 = 0; k1 < 4; ++k1) {
    Complex a0 = x[4 * k1], a1 = rotate16<D>(x[4 * k1 + 1], k1), a2 = rotate16<D>(x[4 * k1 + 2], 2 * k1),
            a3 = rotate16<D>(x[4 * k1 + 3], 3 * k1);
    dft4<D>(a0, a1, a2, a3);
    y[k1] = a0;
    y[k1 + 4] = a1;
    y[k1 + 8] = a2;
    y[k1 + 12] = a3;
  }
TOMOLIVE_UNROLL
  for (unsigned k = 0; k < 16; ++k) x[k] = y[k];
}

// exp(2 pi i * fraction) for |fraction| <= 1, accurate to about one ulp (sincospif on the device, double on the host).
TOMOLIVE_HD inline Complex unit_root(float fraction) {
#if defined(__CUDA_ARCH__)
  float s, c;
  sincospif(2.f * fraction, &s, &c);
  return {c, s};
#else
  const double angle = 2.0 * std::numbers::pi * static_cast<double>(fraction);
  return {static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle))};
#endif
}

}  // namespace tomolive::kernels::cuda
