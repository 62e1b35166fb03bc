// Sample centring (PROTOCOL.md 10.11): where a point the user picked in a slice, or the sample's centre of mass seen in
// the projections, lies in the sample-stage frame at angle 0, and the stage motions that bring it onto the rotation
// axis and into the middle of the field of view.
//
// The frame (pixels, origin on the rotation axis at the detector's middle row (rows - 1) / 2):
//   x: along the detector's columns at angle 0, toward higher columns (a point at x projects onto column axis + x);
//   y: the direction that projects onto higher columns after +90 degrees (s = x cos(theta) + y sin(theta));
//   z: vertical, up, toward detector row 0.
// A slice pixel (row, col) of N-wide slices (N = slice_cols) is, PROTOCOL.md 8:
//   xy: x = col - (N - 1) / 2, y = (N - 1) / 2 - row, z = (rows - 1) / 2 - xy_row;
//   xz: x = col - (N - 1) / 2, y = xz_y_px,           z = (rows - 1) / 2 - row;
//   yz: x = yz_x_px,           y = col - (N - 1) / 2, z = (rows - 1) / 2 - row.
// The motions are the displacements to give the sample in that frame: -x, -y (the sample stage on the rotation
// stage, at angle 0) and -z (the vertical stage); times the pixel size when known, in micrometres.
// Thread safety: pure functions, but for sample_in_projections and center_sample, which read the engine (engine
// thread only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "tomolive/daemon/scan_session.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// Where the slices are, as the engine reconstructs them.
struct SliceFrame {
  std::uint32_t rows = 0;        // detector rows
  std::uint32_t slice_cols = 0;  // N
  kernels::SlicePositions positions;
};

struct StagePoint {
  double x_px = 0.0, y_px = 0.0, z_px = 0.0;
};

// The point of `request` (slice "xy", "xz" or "yz"; its point, or its box's centre) in the stage frame, or
// invalid_argument when it lies outside the slice (rows 0..rows - 1 and cols 0..N - 1 of that slice, as floats).
std::variant<StagePoint, protocol::Error> slice_point_in_stage_frame(const protocol::CenterSample& request,
                                                                     const SliceFrame& frame);

// The reply for `point`: the position, the motions, and with `pixel_size_um` the motions in micrometres.
protocol::CenterSampleResult stage_motions(const std::string& slice, const StagePoint& point,
                                           std::optional<double> pixel_size_um);

// Projections the centre-of-mass fit reads at most, spread evenly over the stored ones.
inline constexpr std::uint32_t kMaxSampleProjections = 360;

// The sample's centre of mass from the corrected store alone (kernels/sample_trajectory.hpp): the stage point and
// the fit (projections, RMS residual, the axis offset it found, detector pixels from (cols - 1) / 2) in `result`'s
// optional fields. invalid_argument when fewer than 3 projections hold anything, their angles do not determine the
// fit, or the scan uses half acquisition (its widened frames hold the detector's columns off-centre).
std::variant<protocol::CenterSampleResult, protocol::Error> sample_in_projections(
    const kernels::Engine& engine, const ScanSession& session, std::optional<double> pixel_size_um);

// The whole command on the scan the engine holds: a slice point (the engine's current slice positions) or the
// projections; pixel_size_um from the request, else the begin's.
std::variant<protocol::CenterSampleResult, protocol::Error> center_sample(const kernels::Engine& engine,
                                                                          const ScanSession& session,
                                                                          const protocol::CenterSample& request);

}  // namespace tomolive::daemon
