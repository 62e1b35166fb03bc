// A scan of an off-axis sample with a known position, for the sample-centring tests (PROTOCOL.md 10.11): a uniform
// vertical cylinder of radius radius_px and attenuation mu per pixel, centred at (x_px, y_px) in the sample frame at
// angle 0 and spanning detector rows [row_begin, row_end), its line integrals 2 mu sqrt(r^2 - (s - s0)^2) sampled at
// the pixel centres (s = column - axis column, s0 = x cos(theta) + y sin(theta), PROTOCOL.md 8), fed to a CPU engine
// as uint16 frames (dark 100, flat 20000 counts; with noise, Poisson-like Gaussian counts).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::testing {

struct OffAxisCylinder {
  std::uint32_t rows = 16, cols = 128, projections = 180;
  double range_deg = 180.0;
  double axis_offset_px = 0.0;  // true axis, pixels from (cols - 1) / 2; the engine is told the same
  double x_px = 17.4, y_px = -9.1, radius_px = 10.0, mu = 0.02;
  std::uint32_t row_begin = 3, row_end = 10;  // z centre (rows - 1) / 2 - (row_begin + row_end - 1) / 2 = 1.5
  bool noise = true;

  double angle_rad(std::uint32_t k) const { return range_deg * std::numbers::pi / 180.0 * k / projections; }
  double z_px() const { return 0.5 * (rows - 1.0) - 0.5 * (row_begin + row_end - 1.0); }

  // A CPU engine holding every projection, reconstructing with the true axis.
  std::unique_ptr<kernels::Engine> engine() const {
    auto engine = kernels::make_cpu_engine({});
    // pi / slots over 180 and over 360 degrees (each line measured twice), as engine.hpp says.
    const kernels::ScanGeometry geometry{rows, cols, projections,
                                         std::numbers::pi_v<float> / static_cast<float>(projections), {}, {}};
    kernels::ReconParams params;
    params.center_offset_px = static_cast<float>(axis_offset_px);
    params.slices.xy_row = (row_begin + row_end) / 2;
    engine->begin_scan(geometry, params);
    std::vector<std::uint16_t> frame(std::size_t{rows} * cols);
    std::mt19937 random(3);
    const auto counts = [&](double mean) {
      const double value = noise ? std::normal_distribution<double>(mean, std::sqrt(mean))(random) : mean;
      return static_cast<std::uint16_t>(std::clamp(std::lround(value), 0L, 65535L));
    };
    const auto frame_view = [&] { return kernels::FrameView{frame.data(), kernels::PixelType::uint16, rows, cols}; };
    for (int i = 0; i < 4; ++i) {
      for (auto& v : frame) v = counts(100.0);
      engine->add_dark(frame_view());
      for (auto& v : frame) v = counts(20000.0);
      engine->add_flat(frame_view());
    }
    const double axis = 0.5 * (cols - 1.0) + axis_offset_px;
    for (std::uint32_t k = 0; k < projections; ++k) {
      const double theta = angle_rad(k);
      const double s0 = x_px * std::cos(theta) + y_px * std::sin(theta);
      for (std::uint32_t r = 0; r < rows; ++r) {
        for (std::uint32_t c = 0; c < cols; ++c) {
          const double d = c - axis - s0;
          const bool inside = r >= row_begin && r < row_end && std::fabs(d) < radius_px;
          const double line = inside ? 2.0 * mu * std::sqrt(radius_px * radius_px - d * d) : 0.0;
          frame[std::size_t{r} * cols + c] = counts(100.0 + 19900.0 * std::exp(-line));
        }
      }
      engine->add_projection(k, static_cast<float>(theta), frame_view());
    }
    return engine;
  }
};

}  // namespace tomolive::testing
