#include "tomolive/sim/truth.hpp"

#include <stdexcept>
#include <string>

namespace tomolive::sim {
namespace {

void check_supersample(unsigned supersample) {
  if (supersample == 0) throw std::invalid_argument("truth slice: supersample must be >= 1");
}

void check_row(std::uint32_t row, std::uint32_t rows) {
  if (row >= rows) {
    throw std::invalid_argument("detector row " + std::to_string(row) + " out of range: the detector has " +
                                std::to_string(rows) + " rows");
  }
}

double centred(std::uint32_t index, std::uint32_t n) {
  return static_cast<double>(index) - 0.5 * static_cast<double>(n - 1);
}

// Mean density over a k x k grid on the unit square centred at (x, y), at height z.
double footprint_density(const Phantom& phantom, double x, double y, double z, unsigned k) {
  if (k == 1) return phantom.density(x, y, z);
  double sum = 0.0;
  for (unsigned a = 0; a < k; ++a) {
    const double dx = (a + 0.5) / k - 0.5;
    for (unsigned b = 0; b < k; ++b) sum += phantom.density(x + dx, y + (b + 0.5) / k - 0.5, z);
  }
  return sum / (k * k);
}

// A vertical slice: rows x cols, column j at horizontal position centred(j) along (x_dir, y_dir) from (x0, y0).
Image vertical_slice(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, double x0, double y0,
                     double x_dir, double y_dir, unsigned supersample) {
  check_supersample(supersample);
  const DetectorGeometry geometry{rows, cols, 0.0};
  Image image{rows, cols, std::vector<float>(std::size_t{rows} * cols)};
  for (std::uint32_t i = 0; i < rows; ++i) {
    const double z = geometry.row_z(i);
    for (std::uint32_t j = 0; j < cols; ++j) {
      const double t = centred(j, cols);
      image.pixels[std::size_t{i} * cols + j] =
          static_cast<float>(footprint_density(phantom, x0 + t * x_dir, y0 + t * y_dir, z, supersample));
    }
  }
  return image;
}

}  // namespace

Image truth_xy(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, std::uint32_t detector_row,
               unsigned supersample) {
  check_supersample(supersample);
  check_row(detector_row, rows);
  const double z = DetectorGeometry{rows, cols, 0.0}.row_z(detector_row);
  Image image{cols, cols, std::vector<float>(std::size_t{cols} * cols)};
  for (std::uint32_t i = 0; i < cols; ++i) {
    const double y = -centred(i, cols);  // row 0 is +y
    for (std::uint32_t j = 0; j < cols; ++j) {
      image.pixels[std::size_t{i} * cols + j] =
          static_cast<float>(footprint_density(phantom, centred(j, cols), y, z, supersample));
    }
  }
  return image;
}

Image truth_xz(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, double y_px, unsigned supersample) {
  return vertical_slice(phantom, rows, cols, 0.0, y_px, 1.0, 0.0, supersample);
}

Image truth_yz(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, double x_px, unsigned supersample) {
  return vertical_slice(phantom, rows, cols, x_px, 0.0, 0.0, 1.0, supersample);
}

Image sinogram(const Phantom& phantom, const DetectorGeometry& geometry, std::uint32_t detector_row,
               std::span<const double> angles_deg) {
  check_row(detector_row, geometry.rows);
  const auto count = static_cast<std::uint32_t>(angles_deg.size());
  Image image{count, geometry.cols, std::vector<float>(std::size_t{count} * geometry.cols)};
  for (std::uint32_t a = 0; a < count; ++a) {
    phantom.project(geometry, angles_deg[a], detector_row, detector_row + 1,
                    std::span<float>(image.pixels).subspan(std::size_t{a} * geometry.cols, geometry.cols));
  }
  return image;
}

}  // namespace tomolive::sim
