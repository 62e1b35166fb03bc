#include "tomolive/sim/phantom.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>

namespace tomolive::sim {
namespace {

double radians(double degrees) { return degrees * (std::numbers::pi / 180.0); }

struct Vec3 {
  double x = 0.0, y = 0.0, z = 0.0;
};
double dot(const Vec3& p, const Vec3& q) { return p.x * q.x + p.y * q.y + p.z * q.z; }

// Maps a world vector to the ellipsoid's unit-sphere frame: rotate by -angle about z (c, s: its cosine and sine),
// then divide by the semi-axes.
Vec3 to_unit_frame(const Ellipsoid& e, double c, double s, const Vec3& v) {
  return {(c * v.x + s * v.y) / e.a, (-s * v.x + c * v.y) / e.b, v.z / e.c};
}

// The chords of one ellipsoid along the rays of one angle and one height, as a function of s.
// With q(t) = q0(s) + t D in the unit frame, the ray meets the ellipsoid where |q(t)| <= 1; with q0(s) = P + s E,
// the reduced discriminant of |q(t)|^2 = 1 in t is Delta(s) = alpha + beta s + gamma s^2 and the chord is
// 2 sqrt(Delta) / |D|^2 pixels (t is in pixels: the ray direction is a unit vector). gamma = (E.D)^2 - |E|^2 |D|^2 < 0
// since E and D are not parallel, so the chord is non-zero on one interval of s.
class ChordProfile {
 public:
  // ce, se: cosine and sine of the ellipsoid's angle; ct, st: of the projection angle.
  ChordProfile(const Ellipsoid& e, double ce, double se, double ct, double st, double z) {
    const Vec3 d = to_unit_frame(e, ce, se, {-st, ct, 0.0});
    const Vec3 es = to_unit_frame(e, ce, se, {ct, st, 0.0});
    const Vec3 p = to_unit_frame(e, ce, se, {-e.x, -e.y, z - e.z});
    a_ = dot(d, d);
    const double pd = dot(p, d), ed = dot(es, d);
    alpha_ = pd * pd - a_ * (dot(p, p) - 1.0);
    beta_ = 2.0 * (pd * ed - a_ * dot(p, es));
    gamma_ = ed * ed - a_ * dot(es, es);
  }

  // Chord length (pixels) of the ray at detector coordinate s.
  double chord(double s) const {
    const double delta = alpha_ + s * (beta_ + s * gamma_);
    return delta > 0.0 ? 2.0 * std::sqrt(delta) / a_ : 0.0;
  }

  struct Interval {
    double lo, hi;
  };
  // The interval of s where the chord is non-zero, if any.
  std::optional<Interval> support() const {
    const double disc = beta_ * beta_ - 4.0 * alpha_ * gamma_;
    if (!(disc > 0.0) || !(gamma_ < 0.0)) return std::nullopt;
    const double root = std::sqrt(disc);
    return Interval{(-beta_ + root) / (2.0 * gamma_), (-beta_ - root) / (2.0 * gamma_)};
  }

 private:
  double a_ = 1.0, alpha_ = 0.0, beta_ = 0.0, gamma_ = -1.0;
};

void check(const Ellipsoid& e, std::size_t index) {
  const std::array values{e.x, e.y, e.z, e.a, e.b, e.c, e.angle_deg, e.density};
  const bool finite = std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
  if (!finite || !(e.a > 0.0) || !(e.b > 0.0) || !(e.c > 0.0)) {
    throw std::invalid_argument("ellipsoid " + std::to_string(index) +
                                ": expected finite values and positive semi-axes, got a=" + std::to_string(e.a) +
                                " b=" + std::to_string(e.b) + " c=" + std::to_string(e.c));
  }
}

}  // namespace

Phantom::Phantom(std::vector<Ellipsoid> ellipsoids) : ellipsoids_(std::move(ellipsoids)) {
  for (std::size_t i = 0; i < ellipsoids_.size(); ++i) {
    check(ellipsoids_[i], i);
    const double angle = radians(ellipsoids_[i].angle_deg);
    orientations_.push_back({std::cos(angle), std::sin(angle)});
  }
}

double Phantom::density(double x, double y, double z) const {
  double sum = 0.0;
  for (std::size_t i = 0; i < ellipsoids_.size(); ++i) {
    const Ellipsoid& e = ellipsoids_[i];
    const Vec3 q = to_unit_frame(e, orientations_[i].cos, orientations_[i].sin, {x - e.x, y - e.y, z - e.z});
    if (dot(q, q) <= 1.0) sum += e.density;
  }
  return sum;
}

double Phantom::line_integral(double theta_deg, double s, double z) const {
  const double ct = std::cos(radians(theta_deg)), st = std::sin(radians(theta_deg));
  double sum = 0.0;
  for (std::size_t i = 0; i < ellipsoids_.size(); ++i) {
    const Ellipsoid& e = ellipsoids_[i];
    sum += e.density * ChordProfile(e, orientations_[i].cos, orientations_[i].sin, ct, st, z).chord(s);
  }
  return sum;
}

void Phantom::project(const DetectorGeometry& geometry, double theta_deg, std::uint32_t row_begin,
                      std::uint32_t row_end, std::span<float> out) const {
  const std::size_t cols = geometry.cols;
  if (row_begin > row_end || row_end > geometry.rows || out.size() != (row_end - row_begin) * cols) {
    throw std::invalid_argument("Phantom::project: rows [" + std::to_string(row_begin) + ", " +
                                std::to_string(row_end) + ") of " + std::to_string(geometry.rows) +
                                " into " + std::to_string(out.size()) + " values");
  }
  std::fill(out.begin(), out.end(), 0.f);
  if (cols == 0) return;
  const double axis = geometry.axis_column();
  const double last_col = static_cast<double>(cols - 1);
  const double ct = std::cos(radians(theta_deg)), st = std::sin(radians(theta_deg));
  for (std::size_t i = 0; i < ellipsoids_.size(); ++i) {
    const Ellipsoid& e = ellipsoids_[i];
    for (std::uint32_t row = row_begin; row < row_end; ++row) {
      const double z = geometry.row_z(row);
      if (std::abs(z - e.z) >= e.c) continue;
      const ChordProfile profile(e, orientations_[i].cos, orientations_[i].sin, ct, st, z);
      const auto shadow = profile.support();
      if (!shadow) continue;
      const double first = std::max(0.0, std::ceil(shadow->lo + axis));
      const double last = std::min(last_col, std::floor(shadow->hi + axis));
      if (first > last) continue;
      float* line = out.data() + (row - row_begin) * cols;
      for (auto u = static_cast<std::size_t>(first); u <= static_cast<std::size_t>(last); ++u) {
        line[u] += static_cast<float>(e.density * profile.chord(static_cast<double>(u) - axis));
      }
    }
  }
}

Phantom Phantom::rotated(double angle_deg) const {
  const double c = std::cos(radians(angle_deg)), s = std::sin(radians(angle_deg));
  std::vector<Ellipsoid> turned = ellipsoids_;
  for (Ellipsoid& e : turned) {
    const double x = e.x, y = e.y;
    e.x = c * x - s * y;
    e.y = s * x + c * y;
    e.angle_deg += angle_deg;
  }
  return Phantom(std::move(turned));
}

double Phantom::horizontal_radius() const {
  double radius = 0.0;
  for (const Ellipsoid& e : ellipsoids_) radius = std::max(radius, std::hypot(e.x, e.y) + std::max(e.a, e.b));
  return radius;
}

}  // namespace tomolive::sim
