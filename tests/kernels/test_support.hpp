// Helpers shared by the kernels tests: seeded random generators, slice comparison, analytic sinograms.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::testing {

// A generator seeded from std::random_device; the seed goes into every failure message of the test through
// SCOPED_TRACE (declare `Seeded rng;` then `SCOPED_TRACE(rng.trace());`).
struct Seeded {
  std::uint32_t seed = std::random_device{}();
  std::mt19937 gen{seed};
  std::string trace() const { return "random seed " + std::to_string(seed); }
};

// Expects call() to throw an EngineError whose message contains `needle`.
inline void expect_engine_error(const std::function<void()>& call, const std::string& needle) {
  try {
    call();
    ADD_FAILURE() << "no EngineError; expected one mentioning \"" << needle << "\"";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

// sqrt(sum (a - b)^2 / sum b^2) (sum (a - b)^2 when b is all zero).
inline double relative_rmse(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  double error = 0.0, norm = 0.0;
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
    const double d = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    error += d * d;
    norm += static_cast<double>(b[k]) * static_cast<double>(b[k]);
  }
  return norm > 0.0 ? std::sqrt(error / norm) : error;
}

// max |a - b| / max |b|.
inline double relative_max_difference(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0.0, scale = 0.0;
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k])));
    scale = std::max(scale, std::fabs(static_cast<double>(b[k])));
  }
  return scale > 0.0 ? diff / scale : diff;
}

inline void expect_all_finite(std::span<const float> values, const std::string& what) {
  const auto bad = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
  EXPECT_EQ(bad, values.end()) << what << ": value at index " << (bad - values.begin()) << " is not finite";
}

// A slice copied out of an engine, with its shape checked.
struct Slice {
  std::uint32_t rows = 0, cols = 0;
  std::vector<float> values;
  float at(std::uint32_t i, std::uint32_t j) const { return values[std::size_t{i} * cols + j]; }
  // (row, col) of the largest value.
  std::pair<std::uint32_t, std::uint32_t> argmax() const {
    const auto k = static_cast<std::size_t>(std::max_element(values.begin(), values.end()) - values.begin());
    return {static_cast<std::uint32_t>(k / cols), static_cast<std::uint32_t>(k % cols)};
  }
};

inline Slice copy_slice(const Engine& engine, Orthoslice which, std::uint32_t expected_rows,
                        std::uint32_t expected_cols) {
  Slice s;
  std::tie(s.rows, s.cols) = engine.slice_shape(which);
  EXPECT_EQ(s.rows, expected_rows);
  EXPECT_EQ(s.cols, expected_cols);
  s.values.resize(std::size_t{s.rows} * s.cols);
  engine.copy_slice(which, s.values);
  expect_all_finite(s.values, "slice " + std::to_string(static_cast<int>(which)));
  return s;
}

struct SliceSet {
  Slice xy, xz, yz;
};

inline SliceSet copy_slices(const Engine& engine, const ScanGeometry& g) {
  return {copy_slice(engine, Orthoslice::xy, g.cols, g.cols), copy_slice(engine, Orthoslice::xz, g.rows, g.cols),
          copy_slice(engine, Orthoslice::yz, g.rows, g.cols)};
}

inline FrameView float_frame(const std::vector<float>& values, std::uint32_t rows, std::uint32_t cols) {
  return FrameView{values.data(), PixelType::float32, rows, cols};
}

inline FrameView uint16_frame(const std::vector<std::uint16_t>& values, std::uint32_t rows, std::uint32_t cols) {
  return FrameView{values.data(), PixelType::uint16, rows, cols};
}

}  // namespace tomolive::kernels::testing
