// A scan of balls with known positions, for the live 3D preview's tests: each ball (centre x, y in pixels from the
// axis at angle 0, z in pixels from the detector's middle row toward row 0, radius r, attenuation mu per pixel) adds
// the line integral 2 mu sqrt(r^2 - d^2) at the pixel centres, d the distance between the pixel's ray and the
// ball's centre (s = column - axis column, s0 = x cos + y sin; z = (rows - 1) / 2 - row), as float32 transmission
// frames exp(-sum) (no darks, no flats: the engine takes them as normalised). Angles spread over 180 degrees.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::testing {

struct Ball {
  double x_px = 0.0, y_px = 0.0, z_px = 0.0, radius_px = 1.0, mu = 0.01;
};

struct SphereScan {
  std::uint32_t rows = 32, cols = 64, projections = 90;
  std::uint32_t slots = 90;  // fewer than projections: a sliding window
  std::vector<Ball> balls;

  float angle_rad(std::uint32_t k) const {
    return static_cast<float>(std::numbers::pi * k / projections);
  }
  ScanGeometry geometry() const {
    return ScanGeometry{rows, cols, slots, std::numbers::pi_v<float> / static_cast<float>(slots), {}, {}};
  }
  // Projection k as transmission, rows x cols.
  std::vector<float> frame(std::uint32_t k) const {
    const double theta = angle_rad(k);
    const double axis = 0.5 * (cols - 1.0);
    std::vector<float> values(std::size_t{rows} * cols);
    for (std::uint32_t r = 0; r < rows; ++r) {
      for (std::uint32_t c = 0; c < cols; ++c) {
        double integral = 0.0;
        for (const Ball& b : balls) {
          const double ds = c - axis - (b.x_px * std::cos(theta) + b.y_px * std::sin(theta));
          const double dz = 0.5 * (rows - 1.0) - r - b.z_px;
          const double d2 = ds * ds + dz * dz;
          if (d2 < b.radius_px * b.radius_px) integral += 2.0 * b.mu * std::sqrt(b.radius_px * b.radius_px - d2);
        }
        values[std::size_t{r} * cols + c] = static_cast<float>(std::exp(-integral));
      }
    }
    return values;
  }
  // Projections [first, last) into slot k % slots.
  void feed(Engine& engine, std::uint32_t first, std::uint32_t last) const {
    for (std::uint32_t k = first; k < last; ++k) {
      engine.add_projection(k % slots, angle_rad(k), float_frame(frame(k), rows, cols));
    }
  }
};

}  // namespace tomolive::kernels::testing
