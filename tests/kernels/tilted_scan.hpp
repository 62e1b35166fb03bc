// Helpers of the axis tilt correction tests (kernels and GPU): a noise-free float32 scan of the 3D Shepp-Logan phantom
// over 180 degrees, seen by a detector whose rotation axis is tilted in the detector plane (the convention of
// axis_tilt.hpp: the axis at row r lies at column (cols - 1) / 2 + offset + (r - (rows - 1) / 2) tan(tilt)), made
// exactly: each detector pixel takes the line integral at its distance from the tilted axis and its height along it.
// Header-only; pure functions or touching only the given engine.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::kernels::testing {

struct TiltedScanSpec {
  std::uint32_t rows = 48, cols = 96, projections = 180;
  double center_offset_px = 0.0;  // the axis at the middle row, pixels from (cols - 1) / 2
  double tilt_deg = 0.0;
};

inline sim::Phantom tilted_scan_phantom(const TiltedScanSpec& spec) {
  // Sized as for an axis 8 pixels off centre (a radius of 0.45 cols - 8): room for the tilt and the test's offsets,
  // so that no ray through the object misses the detector. Centred on the axis whatever the spec's offset.
  return sim::shepp_logan_3d(sim::DetectorGeometry{spec.rows, spec.cols, 8.0}, 1.0);
}

// The transmission frame at theta_deg: pixel (r, c) at distance s from the axis (across it) and a along it (down
// the detector) sees the ray (theta, s, z = -a) of the untilted phantom.
inline std::vector<float> tilted_transmission(const sim::Phantom& phantom, const TiltedScanSpec& spec,
                                              double theta_deg) {
  const double t = spec.tilt_deg * std::numbers::pi / 180.0;
  const double axis_col = 0.5 * (spec.cols - 1.0) + spec.center_offset_px, mid_row = 0.5 * (spec.rows - 1.0);
  std::vector<float> frame(std::size_t{spec.rows} * spec.cols);
  for (std::uint32_t r = 0; r < spec.rows; ++r) {
    for (std::uint32_t c = 0; c < spec.cols; ++c) {
      const double dc = c - axis_col, dr = r - mid_row;
      const double s = dc * std::cos(t) - dr * std::sin(t);
      const double a = dc * std::sin(t) + dr * std::cos(t);
      frame[std::size_t{r} * spec.cols + c] = static_cast<float>(std::exp(-phantom.line_integral(theta_deg, s, -a)));
    }
  }
  return frame;
}

// Begins the scan with `params` on `engine` (2 flats of 1, no darks) and adds every projection.
inline void feed_tilted_scan(Engine& engine, const TiltedScanSpec& spec, const ReconParams& params) {
  ScanGeometry g;
  g.rows = spec.rows;
  g.cols = spec.cols;
  g.slots = spec.projections;
  g.angle_weight_rad = static_cast<float>(std::numbers::pi / spec.projections);
  engine.begin_scan(g, params);
  const std::vector<float> ones(std::size_t{spec.rows} * spec.cols, 1.f);
  engine.add_flat(float_frame(ones, spec.rows, spec.cols));
  engine.add_flat(float_frame(ones, spec.rows, spec.cols));
  const sim::Phantom phantom = tilted_scan_phantom(spec);
  for (std::uint32_t k = 0; k < spec.projections; ++k) {
    const double theta_deg = 180.0 * k / spec.projections;
    const std::vector<float> frame = tilted_transmission(phantom, spec, theta_deg);
    engine.add_projection(k, static_cast<float>(theta_deg * std::numbers::pi / 180.0),
                          float_frame(frame, spec.rows, spec.cols));
  }
}

}  // namespace tomolive::kernels::testing
