// Detector positions as "cells" between columns: the interpolation arithmetic of the CUDA backprojection kernels,
// __host__ __device__ so that a host test checks it against sample_row_linear() (the edge rule of
// detector_sampling.hpp, which every backprojection path follows).
//
// A detector position u (fractional column) is handled as v = u - 0.5. Cell k = rint(v) spans columns k and k + 1;
// v - k (the offset) lies in [-0.5, 0.5] and u - k = offset + 0.5 is the linear-interpolation weight of column k + 1.
// rint is the float trick (v + 1.5 * 2^23) - 1.5 * 2^23 (exact for |v| < 2^22), and the bits of v + 1.5 * 2^23 are
// the cell index plus a constant: no float-to-int conversion, which runs at 1/8 of the FMA rate on sm_90.
// The rule's support u in (-1, cols) is v in (-1.5, cols - 0.5) (cell_support): rint of a position inside it is a
// cell in [-1, cols - 1], so the kernels read one zero column on each side of the detector (cell -1 spans the zero
// column -1 and column 0, cell cols - 1 spans column cols - 1 and the zero column cols) and never further.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "tomolive/kernels/detector_sampling.hpp"
#include "tomolive/kernels/host_device.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels::cuda {

inline constexpr float kRoundMagic = 12582912.f;          // 1.5 * 2^23
inline constexpr std::uint32_t kRoundMagicBits = 0x4B400000u;  // its bits: cell k has key kRoundMagicBits + k

TOMOLIVE_HD inline std::uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  std::uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
#endif
}

struct CellPosition {
  std::uint32_t key;  // kRoundMagicBits + cell index (mod 2^32)
  float offset;       // v - cell index, in [-0.5, 0.5]
};

TOMOLIVE_HD inline CellPosition locate_cell(float v) {
  const float rounded = v + kRoundMagic;
  return {float_bits(rounded), v - (rounded - kRoundMagic)};
}

// The support of the edge rule (detector_sampling.hpp) in v = u - 0.5: the open interval (begin, end) =
// (-1.5, cols - 0.5). A position outside it samples 0.
struct CellSupport {
  float begin;
  float end;
};

TOMOLIVE_HD inline CellSupport cell_support(std::uint32_t cols) {
  return {kSupportBegin - 0.5f, support_end(cols) - 0.5f};
}

// Whether v = u - 0.5 lies in the support; false for NaN.
TOMOLIVE_HD inline bool in_support(float v, const CellSupport& support) { return v > support.begin && v < support.end; }

// A cell as the axial kernel stages it (8 bytes: one shared-memory load): a line in v_local = v - first_col (v measured
// from the first column of the tile's window, so that the numbers stay small), valid for v_local in [n - 0.5, n + 0.5]
// where n = rint(v_local) is the cell's index in the window: value = intercept + v_local * slope
// (= left + (v - cell + 0.5) * (right - left)). Per pixel this costs one FFMA, without the offset v - rint(v).
struct alignas(8) CellLine {
  float intercept;
  float slope;
};

TOMOLIVE_HD inline CellLine cell_line(float left, float right, std::uint32_t n) {
  const float slope = right - left;
  return {fmaf(-static_cast<float>(n), slope, 0.5f * (left + right)), slope};
}

TOMOLIVE_HD inline float evaluate(const CellLine& cell, float v_local) {
  return fmaf(v_local, cell.slope, cell.intercept);
}

// The vertical kernel's form: the weights of the cell's two columns at offset o = v - cell (in [-0.5, 0.5]), times
// sign (+1 add, -1 remove): value = left * weights.left + right * weights.right.
struct CellWeights {
  float left;
  float right;
};

TOMOLIVE_HD inline CellWeights cell_weights(float offset, float sign) {
  const float right = fmaf(sign, offset, 0.5f * sign);
  return {sign - right, right};
}

// Axial tiles: kAxialTile x kAxialTile pixels; per angle, kAxialWindow cells are staged. A tile spans at most
// (kAxialTile - 1) * (|cos| + |sin|) <= 89.1 columns (planes step at most 1 pixel per row or column), and
// axial_window() adds at most 3 cells: 93 <= kAxialWindow. A plane stepping s pixels spans 89.1 s columns: it needs
// a window of s x kAxialWindow cells (orthoslice_backprojection.cu, window scale).
inline constexpr unsigned kAxialTile = 64;
inline constexpr unsigned kAxialWindow = 96;

// The window of cells an axial tile needs at one angle, from v at its corners (v is monotone in x and in y, so the
// corners bound every pixel of the tile): cells from first_col on; `touches` when some pixel of the tile may lie in
// the support (by a margin of 1/64 pixel beyond the corners' rounding). A tile that does not touch it samples 0 at
// every pixel: the kernel skips the entry. A tile that touches it needs no per-pixel test: its window's cells off the
// detector are staged as zero columns, which is the edge rule. The window spans at most (hi - lo) + 3 cells.
struct AxialWindow {
  std::int32_t first_col;
  bool touches;
};

TOMOLIVE_HD inline AxialWindow axial_window(const float (&corner_x)[2], const float (&corner_y)[2], float cos_t,
                                            float sin_t, float axis_m, const CellSupport& support) {
  float lo = INFINITY, hi = -INFINITY;
  for (int cy = 0; cy < 2; ++cy) {
    const float row_base = fmaf(corner_y[cy], sin_t, axis_m);
    for (int cx = 0; cx < 2; ++cx) {
      const float v = fmaf(corner_x[cx], cos_t, row_base);
      lo = fminf(lo, v);
      hi = fmaxf(hi, v);
    }
  }
  constexpr float kMargin = 1.f / 64;
  AxialWindow w;
  // Clamped so that a slice far off the detector (every pixel outside) cannot overflow the int.
  w.first_col = static_cast<std::int32_t>(floorf(fminf(fmaxf(lo, -1e6f), 1e6f))) - 1;
  w.touches = hi > support.begin - kMargin && lo < support.end + kMargin;
  return w;
}

// v of pixel (x, y) at one angle, as the axial kernel computes it (row_base shared by a row of pixels).
TOMOLIVE_HD inline float axial_position(float x, float y, float cos_t, float sin_t, float axis_m) {
  return fmaf(x, cos_t, fmaf(y, sin_t, axis_m));
}

// v along a row of a vertical slice at one angle: v(j) = base + j * step (x and y of a vertical plane depend on the
// column j only), as the vertical kernel computes it.
struct ColumnLine {
  float base;
  float step;
  TOMOLIVE_HD float at(float j) const { return fmaf(j, step, base); }
};

TOMOLIVE_HD inline ColumnLine column_line(const SlicePlane& plane, float cos_t, float sin_t, float axis_m) {
  return {fmaf(plane.x0, cos_t, fmaf(plane.y0, sin_t, axis_m)), fmaf(plane.x_dj, cos_t, plane.y_dj * sin_t)};
}

}  // namespace tomolive::kernels::cuda
