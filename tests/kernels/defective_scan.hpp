// Helpers of the defective-pixel tests (kernels and GPU): a simulated uint16 scan of the Shepp-Logan phantom through
// the simulator's detector model (fixed-pattern noise, Poisson and read noise, no random defects), with dead and hot
// pixels put where the test wants them, fed to an engine; and the relative RMSE of a slice against the phantom's
// ground truth inside the object (Q1 of targets.md). Header-only; pure functions or touching only the given engine.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/sim/detector.hpp"
#include "tomolive/sim/phantom.hpp"
#include "tomolive/sim/truth.hpp"

namespace tomolive::kernels::testing {

struct DefectiveScanSpec {
  std::uint32_t rows = 16, cols = 96, projections = 120;
  std::uint32_t darks = 4, flats = 4;
  std::vector<std::uint32_t> dead;  // pixel indices reading the dark level whatever the light
  std::vector<std::uint32_t> hot;   // pixel indices always reading 65535
  std::vector<std::uint8_t> detector_mask;  // empty, or rows x cols flags given to the engine after begin_scan
};

// Begins a 180 degree scan with `params` on `engine` and feeds the spec's darks, flats and projections; returns the
// projections' counters summed.
inline ProjectionStats feed_defective_scan(Engine& engine, const DefectiveScanSpec& spec, const ReconParams& params) {
  sim::DetectorConfig config;
  config.rows = spec.rows;
  config.cols = spec.cols;
  config.defects = false;
  const sim::DetectorModel detector(config);
  const sim::DetectorGeometry geometry{spec.rows, spec.cols, 0.0};
  const sim::Phantom phantom = sim::shepp_logan_3d(geometry, 1.0);
  ScanGeometry g;
  g.rows = spec.rows;
  g.cols = spec.cols;
  g.slots = spec.projections;
  g.angle_weight_rad = static_cast<float>(std::numbers::pi / spec.projections);
  engine.begin_scan(g, params);
  if (!spec.detector_mask.empty()) engine.set_detector_mask(spec.detector_mask);

  const std::size_t pixels = std::size_t{spec.rows} * spec.cols;
  std::vector<std::uint16_t> frame(pixels);
  const auto spoil = [&] {
    for (const std::uint32_t k : spec.dead) frame[k] = static_cast<std::uint16_t>(std::lround(detector.dark_map()[k]));
    for (const std::uint32_t k : spec.hot) frame[k] = 65535;
  };
  for (std::uint32_t k = 0; k < spec.darks; ++k) {
    detector.dark(k, frame);
    spoil();
    engine.add_dark(uint16_frame(frame, spec.rows, spec.cols));
  }
  for (std::uint32_t k = 0; k < spec.flats; ++k) {
    detector.flat(k, frame);
    spoil();
    engine.add_flat(uint16_frame(frame, spec.rows, spec.cols));
  }
  std::vector<float> line_integrals(pixels);
  ProjectionStats total;
  for (std::uint32_t k = 0; k < spec.projections; ++k) {
    const double theta_deg = 180.0 * k / spec.projections;
    phantom.project(geometry, theta_deg, 0, spec.rows, line_integrals);
    detector.projection(k, line_integrals, frame);
    spoil();
    const ProjectionStats stats = engine.add_projection(k, static_cast<float>(theta_deg * std::numbers::pi / 180.0),
                                                        uint16_frame(frame, spec.rows, spec.cols));
    total.clamped_values += stats.clamped_values;
    total.zingers_replaced += stats.zingers_replaced;
  }
  return total;
}

// Relative RMSE of the axial slice at detector row `row` against the phantom's truth, over the pixels within 0.4 cols
// of the axis (inside the object): sqrt(sum (rec - truth)^2 / sum truth^2).
inline double axial_relative_rmse(const Engine& engine, const DefectiveScanSpec& spec, std::uint32_t row) {
  const sim::DetectorGeometry geometry{spec.rows, spec.cols, 0.0};
  const sim::Phantom phantom = sim::shepp_logan_3d(geometry, 1.0);
  const sim::Image truth = sim::truth_xy(phantom, spec.rows, spec.cols, row, 3);
  const std::vector<float> slice = copy_slice(engine, Orthoslice::xy, spec.cols, spec.cols).values;
  const double centre = 0.5 * (spec.cols - 1.0), radius = 0.4 * spec.cols;
  double error = 0.0, norm = 0.0;
  for (std::uint32_t i = 0; i < spec.cols; ++i) {
    for (std::uint32_t j = 0; j < spec.cols; ++j) {
      if (std::hypot(i - centre, j - centre) > radius) continue;
      const double t = truth.at(i, j);
      const double d = slice[std::size_t{i} * spec.cols + j] - t;
      error += d * d;
      norm += t * t;
    }
  }
  return std::sqrt(error / norm);
}

}  // namespace tomolive::kernels::testing
