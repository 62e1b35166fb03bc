// Helpers of the GPU tests: random scans (raw frames around a flat level, darks, flats, angles), feeding them to an
// engine, and comparing slices copied out of two engines.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <numbers>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tomolive/kernels/cuda_engine.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

#include "../kernels/test_support.hpp"

namespace tomolive::kernels {

// Test names and values print as "float32" / "float16" / "automatic".
inline void PrintTo(StorePrecision store, std::ostream* out) {
  *out << (store == StorePrecision::float16 ? "float16" : store == StorePrecision::float32 ? "float32" : "automatic");
}

}  // namespace tomolive::kernels

namespace tomolive::kernels::gpu_testing {

// Q2 budgets of ../shared/targets.md: CUDA vs CPU engine, max relative difference of a slice.
inline constexpr double kFloat32Tolerance = 1e-3;
inline constexpr double kFloat16Tolerance = 5e-3;

inline double tolerance(StorePrecision store) {
  return store == StorePrecision::float16 ? kFloat16Tolerance : kFloat32Tolerance;
}

// "float16" or "float32": a store's name in plans and in parameterised test names.
inline std::string precision_name(StorePrecision store) {
  return store == StorePrecision::float16 ? "float16" : "float32";
}

// Skips the test, with the reason, where no CUDA device is usable.
#define TOMOLIVE_SKIP_WITHOUT_CUDA()                                                    \
  do {                                                                                  \
    if (const auto tomolive_reason_ = ::tomolive::kernels::cuda_unavailable_reason()) { \
      GTEST_SKIP() << "no usable CUDA device: " << *tomolive_reason_;                   \
    }                                                                                   \
  } while (false)

// A generator seeded from the clock: every run draws fresh inputs; the seed is in every failure message
// (SCOPED_TRACE(rng.trace())). To replay a failure, set TOMOLIVE_TEST_SEED to the printed seed (decimal): every
// Seeded then starts from it, e.g. `TOMOLIVE_TEST_SEED=4734251 gpu_test --gtest_filter=CudaEngine.OddShapes*`.
// Not std::random_device: libstdc++ implements it with arc4random, which needs glibc 2.36, and the packed test must
// also run on the GPU machine's possibly older glibc.
inline std::uint32_t test_seed() {
  if (const char* fixed = std::getenv("TOMOLIVE_TEST_SEED"); fixed != nullptr && *fixed != '\0') {
    return static_cast<std::uint32_t>(std::strtoul(fixed, nullptr, 10));
  }
  return static_cast<std::uint32_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
}

struct Seeded {
  std::uint32_t seed = test_seed();
  std::mt19937 gen{seed};
  std::string trace() const { return "random seed " + std::to_string(seed); }
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
  std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(gen); }
};

// Raw frames of one pixel type, row-major rows x cols.
template <class T>
using Frames = std::vector<std::vector<T>>;

template <class T>
struct RandomScan {
  ScanGeometry geometry;
  ReconParams params;
  Frames<T> darks, flats, projections;
  std::vector<float> angles_rad;  // one per projection
};

// Counts that fit the pixel type: dark and flat level of the simulated detector.
template <class T>
struct Levels {
  static constexpr float dark = 100.f, flat = 20000.f, noise = 20.f;
};
template <>
struct Levels<std::uint8_t> {
  static constexpr float dark = 5.f, flat = 240.f, noise = 1.f;
};
template <>
struct Levels<float> {
  static constexpr float dark = 0.01f, flat = 1.f, noise = 0.001f;
};

template <class T>
T to_pixel(float counts) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(counts);
  } else {
    const float hi = static_cast<float>(std::numeric_limits<T>::max());
    return static_cast<T>(std::lround(std::clamp(counts, 0.f, hi)));
  }
}

// Line integral (attenuation, dimensionless) that projection k shows at detector pixel (row, col).
using LineIntegral = std::function<float(std::uint32_t k, std::uint32_t row, std::uint32_t col)>;

// A scan of `projections` frames at random angles in [0, pi) with a random center offset and random slice positions,
// each frame showing `line_integral` through a detector with noise, a per-pixel gain (divided out by the flats), dead
// pixels and a zero reading per frame (see make_random_scan for why those are kept off the axial slice's row).
template <class T>
RandomScan<T> make_scan(Seeded& rng, std::uint32_t rows, std::uint32_t cols, std::uint32_t slots,
                        std::uint32_t projections, const LineIntegral& line_integral, std::uint32_t darks = 3,
                        std::uint32_t flats = 3);

// make_scan with a random object: random attenuation per pixel (line integrals 1.5 r^2 in [0, 1.5], r uniform in
// [0, 1]) confined to the central 40% of the columns; the outer columns see the open beam with noise only, as beside
// a sample narrower than the field. The engines sample the detector's edges by one continuous rule
// (detector_sampling.hpp), so the slices are compared whole, corners past the detector's edges included. A few pixels
// read 0 and a few flat pixels equal their dark, to exercise the clamping (dead pixels need at least one dark and one
// flat); they are kept off the axial slice's detector row (none on a one-row detector), since a clamped value
// (-log 1e-6 = 13.8) would dominate that row's filtered samples. Without flats the gain is 1 (see below).
template <class T>
RandomScan<T> make_random_scan(Seeded& rng, std::uint32_t rows, std::uint32_t cols, std::uint32_t slots,
                               std::uint32_t projections, std::uint32_t darks = 3, std::uint32_t flats = 3) {
  const auto object_begin = static_cast<std::uint32_t>(0.3f * static_cast<float>(cols));
  const auto object_end = static_cast<std::uint32_t>(0.7f * static_cast<float>(cols));
  // 1.5 r^2: line integrals in [0, 1.5] with mean 0.5 (uniform: 0.75) and about the same spread (0.45).
  const LineIntegral object = [&](std::uint32_t, std::uint32_t, std::uint32_t c) {
    const float draw = rng.uniform(0.f, 1.f);
    return (c >= object_begin && c < object_end) ? 1.5f * draw * draw : 0.f;
  };
  return make_scan<T>(rng, rows, cols, slots, projections, object, darks, flats);
}

template <class T>
RandomScan<T> make_scan(Seeded& rng, std::uint32_t rows, std::uint32_t cols, std::uint32_t slots,
                        std::uint32_t projections, const LineIntegral& line_integral, std::uint32_t darks,
                        std::uint32_t flats) {
  using L = Levels<T>;
  RandomScan<T> scan;
  scan.geometry = {rows, cols, slots, std::numbers::pi_v<float> / static_cast<float>(slots), {}, {}};
  scan.params.center_offset_px = rng.uniform(-3.f, 3.f);
  // The dead pixels below exercise the clamping, and the fused arrival path serves scans without pixel repairs: the
  // defective-pixel repair has tests of its own (cuda_defective_pixels_test).
  scan.params.processing.defective_pixels.enabled = false;
  scan.params.slices = {rng.below(rows), rng.uniform(-0.3f, 0.3f) * static_cast<float>(cols),
                        rng.uniform(-0.3f, 0.3f) * static_cast<float>(cols)};
  const std::size_t pixels = std::size_t{rows} * cols;
  std::normal_distribution<float> noise(0.f, L::noise);
  std::vector<float> gain(pixels);
  for (float& g : gain) g = rng.uniform(0.9f, 1.1f);
  // Without flats the engines take a flat of 1 everywhere and cannot divide a per-pixel gain out: the open beam would
  // read as attenuation of +-0.1 (the gains are drawn all the same: one sequence of draws for every scan).
  if (flats == 0) std::fill(gain.begin(), gain.end(), 1.f);
  // Dead pixels: every dark and flat frame reads the same value there, so flat == dark (clamped, counted).
  // A pixel drawn on the axial slice's row moves to the next row; on a one-row detector there are none (npos).
  const std::uint32_t xy_row = scan.params.slices.xy_row;
  const auto off_axial_row = [&](std::size_t p) {
    if (p / cols != xy_row) return p;
    return rows == 1 ? std::size_t(-1) : (std::size_t{(xy_row + 1) % rows} * cols + p % cols);
  };
  std::vector<std::size_t> dead(3);
  for (auto& d : dead) d = off_axial_row(rng.below(static_cast<std::uint32_t>(pixels)));

  for (std::uint32_t k = 0; k < darks; ++k) {
    std::vector<T> frame(pixels);
    for (std::size_t p = 0; p < pixels; ++p) frame[p] = to_pixel<T>(L::dark + noise(rng.gen));
    for (const std::size_t d : dead) {
      if (d < pixels) frame[d] = to_pixel<T>(L::dark);
    }
    scan.darks.push_back(std::move(frame));
  }
  for (std::uint32_t k = 0; k < flats; ++k) {
    std::vector<T> frame(pixels);
    for (std::size_t p = 0; p < pixels; ++p) {
      frame[p] = to_pixel<T>(L::dark + (L::flat - L::dark) * gain[p] + noise(rng.gen));
    }
    for (const std::size_t d : dead) {
      if (d < pixels) frame[d] = to_pixel<T>(L::dark);
    }
    scan.flats.push_back(std::move(frame));
  }
  for (std::uint32_t k = 0; k < projections; ++k) {
    std::vector<T> frame(pixels);
    for (std::uint32_t r = 0; r < rows; ++r) {
      for (std::uint32_t c = 0; c < cols; ++c) {
        const std::size_t p = std::size_t{r} * cols + c;
        const float attenuation = line_integral(k, r, c);  // before the noise: random draws in a fixed order
        frame[p] = to_pixel<T>(L::dark + (L::flat - L::dark) * gain[p] * std::exp(-attenuation) + noise(rng.gen));
      }
    }
    if (const std::size_t zero = off_axial_row(rng.below(static_cast<std::uint32_t>(pixels))); zero < pixels) {
      frame[zero] = to_pixel<T>(0.f);
    }
    scan.projections.push_back(std::move(frame));
    scan.angles_rad.push_back(rng.uniform(0.f, std::numbers::pi_v<float>));
  }
  return scan;
}

template <class T>
constexpr PixelType pixel_type_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>) return PixelType::uint8;
  if constexpr (std::is_same_v<T, std::uint16_t>) return PixelType::uint16;
  if constexpr (std::is_same_v<T, std::uint32_t>) return PixelType::uint32;
  return PixelType::float32;
}

template <class T>
FrameView view(const std::vector<T>& frame, const ScanGeometry& g) {
  return FrameView{frame.data(), pixel_type_of<T>(), g.rows, g.cols};
}

// begin_scan, then every dark and flat.
template <class T>
void begin(Engine& engine, const RandomScan<T>& scan) {
  engine.begin_scan(scan.geometry, scan.params);
  for (const auto& d : scan.darks) engine.add_dark(view(d, scan.geometry));
  for (const auto& f : scan.flats) engine.add_flat(view(f, scan.geometry));
}

// Projections [first, first + count) into slots k % slots; returns each one's counts.
template <class T>
std::vector<ProjectionStats> feed_with_stats(Engine& engine, const RandomScan<T>& scan, std::uint32_t first,
                                             std::uint32_t count) {
  std::vector<ProjectionStats> stats;
  for (std::uint32_t k = first; k < first + count; ++k) {
    stats.push_back(engine.add_projection(k % scan.geometry.slots, scan.angles_rad[k],
                                          view(scan.projections[k], scan.geometry)));
  }
  return stats;
}

// As feed_with_stats; returns each projection's clamped count.
template <class T>
std::vector<std::uint64_t> feed(Engine& engine, const RandomScan<T>& scan, std::uint32_t first, std::uint32_t count) {
  std::vector<std::uint64_t> clamped;
  for (const ProjectionStats& stats : feed_with_stats(engine, scan, first, count)) {
    clamped.push_back(stats.clamped_values);
  }
  return clamped;
}

// A slice copied out through an output poisoned with NaN, checked to be fully written (every value finite).
inline std::vector<float> copy_checked(const Engine& engine, Orthoslice which) {
  const auto [rows, cols] = engine.slice_shape(which);
  std::vector<float> values(std::size_t{rows} * cols, std::numeric_limits<float>::quiet_NaN());
  engine.copy_slice(which, values);
  const auto bad = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
  EXPECT_EQ(bad, values.end()) << engine.name() << " slice " << static_cast<int>(which) << ": value "
                               << (bad - values.begin()) << " of " << values.size() << " not written or not finite";
  return values;
}

using testing::relative_max_difference;  // max |a - b| / max |b| (tests/kernels/test_support.hpp)

inline const char* slice_name(Orthoslice s) {
  return s == Orthoslice::xy ? "xy" : s == Orthoslice::xz ? "xz" : "yz";
}

// Expects slice `s` of `tested` (t) within `tolerance` of `reference`'s (r): the relative max difference over the whole
// slice, and r non-zero somewhere.
inline void expect_slice_close(Orthoslice s, const std::vector<float>& t, const std::vector<float>& r,
                               std::uint32_t cols, double tolerance, const Engine& tested, const Engine& reference,
                               const std::string& what) {
  ASSERT_EQ(t.size(), r.size()) << what << ": " << slice_name(s) << " slice sizes";
  if (r.empty()) return;
  std::size_t worst = 0;  // where the largest difference is (element index, row-major), for the failure message
  for (std::size_t k = 1; k < r.size(); ++k) {
    if (std::fabs(t[k] - r[k]) > std::fabs(t[worst] - r[worst])) worst = k;
  }
  EXPECT_TRUE(std::any_of(r.begin(), r.end(), [](float v) { return v != 0.f; }))
      << what << ": reference " << slice_name(s) << " slice is all zero";
  const double difference = relative_max_difference(t, r);
  EXPECT_LE(difference, tolerance) << what << ": " << slice_name(s) << " slice, " << tested.name() << " vs "
                                   << reference.name() << "; largest at element " << worst << " (row " << worst / cols
                                   << ", col " << worst % cols << "): " << t[worst] << " vs " << r[worst];
  ::testing::Test::RecordProperty(what + "_" + slice_name(s), std::to_string(difference));
}

// Expects every slice of `tested` within `tolerance` (relative max difference over the whole slice, on the scale of the
// reference's peak) of `reference`, and non-trivial.
inline void expect_slices_close(const Engine& tested, const Engine& reference, double tolerance,
                                const std::string& what) {
  for (const Orthoslice s : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    const std::vector<float> r = copy_checked(reference, s);
    EXPECT_FALSE(r.empty()) << what << ": reference " << slice_name(s) << " slice is empty";
    expect_slice_close(s, copy_checked(tested, s), r, reference.slice_shape(s).second, tolerance, tested, reference,
                       what);
  }
}

inline std::unique_ptr<CudaEngine> cuda_engine(StorePrecision store, bool stage_timing = false) {
  CudaEngineOptions options;
  options.store = store;
  options.stage_timing = stage_timing;
  return make_cuda_engine(options);
}

}  // namespace tomolive::kernels::gpu_testing
