// Axis tilt (roll) estimation (PROTOCOL.md 10.4): the in-plane tilt of the rotation axis on the detector, from
// projections taken 180 degrees apart. Engine-independent host code. Thread safety: pure functions.
//
// Convention: with the axis tilted, its detector column depends on the detector row r (row 0 at the top):
//   axis(r) = (cols - 1) / 2 + center_offset_px + (r - (rows - 1) / 2) * tan(tilt)
// so a positive tilt moves the axis toward higher columns further down the detector (on the detector image, row 0
// on top and column 0 on the left: the axis turned clockwise from the vertical). center_offset_px is the offset at
// the middle row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "tomolive/kernels/center_estimation.hpp"

namespace tomolive::kernels {

struct AxisTiltEstimate {
  double tilt_deg = 0.0;          // see the convention above
  double center_offset_px = 0.0;  // at the middle row, pixels from (cols - 1) / 2
  double confidence = 0.0;        // 0..1: 1 / (1 + (tilt standard error / kTiltPrecisionDeg)^2)
  double tilt_error_deg = 0.0;    // the tilt's standard error from the fit's residuals, degrees
  std::uint32_t bands = 0;        // row bands whose offsets entered the fit
};

// The precision the confidence is measured against, degrees: confidence 0.5 when the standard error equals it.
inline constexpr double kTiltPrecisionDeg = 0.05;

// The tilt and centre from `pairs` (each projection rows x cols, row-major, as for estimate_center_by_registration).
//
// Method: the rows are cut into bands of band_rows rows (the remainder makes a band of its own when it has at least
// half as many rows, else joins the last band); in each band estimate_center_by_registration gives the offset o_b
// at the band's middle row r_b with confidence c_b (bands with no usable pair, or c_b below kMinBandConfidence, are
// dropped). A least-squares line o = a + s (r - (rows - 1) / 2), weighted by c_b, gives center_offset_px = a and
// tilt_deg = atan(s) in degrees; the standard error of s follows from the weighted residuals (with n - 2
// degrees of freedom). nullopt when fewer than 3 bands are left. Throws std::invalid_argument when band_rows is 0,
// rows < 3 * band_rows, cols < 2, or a projection does not hold rows * cols values.
std::optional<AxisTiltEstimate> estimate_axis_tilt(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                   std::uint32_t cols, std::uint32_t band_rows);

inline constexpr double kMinBandConfidence = 0.05;

}  // namespace tomolive::kernels
