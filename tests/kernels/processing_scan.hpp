// Helpers of the processing tests (rings, half acquisition, the engine's set_processing): phantom frames and a scan
// fed to an engine. Header-only; every function is pure or touches only the engine it is given.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::kernels::testing {

// A scan of `slots` projections of rows x cols with the FBP weight angle_weight_rad per projection (pi / slots for
// 180 or 360 deg, 2 pi / slots for half acquisition).
inline ScanGeometry scan_geometry(std::uint32_t rows, std::uint32_t cols, std::uint32_t slots,
                                  double angle_weight_rad) {
  ScanGeometry g;
  g.rows = rows;
  g.cols = cols;
  g.slots = slots;
  g.angle_weight_rad = static_cast<float>(angle_weight_rad);
  return g;
}

// The line integrals (attenuation) of `phantom` on `detector` at theta_rad, rows x cols, row-major.
inline std::vector<float> phantom_attenuation(const sim::Phantom& phantom, const sim::DetectorGeometry& detector,
                                              double theta_rad) {
  std::vector<float> a(std::size_t{detector.rows} * detector.cols);
  phantom.project(detector, theta_rad * 180.0 / 3.14159265358979323846, 0, detector.rows, a);
  return a;
}

// exp(-a) element by element: the raw frame of a scan without darks and flats (flat level 1).
inline std::vector<float> transmission_of(const std::vector<float>& attenuation) {
  std::vector<float> t(attenuation.size());
  for (std::size_t k = 0; k < t.size(); ++k) t[k] = std::exp(-attenuation[k]);
  return t;
}

// The angle of projection k of `count` spread evenly over range_rad.
inline float scan_angle(std::uint32_t k, std::uint32_t count, double range_rad) {
  return static_cast<float>(range_rad * k / count);
}

// Transmission frame (rows x cols) of projection k at angle_rad.
using FrameSource = std::function<std::vector<float>(std::uint32_t k, float angle_rad)>;

// Begins a scan of `g` with `params` (no darks, no flats) and adds projections k = 0..slots - 1 into slot k, spread
// over range_rad. Returns the sum of their ProjectionStats.
inline ProjectionStats begin_and_feed(Engine& engine, const ScanGeometry& g, const ReconParams& params,
                                      double range_rad, const FrameSource& frame_of) {
  engine.begin_scan(g, params);
  ProjectionStats total;
  for (std::uint32_t k = 0; k < g.slots; ++k) {
    const float angle = scan_angle(k, g.slots, range_rad);
    const std::vector<float> frame = frame_of(k, angle);
    const ProjectionStats stats = engine.add_projection(k, angle, float_frame(frame, g.rows, g.cols));
    total.clamped_values += stats.clamped_values;
    total.zingers_replaced += stats.zingers_replaced;
  }
  return total;
}

// The axial slice, cols x cols.
inline std::vector<float> axial_slice(const Engine& engine, const ScanGeometry& g) {
  return copy_slice(engine, Orthoslice::xy, g.cols, g.cols).values;
}

// Every stored projection (copy_projection of slots 0..slots - 1), concatenated.
inline std::vector<float> stored_projections(const Engine& engine, const ScanGeometry& g) {
  const std::size_t frame = std::size_t{g.rows} * g.cols;
  std::vector<float> all(frame * g.slots);
  for (std::uint32_t slot = 0; slot < g.slots; ++slot) {
    engine.copy_projection(slot, std::span<float>(all.data() + slot * frame, frame));
  }
  return all;
}

}  // namespace tomolive::kernels::testing
