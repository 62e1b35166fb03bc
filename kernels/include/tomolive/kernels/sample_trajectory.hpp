// The sample's position from its projections alone (PROTOCOL.md 10.11), before any slice exists: the centre of mass
// of each corrected projection (attenuation A = -ln T after flat-field correction) moves across the detector as
// u(theta) = a + x cos(theta) + y sin(theta), a the axis column and (x, y) the sample's centre of mass in the
// sample frame at angle 0 (pixels, PROTOCOL.md 8: s = x cos(theta) + y sin(theta)); its row stays put. A
// least-squares fit of that sinusoid to the measured centres gives x, y and a. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace tomolive::kernels {

// The centre of mass of one projection, detector pixels (column and row indices, pixel centres at integers).
struct ProjectionMoments {
  double angle_rad = 0.0;
  double column_px = 0.0;
  double row_px = 0.0;
  double mass = 0.0;  // sum of the weights
};

// The weights are the attenuation values above kMassThreshold times the projection's largest value (the rest,
// background and its noise, weigh 0: noise clipped at 0 would pull the centre toward the detector's middle).
// nullopt when no value is positive (nothing in the beam). Throws std::invalid_argument when `attenuation` does not
// hold rows * cols values or rows or cols is 0.
inline constexpr double kMassThreshold = 0.05;
std::optional<ProjectionMoments> projection_moments(std::span<const float> attenuation, std::uint32_t rows,
                                                    std::uint32_t cols, double angle_rad);

struct SampleTrajectory {
  double x_px = 0.0;           // centre of mass from the fitted axis, sample frame at angle 0
  double y_px = 0.0;
  double axis_column_px = 0.0;  // the fitted a
  double row_px = 0.0;          // mass-weighted mean of the projections' row centres
  double rms_px = 0.0;          // RMS residual of the fit, columns
  std::uint32_t projections = 0;
};

// The least-squares fit of column_px = a + x cos(angle) + y sin(angle) over `moments`. nullopt when fewer than 3
// projections or their angles do not determine the three (e.g. all alike, or only opposite ones). Angles spanning at
// least ~30 degrees give a usable fit; 180 or 360 degrees the best.
std::optional<SampleTrajectory> fit_sample_trajectory(std::span<const ProjectionMoments> moments);

}  // namespace tomolive::kernels
