#include "tomolive/kernels/axis_tilt.hpp"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tomolive::kernels {
namespace {

constexpr double kDegreesPerRadian = 57.29577951308232;

// One band's measurement: the offset at its middle row, and its weight.
struct BandOffset {
  double row = 0.0, offset = 0.0, weight = 0.0;
};

// [first, first + count) rows of every pair's projections.
std::vector<OpposedPair> band_of(std::span<const OpposedPair> pairs, std::uint32_t first, std::uint32_t count,
                                 std::uint32_t cols) {
  std::vector<OpposedPair> band;
  band.reserve(pairs.size());
  const std::size_t begin = std::size_t{first} * cols, size = std::size_t{count} * cols;
  for (const OpposedPair& pair : pairs) {
    band.push_back({pair.first.subspan(begin, size), pair.second.subspan(begin, size)});
  }
  return band;
}

}  // namespace

std::optional<AxisTiltEstimate> estimate_axis_tilt(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                   std::uint32_t cols, std::uint32_t band_rows) {
  if (band_rows == 0 || rows < 3 * std::uint64_t{band_rows} || cols < 2) {
    throw std::invalid_argument("estimate_axis_tilt: " + std::to_string(rows) + " x " + std::to_string(cols) +
                                " projections in bands of " + std::to_string(band_rows) +
                                " rows; expected band_rows >= 1, at least 3 bands and cols >= 2");
  }
  const std::size_t pixels = std::size_t{rows} * cols;
  for (const OpposedPair& pair : pairs) {
    if (pair.first.size() != pixels || pair.second.size() != pixels) {
      throw std::invalid_argument("estimate_axis_tilt: a projection holds " +
                                  std::to_string(pair.first.size() != pixels ? pair.first.size()
                                                                             : pair.second.size()) +
                                  " values; expected " + std::to_string(pixels));
    }
  }

  // Bands of band_rows rows; the remainder makes a band of its own when at least half that size, else joins the last.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> extents;  // first row, rows
  for (std::uint32_t first = 0; first + band_rows <= rows; first += band_rows) extents.emplace_back(first, band_rows);
  const std::uint32_t remainder = rows - static_cast<std::uint32_t>(extents.size()) * band_rows;
  if (remainder * 2 >= band_rows) {
    extents.emplace_back(rows - remainder, remainder);
  } else {
    extents.back().second += remainder;
  }
  std::vector<BandOffset> bands;
  for (const auto& [first, size] : extents) {
    const std::optional<CenterEstimate> estimate =
        estimate_center_by_registration(band_of(pairs, first, size, cols), size, cols);
    if (estimate && estimate->samples > 0 && estimate->confidence >= kMinBandConfidence) {
      bands.push_back({first + 0.5 * (size - 1.0), estimate->center_offset_px, estimate->confidence});
    }
  }
  if (bands.size() < 3) return std::nullopt;

  // Weighted least squares of offset = a + s (row - middle).
  const double middle = 0.5 * (rows - 1.0);
  double w = 0.0, wx = 0.0, wy = 0.0;
  for (const BandOffset& band : bands) {
    w += band.weight;
    wx += band.weight * (band.row - middle);
    wy += band.weight * band.offset;
  }
  const double mean_x = wx / w, mean_y = wy / w;
  double sxx = 0.0, sxy = 0.0;
  for (const BandOffset& band : bands) {
    const double dx = band.row - middle - mean_x;
    sxx += band.weight * dx * dx;
    sxy += band.weight * dx * (band.offset - mean_y);
  }
  const double slope = sxy / sxx;
  const double intercept = mean_y - slope * mean_x;
  double residual = 0.0;
  for (const BandOffset& band : bands) {
    const double r = band.offset - (intercept + slope * (band.row - middle));
    residual += band.weight * r * r;
  }
  const double n = static_cast<double>(bands.size());
  const double slope_error = std::sqrt(residual / (n - 2.0) / sxx);  // weights relative: scaled by the residuals

  AxisTiltEstimate estimate;
  estimate.tilt_deg = std::atan(slope) * kDegreesPerRadian;
  estimate.center_offset_px = intercept;
  estimate.tilt_error_deg = slope_error * kDegreesPerRadian;  // d atan(s) / ds = 1 / (1 + s^2) ~ 1 for small tilts
  const double ratio = estimate.tilt_error_deg / kTiltPrecisionDeg;
  estimate.confidence = 1.0 / (1.0 + ratio * ratio);
  estimate.bands = static_cast<std::uint32_t>(bands.size());
  return estimate;
}

}  // namespace tomolive::kernels
