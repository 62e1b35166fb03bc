// Line integrals (LineIntegral, gpu_test_support.hpp) of test objects whose processing is well conditioned: smooth
// objects, on which a zinger or a ring stands out clearly, so that the float16 store's rounding of the attenuation does
// not change what the zinger filter replaces or how the ring pass orders a column (random per-pixel objects do).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <utility>
#include <vector>

#include "gpu_test_support.hpp"

namespace tomolive::kernels::gpu_testing {

// A smooth object whose centre moves across the detector with the projection index (like a sinogram), 0.8 at its
// peak, on top of `floor`; no pixel-to-pixel noise of its own, so that zingers and rings stand out against it.
inline LineIntegral smooth_object(std::uint32_t rows, std::uint32_t cols, std::uint32_t projections) {
  return [=](std::uint32_t k, std::uint32_t r, std::uint32_t c) {
    const float phase = 2.f * std::numbers::pi_v<float> * static_cast<float>(k) / static_cast<float>(projections);
    const float centre = 0.5f * static_cast<float>(cols) * (1.f + 0.3f * std::sin(phase));
    const float width = 0.15f * static_cast<float>(cols);
    const float along = 0.5f + 0.5f * static_cast<float>(r) / static_cast<float>(std::max(rows, 1u));
    const float u = (static_cast<float>(c) - centre) / width;
    return 0.8f * along * std::exp(-u * u);
  };
}

// A narrow cylinder on the detector's centre column (profile 1.5 exp(-u^2), u in units of 4 columns, times the row
// factor of smooth_object), the same in every projection: nearly a consistent object (the axis is within 3 pixels of
// that column), whose slices peak at about 0.2 whatever the detector's width. Why not smooth_object: its slices' peak
// falls with the width (0.8 spread over 0.15 cols: about 0.003 at 1100 columns, and lower still as it moves with k
// while the angles are random), which leaves the noise (~1e-4) at several % of such a peak. Smooth on the scale of a
// 3 x 3 neighbourhood: a pixel's transmission differs from its median's by at most about 15 % (at the peak: 0.09 to the
// next column, 0.05 to the next row; the zinger test's threshold is 30 %), so only the zingers are replaced.
inline LineIntegral central_cylinder(std::uint32_t rows, std::uint32_t cols) {
  return [=](std::uint32_t, std::uint32_t r, std::uint32_t c) {
    const float along = 0.5f + 0.5f * static_cast<float>(r) / static_cast<float>(std::max(rows, 1u));
    const float u = (static_cast<float>(c) - 0.5f * static_cast<float>(cols - 1)) / 4.f;
    return 1.5f * along * std::exp(-u * u);
  };
}

// `object` with bright zingers: about 1 pixel in 150 reads twice its transmission (line integral -0.69).
inline LineIntegral with_zingers(Seeded& rng, LineIntegral object) {
  return [&rng, object = std::move(object)](std::uint32_t k, std::uint32_t r, std::uint32_t c) {
    return rng.below(150) == 0 ? -std::log(2.f) : object(k, r, c);
  };
}

// A quarter of the smooth object of the first projection, the same in every projection, seen through a detector with
// stripes (3 columns read 0.05 more attenuation in every projection: rings), plus 0.02 x rank(k) for a random
// permutation of the projections: within a detector column the projections' values are 0.02 apart, so that both
// engines sort every column the same way (the ring pass's order is a discontinuous function of the values: where the
// engines order two values differently, each gets the smoothed value of the other's rank, 0.02 off). That needs the
// gap far above the noise and a float16 rounding: the attenuation stays below 1.15, where the noise (1e-3 / T) is at
// most 3.2e-3 and a half rounding 4.9e-4 (with the whole object, up to 1.75, the noise reached 5.8e-3 and about one run
// in 25 had enough near-ties to miss the budget); an object that moved with k would bring values of different
// projections together. Phase retrieval keeps the order (it filters exp(-A), and exp(-0.02 rank(k)) is a constant
// factor of projection k), and so do the zinger filter's medians (taken within a projection).
inline LineIntegral object_with_stripes(Seeded& rng, std::uint32_t rows, std::uint32_t cols,
                                        std::uint32_t projections) {
  const LineIntegral object = smooth_object(rows, cols, projections);
  std::vector<std::uint32_t> rank(projections);
  std::iota(rank.begin(), rank.end(), 0u);
  std::shuffle(rank.begin(), rank.end(), rng.gen);
  std::vector<float> stripe(cols, 0.f);
  for (int s = 0; s < 3; ++s) stripe[rng.below(cols)] = 0.05f;
  return [object, rank, stripe](std::uint32_t k, std::uint32_t r, std::uint32_t c) {
    return 0.1f + 0.02f * static_cast<float>(rank[k]) + stripe[c] + 0.25f * object(0, r, c);
  };
}

}  // namespace tomolive::kernels::gpu_testing
