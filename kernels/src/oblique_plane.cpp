#include "tomolive/kernels/oblique_plane.hpp"

#include <cmath>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"

namespace tomolive::kernels {
namespace {

using Vec = std::array<double, 3>;

double dot(const Vec& a, const Vec& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec cross(const Vec& a, const Vec& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec scaled(const Vec& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
Vec minus(const Vec& a, const Vec& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double norm(const Vec& a) { return std::sqrt(dot(a, a)); }

Vec unit_normal(const ObliqueSlice& slice) {
  const Vec n{slice.normal[0], slice.normal[1], slice.normal[2]};
  return scaled(n, 1.0 / norm(n));
}

// 0 for x, 1 for y, 2 for z: the normal's largest component (ties: z before y before x).
int dominant_axis(const Vec& n) {
  const double ax = std::fabs(n[0]), ay = std::fabs(n[1]), az = std::fabs(n[2]);
  if (az >= ax && az >= ay) return 2;
  return ay >= ax ? 1 : 0;
}

}  // namespace

bool operator==(const ObliqueSlice& a, const ObliqueSlice& b) {
  return a.enabled == b.enabled && a.normal == b.normal && a.offset_px == b.offset_px;
}

void check_oblique(const ObliqueSlice& slice) {
  const auto& n = slice.normal;
  if (!(std::isfinite(n[0]) && std::isfinite(n[1]) && std::isfinite(n[2]))) {
    throw EngineError("oblique normal [" + format_number(n[0]) + ", " + format_number(n[1]) + ", " +
                      format_number(n[2]) + "] must be three finite numbers");
  }
  if (norm(Vec{n[0], n[1], n[2]}) == 0.0) {
    throw EngineError("oblique normal [0, 0, 0] has no direction: expected a vector of length > 0");
  }
  if (!std::isfinite(slice.offset_px)) {
    throw EngineError("oblique offset_px " + format_number(slice.offset_px) + " is not a finite number");
  }
}

ObliquePlane oblique_plane(const ObliqueSlice& slice, std::uint32_t detector_rows, std::uint32_t cols) {
  const Vec n = unit_normal(slice);
  const int axis = dominant_axis(n);
  // The column direction: +x (+y for a plane facing x) made orthogonal to n. For a plane facing z or y, x cannot be
  // parallel to n (n_x is not the largest component unless the others are smaller), and likewise y for x.
  const Vec reference_col = axis == 0 ? Vec{0.0, 1.0, 0.0} : Vec{1.0, 0.0, 0.0};
  const Vec col_dir = [&] {
    const Vec v = minus(reference_col, scaled(n, dot(reference_col, n)));
    return scaled(v, 1.0 / norm(v));
  }();
  const Vec reference_row = axis == 2 ? Vec{0.0, -1.0, 0.0} : Vec{0.0, 0.0, 1.0};
  Vec row_dir = cross(n, col_dir);
  if (dot(row_dir, reference_row) < 0.0) row_dir = scaled(row_dir, -1.0);

  ObliquePlane p;
  p.rows = axis == 2 ? cols : detector_rows;
  p.cols = cols;
  const double d = slice.offset_px;
  const Vec centre{d * n[0], d * n[1], 0.5 * (static_cast<double>(detector_rows) - 1.0) + d * n[2]};
  const double half_rows = 0.5 * (static_cast<double>(p.rows) - 1.0);
  const double half_cols = 0.5 * (static_cast<double>(p.cols) - 1.0);
  const Vec origin = minus(minus(centre, scaled(row_dir, half_rows)), scaled(col_dir, half_cols));
  p.x0 = static_cast<float>(origin[0]);
  p.y0 = static_cast<float>(origin[1]);
  p.z0 = static_cast<float>(origin[2]);
  p.x_di = static_cast<float>(row_dir[0]);
  p.y_di = static_cast<float>(row_dir[1]);
  p.z_di = static_cast<float>(row_dir[2]);
  p.x_dj = static_cast<float>(col_dir[0]);
  p.y_dj = static_cast<float>(col_dir[1]);
  p.z_dj = static_cast<float>(col_dir[2]);
  return p;
}

ObliqueFromPoints oblique_from_points(const std::array<std::array<float, 3>, 3>& points,
                                      std::uint32_t detector_rows) {
  for (const auto& point : points) {
    for (const float v : point) {
      if (!std::isfinite(v)) return {std::nullopt, "point coordinate " + format_number(v) + " is not a finite number"};
    }
  }
  const auto vec = [](const std::array<float, 3>& p) { return Vec{p[0], p[1], p[2]}; };
  Vec n = cross(minus(vec(points[1]), vec(points[0])), minus(vec(points[2]), vec(points[0])));
  const double length = norm(n);
  if (!(length >= 1e-3)) {
    return {std::nullopt, "the three points are collinear (or repeated): they span no plane"};
  }
  n = scaled(n, 1.0 / length);
  if (n[dominant_axis(n)] < 0.0) n = scaled(n, -1.0);
  const Vec centre{0.0, 0.0, 0.5 * (static_cast<double>(detector_rows) - 1.0)};
  ObliqueSlice slice;
  slice.enabled = true;
  slice.normal = {static_cast<float>(n[0]), static_cast<float>(n[1]), static_cast<float>(n[2])};
  slice.offset_px = static_cast<float>(dot(n, minus(vec(points[0]), centre)));
  return {slice, {}};
}

}  // namespace tomolive::kernels
