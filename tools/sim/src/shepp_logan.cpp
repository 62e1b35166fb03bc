#include <cmath>
#include <stdexcept>
#include <string>

#include "tomolive/sim/phantom.hpp"

namespace tomolive::sim {
namespace {

// The modified Shepp-Logan ellipsoids in table coordinates ([-1, 1] in each direction): centre, semi-axes,
// rotation about z (degrees) and density.
struct UnitEllipsoid {
  double x, y, z, a, b, c, angle_deg, density;
};
constexpr UnitEllipsoid kSheppLogan[] = {
    {0.00, 0.0000, 0.00, 0.6900, 0.920, 0.810, 0.0, 1.0},   // skull
    {0.00, -0.0184, 0.00, 0.6624, 0.874, 0.780, 0.0, -0.8}, // brain
    {0.22, 0.0000, 0.00, 0.1100, 0.310, 0.220, -18.0, -0.2},
    {-0.22, 0.0000, 0.00, 0.1600, 0.410, 0.280, 18.0, -0.2},
    {0.00, 0.3500, -0.15, 0.2100, 0.250, 0.410, 0.0, 0.1},
    {0.00, 0.1000, 0.25, 0.0460, 0.046, 0.050, 0.0, 0.1},
    {0.00, -0.1000, 0.25, 0.0460, 0.046, 0.050, 0.0, 0.1},
    {-0.08, -0.6050, 0.00, 0.0460, 0.023, 0.050, 0.0, 0.1},
    {0.00, -0.6060, 0.00, 0.0230, 0.023, 0.020, 0.0, 0.1},
    {0.06, -0.6050, 0.00, 0.0230, 0.046, 0.020, 0.0, 0.1},
};
constexpr double kUnitRadius = 0.92;      // largest horizontal extent of the set (the skull's b)
constexpr double kUnitHalfHeight = 0.81;  // largest vertical extent (the skull's c)
constexpr double kFieldFraction = 0.45;   // the phantom fills 90% of the detector width and height

}  // namespace

Phantom shepp_logan_3d(const DetectorGeometry& geometry, double max_line_integral, FieldOfView field) {
  const double offset = std::abs(geometry.center_offset_px);
  const double radius = field == FieldOfView::detector
                            ? kFieldFraction * geometry.cols - offset
                            : 2.0 * kFieldFraction * (0.5 * static_cast<double>(geometry.cols - 1) + offset);
  if (geometry.rows == 0 || !(radius >= 1.0) || !(max_line_integral > 0.0)) {
    throw std::invalid_argument("shepp_logan_3d: needs rows > 0, a horizontal radius >= 1 pixel and a "
                                "positive line-integral target; got rows=" + std::to_string(geometry.rows) +
                                " cols=" + std::to_string(geometry.cols) + " offset=" +
                                std::to_string(geometry.center_offset_px) + " target=" +
                                std::to_string(max_line_integral));
  }
  const double horizontal = radius / kUnitRadius;
  const double vertical = kFieldFraction * geometry.rows / kUnitHalfHeight;
  // Horizontal rays scale with the horizontal size only.
  const double contrast = max_line_integral / (kSheppLoganUnitMaxLineIntegral * horizontal);
  std::vector<Ellipsoid> ellipsoids;
  for (const UnitEllipsoid& u : kSheppLogan) {
    ellipsoids.push_back({u.x * horizontal, u.y * horizontal, u.z * vertical, u.a * horizontal, u.b * horizontal,
                          u.c * vertical, u.angle_deg, u.density * contrast});
  }
  return Phantom(std::move(ellipsoids));
}

}  // namespace tomolive::sim
