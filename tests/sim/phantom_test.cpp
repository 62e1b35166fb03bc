// Phantom line integrals against closed forms and numerical integration, and the symmetries of parallel projection.
#include "tomolive/sim/phantom.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace tomolive::sim {
namespace {

double radians(double degrees) { return degrees * std::numbers::pi / 180.0; }

// Midpoint rule along the ray (theta, s, z) over t in [-half_length, half_length].
double integrate_density(const Phantom& phantom, double theta_deg, double s, double z, double half_length) {
  const double c = std::cos(radians(theta_deg)), sn = std::sin(radians(theta_deg));
  constexpr int kSteps = 100000;
  const double h = 2.0 * half_length / kSteps;
  double sum = 0.0;
  for (int k = 0; k < kSteps; ++k) {
    const double t = -half_length + (k + 0.5) * h;
    sum += phantom.density(s * c - t * sn, s * sn + t * c, z);
  }
  return sum * h;
}

std::vector<float> project_all(const Phantom& phantom, const DetectorGeometry& geometry, double theta_deg) {
  std::vector<float> out(std::size_t{geometry.rows} * geometry.cols);
  phantom.project(geometry, theta_deg, 0, geometry.rows, out);
  return out;
}

TEST(Phantom, SphereChordMatchesClosedForm) {
  const double r = 10.0, cx = 3.0, cy = -2.0, cz = 1.0, rho = 0.05;
  const Phantom sphere({{cx, cy, cz, r, r, r, 0.0, rho}});
  for (const double theta : {0.0, 30.0, 90.0, 137.0, 250.0}) {
    const double centre_s = cx * std::cos(radians(theta)) + cy * std::sin(radians(theta));
    for (const double ds : {-9.5, -4.0, 0.0, 2.5, 7.0, 11.0}) {
      for (const double dz : {0.0, 3.0, -6.0}) {
        const double d2 = ds * ds + dz * dz;
        const double expected = d2 < r * r ? rho * 2.0 * std::sqrt(r * r - d2) : 0.0;
        EXPECT_NEAR(sphere.line_integral(theta, centre_s + ds, cz + dz), expected, 1e-12 + 1e-9 * expected)
            << "theta " << theta << " ds " << ds << " dz " << dz;
      }
    }
  }
}

TEST(Phantom, EllipsoidChordMatchesClosedForm) {
  // Axis-aligned ellipsoid at the origin, ray along y (theta = 0) at s = x: chord 2 b sqrt(1 - (x/a)^2 - (z/c)^2).
  const double a = 12.0, b = 5.0, c = 8.0;
  const Phantom ellipsoid({{0.0, 0.0, 0.0, a, b, c, 0.0, 1.0}});
  for (const double x : {0.0, 3.0, -7.5, 11.9}) {
    for (const double z : {0.0, 2.0, -5.0}) {
      const double q = 1.0 - (x / a) * (x / a) - (z / c) * (z / c);
      const double expected = q > 0.0 ? 2.0 * b * std::sqrt(q) : 0.0;
      EXPECT_NEAR(ellipsoid.line_integral(0.0, x, z), expected, 1e-9) << "x " << x << " z " << z;
      // At theta = 90 degrees the ray runs along x and s = y: chord 2 a sqrt(1 - (s/b)^2 - (z/c)^2), here s = x.
      const double qy = 1.0 - (x / b) * (x / b) - (z / c) * (z / c);
      EXPECT_NEAR(ellipsoid.line_integral(90.0, x, z), qy > 0.0 ? 2.0 * a * std::sqrt(qy) : 0.0, 1e-9);
    }
  }
}

TEST(Phantom, RotatedEllipsoidMatchesNumericalIntegration) {
  const double cx = 4.0, cy = -3.0, cz = 2.0;
  const Phantom ellipsoid({{cx, cy, cz, 12.0, 5.0, 8.0, 35.0, 0.1}});
  for (const double theta : {0.0, 20.0, 71.0, 125.0, 160.0}) {
    const double centre_s = cx * std::cos(radians(theta)) + cy * std::sin(radians(theta));
    for (const double ds : {-3.0, -1.0, 0.5, 2.5}) {
      for (const double dz : {0.0, 4.0, -3.5}) {
        const double exact = ellipsoid.line_integral(theta, centre_s + ds, cz + dz);
        const double numeric = integrate_density(ellipsoid, theta, centre_s + ds, cz + dz, 40.0);
        ASSERT_GT(exact, 0.05) << "the test rays cross the ellipsoid";
        EXPECT_NEAR(numeric, exact, 1e-3 * exact) << "theta " << theta << " ds " << ds << " dz " << dz;
      }
    }
  }
}

TEST(Phantom, SheppLoganMatchesNumericalIntegration) {
  const DetectorGeometry geometry{64, 96, 0.0};
  const Phantom phantom = shepp_logan_3d(geometry);
  for (const double theta : {0.0, 33.0, 90.0, 145.0}) {
    for (const double s : {-30.0, -11.0, 0.3, 17.0, 35.0}) {
      for (const double z : {0.0, 5.5, -9.0}) {
        const double exact = phantom.line_integral(theta, s, z);
        const double numeric = integrate_density(phantom, theta, s, z, 60.0);
        EXPECT_NEAR(numeric, exact, 1e-3 * std::max(exact, 0.1)) << "theta " << theta << " s " << s << " z " << z;
      }
    }
  }
}

TEST(Phantom, ProjectEqualsLineIntegralAtPixelCentres) {
  const DetectorGeometry geometry{40, 64, 2.25};
  const Phantom phantom = shepp_logan_3d(geometry);
  for (const double theta : {0.0, 47.0, 123.0}) {
    const std::vector<float> frame = project_all(phantom, geometry, theta);
    for (std::uint32_t r = 0; r < geometry.rows; ++r) {
      for (std::uint32_t u = 0; u < geometry.cols; ++u) {
        const double expected = phantom.line_integral(theta, geometry.column_s(u), geometry.row_z(r));
        ASSERT_NEAR(frame[r * geometry.cols + u], expected, 1e-5) << "row " << r << " col " << u;
      }
    }
  }
}

TEST(Phantom, ProjectOfRowRangeMatchesFullFrame) {
  const DetectorGeometry geometry{32, 48, 0.0};
  const Phantom phantom = shepp_logan_3d(geometry);
  const std::vector<float> full = project_all(phantom, geometry, 60.0);
  std::vector<float> part(std::size_t{5} * geometry.cols);
  phantom.project(geometry, 60.0, 10, 15, part);
  EXPECT_TRUE(std::equal(part.begin(), part.end(), full.begin() + 10 * geometry.cols));
  std::vector<float> wrong(7);
  EXPECT_THROW(phantom.project(geometry, 60.0, 10, 15, wrong), std::invalid_argument);
  EXPECT_THROW(phantom.project(geometry, 60.0, 30, 33, part), std::invalid_argument);
}

TEST(Phantom, RotatingThePhantomShiftsTheAngle) {
  const Phantom phantom = shepp_logan_3d({48, 96, 0.0});
  const double alpha = 37.0;
  const Phantom turned = phantom.rotated(alpha);
  for (const double theta : {0.0, 25.0, 100.0}) {
    for (double s = -40.0; s <= 40.0; s += 3.7) {
      for (const double z : {0.0, 6.0, -12.0}) {
        EXPECT_NEAR(turned.line_integral(theta + alpha, s, z), phantom.line_integral(theta, s, z), 1e-9);
      }
    }
  }
}

TEST(Phantom, OppositeAnglesMirrorTheProjection) {
  const DetectorGeometry geometry{16, 64, 0.0};  // axis at (cols - 1) / 2: column u mirrors to cols - 1 - u
  const Phantom phantom = shepp_logan_3d(geometry);
  for (const double theta : {0.0, 31.0, 90.0}) {
    const std::vector<float> front = project_all(phantom, geometry, theta);
    const std::vector<float> back = project_all(phantom, geometry, theta + 180.0);
    for (std::uint32_t r = 0; r < geometry.rows; ++r) {
      for (std::uint32_t u = 0; u < geometry.cols; ++u) {
        ASSERT_NEAR(back[r * geometry.cols + u], front[r * geometry.cols + geometry.cols - 1 - u], 1e-5);
      }
    }
  }
}

TEST(Phantom, CenterOffsetShiftsTheProjection) {
  const DetectorGeometry centred{16, 96, 0.0};
  const DetectorGeometry shifted{16, 96, 3.0};  // a positive offset moves the sinogram toward higher columns
  const Phantom phantom = shepp_logan_3d(shifted);
  for (const double theta : {0.0, 77.0}) {
    const std::vector<float> a = project_all(phantom, centred, theta);
    const std::vector<float> b = project_all(phantom, shifted, theta);
    for (std::uint32_t r = 0; r < 16; ++r) {
      for (std::uint32_t u = 0; u + 3 < 96; ++u) ASSERT_NEAR(b[r * 96 + u + 3], a[r * 96 + u], 1e-6);
    }
  }
}

TEST(Phantom, SheppLoganIsNonNegativeFitsTheFieldAndPeaksNearTarget) {
  for (const double offset : {0.0, -7.5}) {
    const DetectorGeometry geometry{48, 128, offset};
    const Phantom phantom = shepp_logan_3d(geometry);
    EXPECT_LE(phantom.horizontal_radius(), 0.45 * geometry.cols - std::abs(offset) + 1e-9);
    float lowest = 0.f, highest = 0.f;
    for (double theta = 0.0; theta < 180.0; theta += 1.0) {
      const std::vector<float> frame = project_all(phantom, geometry, theta);
      for (std::uint32_t r = 0; r < geometry.rows; ++r) {
        // Outside the object: the first and last columns see nothing, even with the axis offset.
        ASSERT_EQ(frame[r * geometry.cols], 0.f);
        ASSERT_EQ(frame[r * geometry.cols + geometry.cols - 1], 0.f);
      }
      lowest = std::min(lowest, *std::min_element(frame.begin(), frame.end()));
      highest = std::max(highest, *std::max_element(frame.begin(), frame.end()));
    }
    EXPECT_GE(lowest, -1e-6f);
    EXPECT_LE(highest, 2.0f + 1e-4f);
    EXPECT_GE(highest, 0.93f * 2.0f) << "offset " << offset;
    // Densities are never negative either (the eyes cancel to 0 at most).
    for (double x = -60.0; x <= 60.0; x += 1.3) {
      for (double y = -60.0; y <= 60.0; y += 1.7) {
        for (const double z : {0.0, 4.0, -8.0, 15.0}) ASSERT_GE(phantom.density(x, y, z), -1e-12);
      }
    }
  }
}

TEST(Phantom, UnitMaximumConstantIsReachedAndNotExceeded) {
  const Phantom unit = shepp_logan_3d({2, 8, 0.0}, 1.0);  // any scale: the normalised maximum is 1
  const auto& e = unit.ellipsoids();
  const double horizontal = e[0].b / 0.92;
  const double vertical = e[0].c / 0.81;
  // At the documented location (a cusp: the ray grazes the inner ellipsoid) the value is the target, 1 here; a coarse
  // scan never exceeds it.
  EXPECT_NEAR(unit.line_integral(25.286133, 0.6976748 * horizontal, -0.019443 * vertical), 1.0, 1e-3);
  double highest = 0.0;
  for (double theta = 0.0; theta < 180.0; theta += 3.0) {
    for (double s = -1.0; s <= 1.0; s += 0.004) {
      for (double z = -0.8; z <= 0.8; z += 0.05) {
        highest = std::max(highest, unit.line_integral(theta, s * horizontal, z * vertical));
      }
    }
  }
  EXPECT_LE(highest, 1.0 + 1e-6);
  EXPECT_GE(highest, 0.97);
}

TEST(Phantom, RejectsInvalidEllipsoidsAndGeometries) {
  EXPECT_THROW(Phantom({{0, 0, 0, 0.0, 1, 1, 0, 1}}), std::invalid_argument);
  EXPECT_THROW(Phantom({{0, 0, NAN, 1, 1, 1, 0, 1}}), std::invalid_argument);
  EXPECT_THROW(shepp_logan_3d({16, 16, 7.0}), std::invalid_argument);
  EXPECT_THROW(shepp_logan_3d({0, 16, 0.0}), std::invalid_argument);
  EXPECT_THROW(shepp_logan_3d({16, 16, 0.0}, 0.0), std::invalid_argument);
}

TEST(Phantom, DensityIsTheSumOfContainingEllipsoids) {
  const Phantom phantom({{0, 0, 0, 10, 10, 10, 0, 1.0}, {2, 0, 0, 3, 1, 1, 90.0, 0.5}});
  EXPECT_DOUBLE_EQ(phantom.density(0, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(phantom.density(2, 2.5, 0), 1.5);  // rotated by 90 degrees: the long axis is along y
  EXPECT_DOUBLE_EQ(phantom.density(4.5, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(phantom.density(0, 0, 10.5), 0.0);
  EXPECT_DOUBLE_EQ(Phantom().line_integral(0, 0, 0), 0.0);
}

// Half acquisition: the phantom fills the extended field of a 360 degree scan, so it is cut off at the detector's
// near edge (the axis side) at every angle, and the far edge sees nothing; p(theta + 180) mirrors p(theta) about the
// axis wherever both columns lie on the detector.
TEST(Phantom, HalfAcquisitionPhantomFillsTheExtendedField) {
  const DetectorGeometry geometry{8, 96, 30.0};  // axis at column 77.5: the detector reaches 77.5 px to the left
  const Phantom phantom = shepp_logan_3d(geometry, 2.0, FieldOfView::half_acquisition);
  EXPECT_NEAR(phantom.horizontal_radius(), 0.9 * (47.5 + 30.0), 1e-9);
  const std::uint32_t row = geometry.rows / 2;
  for (const double theta : {0.0, 41.0, 90.0, 133.0}) {
    const std::vector<float> a = project_all(phantom, geometry, theta);
    const std::vector<float> b = project_all(phantom, geometry, theta + 180.0);
    EXPECT_EQ(a[row * geometry.cols], 0.f) << "the far edge, 77.5 px from the axis, lies outside the phantom";
    EXPECT_GT(a[row * geometry.cols + geometry.cols - 1], 0.f) << "the near edge cuts through the phantom";
    for (std::uint32_t u = 60; u < geometry.cols; ++u) {  // columns whose mirror 155 - u is on the detector too
      ASSERT_NEAR(b[row * geometry.cols + (155 - u)], a[row * geometry.cols + u], 1e-5) << "theta " << theta;
    }
  }
}

}  // namespace
}  // namespace tomolive::sim
