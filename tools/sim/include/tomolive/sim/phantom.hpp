// An analytic 3D phantom: a sum of ellipsoids of constant attenuation, with exact parallel-beam line integrals.
//
// Coordinates are pixels from the rotation axis, as in DetectorGeometry: x and y horizontal, z vertical and positive
// upward (detector row r of a frame with `rows` rows lies at z = (rows - 1) / 2 - r, row 0 on top). Attenuation is
// in 1/pixel, so a line integral is dimensionless (transmission = exp(-line integral)). Angles are in degrees.
//
// The ray of detector coordinate s at angle theta and height z is the horizontal line
//   p(t) = s (cos theta, sin theta, 0) + t (-sin theta, cos theta, 0) + (0, 0, z),   t in R (pixels),
// i.e. the ASTRA parallel3d / scikit-image radon convention of design.md. The chord of a ray through an ellipsoid is
// computed exactly by mapping the ellipsoid to the unit sphere.
//
// A Phantom is immutable after construction; its const methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/sim/detector_geometry.hpp"

namespace tomolive::sim {

// One ellipsoid. Its own axes are x' (x rotated by angle_deg toward +y), y' (perpendicular to x', horizontal) and z.
struct Ellipsoid {
  double x = 0.0, y = 0.0, z = 0.0;  // centre, pixels from the axis
  double a = 1.0, b = 1.0, c = 1.0;  // semi-axes along x', y', z, pixels (> 0)
  double angle_deg = 0.0;            // rotation about the vertical axis, counter-clockwise (from +x toward +y)
  double density = 0.0;              // attenuation added inside (surface included), 1/pixel; may be negative
};

class Phantom {
 public:
  Phantom() = default;  // empty: zero everywhere
  // Throws std::invalid_argument if a value is not finite or a semi-axis is not positive.
  explicit Phantom(std::vector<Ellipsoid> ellipsoids);

  const std::vector<Ellipsoid>& ellipsoids() const { return ellipsoids_; }

  // Attenuation at a point (pixels from the axis), 1/pixel: the sum of the densities of the ellipsoids that contain it.
  double density(double x, double y, double z) const;

  // Exact line integral along the ray (theta_deg, s, z) defined above; s and z in pixels.
  double line_integral(double theta_deg, double s, double z) const;

  // Line integrals of detector rows [row_begin, row_end) of the frame at angle theta_deg, sampled at the pixel
  // centres, written row-major to `out` (size (row_end - row_begin) * geometry.cols). Same values as line_integral()
  // at each pixel, but each ellipsoid only visits the columns its shadow covers. Preconditions:
  // row_begin <= row_end <= geometry.rows, out.size() == (row_end - row_begin) * geometry.cols.
  void project(const DetectorGeometry& geometry, double theta_deg, std::uint32_t row_begin, std::uint32_t row_end,
               std::span<float> out) const;

  // This phantom rotated by angle_deg about the vertical axis (counter-clockwise): the rotated phantom's projection
  // at theta + angle_deg equals this phantom's at theta.
  Phantom rotated(double angle_deg) const;

  // An upper bound of the horizontal distance from the axis of any point inside an ellipsoid, pixels.
  double horizontal_radius() const;

 private:
  struct Orientation {
    double cos = 1.0, sin = 0.0;  // of angle_deg
  };

  std::vector<Ellipsoid> ellipsoids_;
  std::vector<Orientation> orientations_;  // one per ellipsoid
};

// The 3D modified Shepp-Logan head phantom: the Kak-Slaney ellipsoid set with Toft's higher contrast (densities
// 1, -0.8, -0.2, -0.2, 0.1 x 6), as in the widely used phantom3d table, the central axial slice being the familiar 2D
// image (the two tilted ellipsoids at +-18 degrees about the vertical axis; the y of the table points to +y, i.e. up
// in an axial slice). It is scaled to the detector:
// - horizontally to a radius of 0.45 * cols - |center_offset_px| pixels, so that it stays in the field of view
//   at every angle even with the axis offset (every ray through it hits the detector, with margin);
// - vertically to half a height of 0.45 * rows pixels (the horizontal and vertical scales differ unless the detector
//   is square);
// - in attenuation so that the largest line integral is max_line_integral (default 2: transmission >= 0.135); the
//   largest value sampled at pixel centres is within a few percent below it.
// With FieldOfView::half_acquisition the horizontal radius is instead 0.9 * ((cols - 1) / 2 + |center_offset_px|),
// 90 % of the distance from the axis to the detector's far edge: the field a 360 degree scan with an offset axis
// covers (rays through the near side of the phantom miss the detector at each angle, and are measured from the
// opposite angle).
// Throws std::invalid_argument if the horizontal radius is < 1 pixel, rows is 0, or max_line_integral is not
// positive.
enum class FieldOfView : std::uint8_t { detector, half_acquisition };
Phantom shepp_logan_3d(const DetectorGeometry& geometry, double max_line_integral = 2.0,
                       FieldOfView field = FieldOfView::detector);

// The largest line integral, over all rays, of the Shepp-Logan set at unit scale (table coordinates in [-1, 1],
// densities as listed above): 0.55557, reached at theta ~ 25.3 deg, s ~ 0.698, z ~ -0.02 where the ray grazes the
// inner ellipsoid (dense search over theta, s and z, then local refinement). shepp_logan_3d divides by it.
inline constexpr double kSheppLoganUnitMaxLineIntegral = 0.55557;

}  // namespace tomolive::sim
