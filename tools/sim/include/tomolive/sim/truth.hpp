// Ground truth for reconstructions of a Phantom: the orthoslices a perfect reconstruction would show, and noise-free
// sinograms, in the conventions of design.md ("Geometry conventions") for a detector of rows x cols (N = cols):
// - axial (XY) slice through detector row r: N x N, pixel (i, j) at x = j - (N - 1) / 2, y = (N - 1) / 2 - i
//   (row 0 is +y, column 0 is -x, as iradon returns), at the height z of row r;
// - XZ slice at y (pixels from the axis): rows x N, pixel (i, j) at x = j - (N - 1) / 2, height of detector row i;
// - YZ slice at x: rows x N, pixel (i, j) at y = j - (N - 1) / 2, height of detector row i.
// Slices are centred on the rotation axis, so the center offset does not enter.
//
// Values are attenuation in 1/pixel. With supersample = k > 1 each value is the mean density over a k x k grid spread
// evenly over the pixel's 1 x 1 footprint in the horizontal (x, y) plane, at the exact height of the row: a
// reconstruction of row r only sees the projections at that height, and averaging over the footprint makes pixels on
// an edge fair to both sides. The three slices agree where they intersect, for any k. k = 1 samples the centres.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/sim/detector_geometry.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::sim {

// A 2D float32 image, row-major.
struct Image {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::vector<float> pixels;  // rows * cols

  float at(std::uint32_t row, std::uint32_t col) const { return pixels[std::size_t{row} * cols + col]; }
};

// Throws std::invalid_argument if detector_row >= rows or supersample == 0.
Image truth_xy(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, std::uint32_t detector_row,
               unsigned supersample = 1);
// Throws std::invalid_argument if supersample == 0.
Image truth_xz(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, double y_px, unsigned supersample = 1);
Image truth_yz(const Phantom& phantom, std::uint32_t rows, std::uint32_t cols, double x_px, unsigned supersample = 1);

// Noise-free line integrals of one detector row: angles.size() x geometry.cols, image row a being the projection at
// angles_deg[a] (the sinogram a scan of this phantom produces after perfect dark/flat correction and -log).
// Throws std::invalid_argument if detector_row >= geometry.rows.
Image sinogram(const Phantom& phantom, const DetectorGeometry& geometry, std::uint32_t detector_row,
               std::span<const double> angles_deg);

}  // namespace tomolive::sim
