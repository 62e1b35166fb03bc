#include "tomolive/kernels/sample_trajectory.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tomolive::kernels {

std::optional<ProjectionMoments> projection_moments(std::span<const float> attenuation, std::uint32_t rows,
                                                    std::uint32_t cols, double angle_rad) {
  if (rows == 0 || cols == 0 || attenuation.size() != std::size_t{rows} * cols) {
    throw std::invalid_argument("projection_moments: " + std::to_string(attenuation.size()) + " values for " +
                                std::to_string(rows) + " x " + std::to_string(cols) +
                                " (rows x cols, both >= 1) expected rows * cols");
  }
  float largest = 0.f;
  for (const float v : attenuation) {
    if (std::isfinite(v)) largest = std::max(largest, v);
  }
  if (!(largest > 0.f)) return std::nullopt;
  const double threshold = kMassThreshold * largest;
  double mass = 0.0, column_sum = 0.0, row_sum = 0.0;
  for (std::uint32_t r = 0; r < rows; ++r) {
    const float* row = attenuation.data() + std::size_t{r} * cols;
    for (std::uint32_t c = 0; c < cols; ++c) {
      const double v = row[c];
      if (!(v > threshold)) continue;  // also drops NaN
      mass += v;
      column_sum += v * c;
      row_sum += v * r;
    }
  }
  return ProjectionMoments{angle_rad, column_sum / mass, row_sum / mass, mass};
}

std::optional<SampleTrajectory> fit_sample_trajectory(std::span<const ProjectionMoments> moments) {
  if (moments.size() < 3) return std::nullopt;
  // Normal equations A^T A p = A^T u for the rows (1, cos, sin), p = (a, x, y).
  std::array<std::array<double, 3>, 3> m{};
  std::array<double, 3> rhs{};
  double mass = 0.0, row_sum = 0.0;
  for (const ProjectionMoments& p : moments) {
    const std::array<double, 3> basis = {1.0, std::cos(p.angle_rad), std::sin(p.angle_rad)};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) m[i][j] += basis[i] * basis[j];
      rhs[i] += basis[i] * p.column_px;
    }
    mass += p.mass;
    row_sum += p.mass * p.row_px;
  }
  const auto det3 = [](const std::array<std::array<double, 3>, 3>& a) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double det = det3(m);
  // Well determined only when the matrix is far from singular relative to its scale (n^3 for n projections).
  const auto n = static_cast<double>(moments.size());
  if (!(std::fabs(det) > 1e-6 * n * n * n)) return std::nullopt;
  std::array<double, 3> solution{};
  for (int k = 0; k < 3; ++k) {
    auto replaced = m;
    for (int i = 0; i < 3; ++i) replaced[i][k] = rhs[i];
    solution[k] = det3(replaced) / det;
  }
  double residual = 0.0;
  for (const ProjectionMoments& p : moments) {
    const double r =
        p.column_px - (solution[0] + solution[1] * std::cos(p.angle_rad) + solution[2] * std::sin(p.angle_rad));
    residual += r * r;
  }
  SampleTrajectory fit;
  fit.axis_column_px = solution[0];
  fit.x_px = solution[1];
  fit.y_px = solution[2];
  fit.row_px = mass > 0.0 ? row_sum / mass : 0.0;
  fit.rms_px = std::sqrt(residual / n);
  fit.projections = static_cast<std::uint32_t>(moments.size());
  return fit;
}

}  // namespace tomolive::kernels
