// Counter-based random numbers: every value is a pure function of (key, counter), so a frame's noise does not depend
// on the order in which pixels, rows or frames are generated, nor on the number of threads.
//
// The mixing function is SplitMix64's output function; drawing counters 0, 1, 2, ... of one key is exactly the
// SplitMix64 sequence seeded with the key, a generator that passes BigCrush. Internal to tomolive_sim.
#pragma once

#include <cmath>
#include <cstdint>

namespace tomolive::sim::detail {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A key derived from a seed and up to two labels (e.g. frame kind and frame id).
constexpr std::uint64_t derive_key(std::uint64_t seed, std::uint64_t label, std::uint64_t sub_label = 0) {
  return mix64(mix64(seed + kGolden) ^ mix64((label + 1) * kGolden) ^ mix64(~sub_label * kGolden));
}

class CounterRandom {
 public:
  explicit constexpr CounterRandom(std::uint64_t key) : key_(key) {}

  constexpr std::uint64_t bits(std::uint64_t counter) const { return mix64(key_ + (counter + 1) * kGolden); }

  // Uniform in (0, 1), 53-bit resolution.
  double uniform(std::uint64_t counter) const {
    return (static_cast<double>(bits(counter) >> 11) + 0.5) * 0x1.0p-53;
  }

  // Standard normal, by the inverse of the normal CDF (Acklam's rational approximation, relative error < 1.2e-9) at
  // uniform(counter): no trigonometry, and only the 5% of draws in the tails need a log and a square root.
  double normal(std::uint64_t counter) const { return inverse_normal_cdf(uniform(counter)); }

  static double inverse_normal_cdf(double p) {
    constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                            1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                            6.680131188771972e+01,  -1.328068155288572e+01};
    constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                            -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                            3.754408661907416e+00};
    constexpr double kLow = 0.02425;
    if (p > kLow && p < 1.0 - kLow) {
      const double q = p - 0.5, r = q * q;
      return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
             (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    const double q = std::sqrt(-2.0 * std::log(p < 0.5 ? p : 1.0 - p));
    const double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                     ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    return p < 0.5 ? x : -x;
  }

 private:
  std::uint64_t key_;
};

}  // namespace tomolive::sim::detail
