// Host tests of the CUDA kernels' interpolation arithmetic (kernels/cuda/src/detector_cells.hpp, __host__ __device__):
// cell rounding, axial-tile windows and vertical-slice positions against sample_row_linear() (the edge rule of
// detector_sampling.hpp) and backproject_pixel() of slice_geometry.hpp, the CPU engine's core, at the detector's edges
// as everywhere else. No GPU needed: these run everywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "detector_cells.hpp"
#include "gpu_test_support.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels::cuda {
namespace {

using gpu_testing::Seeded;

std::vector<float> random_row(Seeded& rng, std::uint32_t cols) {
  std::vector<float> row(cols);
  for (float& v : row) v = rng.uniform(-1.f, 1.f);
  return row;
}

// The value the kernels compute at v (0 outside the support), through a cell as the vertical kernel does and through a
// staged cell as the axial kernel does.
float kernel_sample(const std::vector<float>& row, float v) {
  const auto cols = static_cast<std::uint32_t>(row.size());
  if (!in_support(v, cell_support(cols))) return 0.f;
  const CellPosition position = locate_cell(v);
  const auto cell = static_cast<std::int32_t>(position.key - kRoundMagicBits);
  // The vertical kernel reads one guard cell on each side of the row, no further.
  EXPECT_GE(cell, -1) << "v " << v;
  EXPECT_LE(cell, static_cast<std::int32_t>(cols) - 1) << "v " << v;
  const float left = detector_column(row.data(), cols, cell);
  const float right = detector_column(row.data(), cols, std::int64_t{cell} + 1);
  EXPECT_GE(position.offset, -0.5f);
  EXPECT_LE(position.offset, 0.5f);
  // The vertical kernel's form (weights, with the sign of an added and of a removed projection)...
  const CellWeights added = cell_weights(position.offset, 1.f);
  const CellWeights removed = cell_weights(position.offset, -1.f);
  const float vertical = left * added.left + right * added.right;
  EXPECT_EQ(left * removed.left + right * removed.right, -vertical);
  // ...and the axial kernel's: a line in v from the first column of a window that puts this cell at index n (the
  // largest n gives the largest rounding). On a tie (v on a column's centre) the window may pick the neighbouring
  // cell, whose line meets this one there.
  const auto column = [&](std::int64_t c) { return detector_column(row.data(), cols, c); };
  for (const std::uint32_t n : {1u, 1 + static_cast<std::uint32_t>(cell + 1) % (kAxialWindow - 2), kAxialWindow - 2}) {
    const std::int64_t first_col = std::int64_t{cell} - n;
    const float v_local = v - static_cast<float>(first_col);
    const std::uint32_t index = locate_cell(v_local).key - kRoundMagicBits;
    EXPECT_LE(index + 1 - n, 2u) << "v " << v << ", n " << n;
    const CellLine line = cell_line(column(first_col + index), column(first_col + index + 1), index);
    EXPECT_NEAR(evaluate(line, v_local), vertical, 2e-5f) << "v " << v << ", n " << n;
  }
  return vertical;
}

// At every position, the edges and beyond included: the kernels' arithmetic is the edge rule.
TEST(DetectorCells, InterpolationEqualsSampleRowLinear) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (int trial = 0; trial < 200; ++trial) {
    const std::uint32_t cols = 1 + rng.below(300);
    const std::vector<float> row = random_row(rng, cols);
    const float last = static_cast<float>(cols - 1);
    std::vector<float> positions = {0.f,   last,         0.5f,        last - 0.5f, -0.25f,      last + 0.25f, -1.f,
                                    -0.5f, last + 0.5f,  last + 1.f,  -0.999f,     last + 0.999f, -1.001f, last + 1.001f};
    for (std::uint32_t c = 0; c < cols; ++c) positions.push_back(static_cast<float>(c));
    for (int k = 0; k < 200; ++k) positions.push_back(rng.uniform(-2.f, last + 2.f));
    for (const float u : positions) {
      // v = u - 0.5 is exact for these u (|u| < 2^22 and u a multiple of 2^-10 or larger than 0.5 in magnitude,
      // rounding at most one ulp otherwise); the rule is continuous, so a rounded v moves the value by ulps only.
      const float v = u - 0.5f;
      EXPECT_NEAR(kernel_sample(row, v), sample_row_linear(row.data(), cols, u), 2e-6f)
          << "cols " << cols << ", u " << u;
    }
  }
}

// Every pixel of an axial tile that touches the support finds its cell inside the staged window, and the staged
// interpolation equals backproject_pixel() at every pixel, those past the detector's edges included; every pixel of a
// tile that does not touch the support (the kernel skips the entry) samples 0. Trials 1 and 2 of every 10 place a tile
// wholly off the detector (45 deg, the slice's corner tile) and across its last column (0 deg, axis 10 px right).
TEST(DetectorCells, AxialWindowCoversEveryPixelOfTheTile) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  int off_tiles = 0, edge_tiles = 0, inner_tiles = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const bool off_case = trial % 10 == 1, edge_case = trial % 10 == 2;
    const std::uint32_t cols = off_case || edge_case ? 640 : 1 + rng.below(700);
    const std::vector<float> row = random_row(rng, cols);
    const float angle = trial % 10 == 0 || edge_case ? 0.f : off_case ? std::numbers::pi_v<float> / 4
                                                                      : rng.uniform(0.f, 7.f);
    const double angle_d = angle;
    const float cos_t = static_cast<float>(std::cos(angle_d)), sin_t = static_cast<float>(std::sin(angle_d));
    const float offset = edge_case ? 10.f : trial % 3 == 0 ? 0.f : rng.uniform(-20.f, 20.f);
    const float axis = axis_column(cols, offset);
    const float axis_m = axis - 0.5f;
    const CellSupport support = cell_support(cols);
    const SlicePlane plane = axial_plane(cols, 0);
    const std::uint32_t tiles = (cols + kAxialTile - 1) / kAxialTile;
    const std::uint32_t i0 = off_case || edge_case ? 0 : rng.below(tiles) * kAxialTile;
    const std::uint32_t j0 = off_case || edge_case ? (tiles - 1) * kAxialTile : rng.below(tiles) * kAxialTile;
    const float corner_x[2] = {fmaf(static_cast<float>(j0), plane.x_dj, plane.x0),
                               fmaf(static_cast<float>(j0 + kAxialTile - 1), plane.x_dj, plane.x0)};
    const float corner_y[2] = {fmaf(static_cast<float>(i0), plane.y_di, plane.y0),
                               fmaf(static_cast<float>(i0 + kAxialTile - 1), plane.y_di, plane.y0)};
    const AxialWindow window = axial_window(corner_x, corner_y, cos_t, sin_t, axis_m, support);
    if (off_case) {
      EXPECT_FALSE(window.touches) << "trial " << trial;
    }
    if (edge_case) {
      EXPECT_TRUE(window.touches) << "trial " << trial;
    }
    // The staged cells, as the kernel stages them: cell n covers columns first_col + n and first_col + n + 1.
    std::vector<CellLine> cells(kAxialWindow);
    for (std::uint32_t n = 0; n < kAxialWindow; ++n) {
      const std::int64_t col = std::int64_t{window.first_col} + n;
      cells[n] = cell_line(detector_column(row.data(), cols, col), detector_column(row.data(), cols, col + 1), n);
    }
    // The kernel's positions from the window's first column.
    const float axis_local = axis_m - static_cast<float>(window.first_col);
    bool past_edge = false;
    for (std::uint32_t i = i0; i < i0 + kAxialTile; ++i) {
      for (std::uint32_t j = j0; j < j0 + kAxialTile; ++j) {
        const float x = fmaf(static_cast<float>(j), plane.x_dj, plane.x0);
        const float y = fmaf(static_cast<float>(i), plane.y_di, plane.y0);
        const float u_cpu = x * cos_t + y * sin_t + axis;
        past_edge = past_edge || u_cpu < 0.f || u_cpu > static_cast<float>(cols - 1);
        const bool in_slice = i < cols && j < cols;  // outside the slice: computed by the kernel, never written
        const float reference =
            in_slice ? backproject_pixel(plane, i, j, row.data(), cols, cos_t, sin_t, axis) : 0.f;
        if (!window.touches) {
          EXPECT_EQ(reference, 0.f) << "cols " << cols << ", pixel " << i << ", " << j << ", angle " << angle;
          continue;
        }
        const float v = axial_position(x, y, cos_t, sin_t, axis_local);
        const std::uint32_t index = locate_cell(v).key - kRoundMagicBits;
        ASSERT_LT(index, kAxialWindow) << "cols " << cols << ", pixel " << i << ", " << j << ", angle " << angle;
        if (!in_slice) continue;
        EXPECT_NEAR(evaluate(cells[index], v), reference, 2e-3f)
            << "cols " << cols << ", pixel " << i << ", " << j << ", angle " << angle;
      }
    }
    ++(!window.touches ? off_tiles : past_edge ? edge_tiles : inner_tiles);
  }
  EXPECT_GT(off_tiles, 0);
  EXPECT_GT(edge_tiles, 0);
  EXPECT_GT(inner_tiles, 0);
}

// The vertical kernel's positions v(j) = base + j * step agree with backproject_pixel() on xz and yz planes, at
// every column (those whose positions fall past the detector's edges included).
TEST(DetectorCells, ColumnLineMatchesBackprojectPixel) {
  Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (int trial = 0; trial < 200; ++trial) {
    const std::uint32_t cols = 2 + rng.below(2000);
    const std::vector<float> row = random_row(rng, cols);
    const double angle = rng.uniform(0.f, 7.f);
    const float cos_t = static_cast<float>(std::cos(angle)), sin_t = static_cast<float>(std::sin(angle));
    const float axis = axis_column(cols, rng.uniform(-10.f, 10.f));
    const float position = rng.uniform(-0.5f, 0.5f) * static_cast<float>(cols);
    for (const SlicePlane& plane : {xz_plane(cols, 1, position), yz_plane(cols, 1, position)}) {
      const ColumnLine line = column_line(plane, cos_t, sin_t, axis - 0.5f);
      for (std::uint32_t j = 0; j < cols; j += 1 + cols / 64) {
        const float v = line.at(static_cast<float>(j));
        const float x = plane.x0 + static_cast<float>(j) * plane.x_dj;
        const float y = plane.y0 + static_cast<float>(j) * plane.y_dj;
        const float u_cpu = x * cos_t + y * sin_t + axis;
        EXPECT_NEAR(v + 0.5f, u_cpu, 1e-3f) << "cols " << cols << ", column " << j;
        EXPECT_NEAR(kernel_sample(row, v), backproject_pixel(plane, 0, j, row.data(), cols, cos_t, sin_t, axis),
                    4e-3f)
            << "cols " << cols << ", column " << j;
      }
    }
  }
}

}  // namespace
}  // namespace tomolive::kernels::cuda
