#include "tomolive/daemon/sample_centring.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/kernels/sample_trajectory.hpp"

namespace tomolive::daemon {

std::variant<StagePoint, protocol::Error> slice_point_in_stage_frame(const protocol::CenterSample& request,
                                                                     const SliceFrame& frame) {
  double row = 0.0, col = 0.0;
  if (request.point) {
    row = (*request.point)[0];
    col = (*request.point)[1];
  } else {
    const std::vector<double>& box = *request.box;
    row = box[0] + 0.5 * (box[2] - 1.0);  // the centre of rows row0 .. row0 + rows - 1
    col = box[1] + 0.5 * (box[3] - 1.0);
  }
  const bool axial = request.slice == "xy";
  const double last_row = axial ? frame.slice_cols - 1.0 : frame.rows - 1.0;
  const double last_col = frame.slice_cols - 1.0;
  if (!(row >= 0.0 && row <= last_row && col >= 0.0 && col <= last_col)) {
    return protocol::Error{protocol::ErrorCode::invalid_argument,
                           "point (row " + kernels::format_number(static_cast<float>(row)) + ", col " +
                               kernels::format_number(static_cast<float>(col)) + ") lies outside the " +
                               request.slice + " slice: rows 0.." + kernels::format_number(static_cast<float>(last_row)) +
                               ", cols 0.." + kernels::format_number(static_cast<float>(last_col)) + " expected"};
  }
  const double middle = 0.5 * (frame.slice_cols - 1.0);
  const double middle_row = 0.5 * (frame.rows - 1.0);
  if (axial) return StagePoint{col - middle, middle - row, middle_row - frame.positions.xy_row};
  if (request.slice == "xz") return StagePoint{col - middle, frame.positions.xz_y_px, middle_row - row};
  return StagePoint{frame.positions.yz_x_px, col - middle, middle_row - row};
}

protocol::CenterSampleResult stage_motions(const std::string& slice, const StagePoint& point,
                                           std::optional<double> pixel_size_um) {
  protocol::CenterSampleResult result;
  result.slice = slice;
  result.x_px = point.x_px;
  result.y_px = point.y_px;
  result.z_px = point.z_px;
  result.move_x_px = -point.x_px;
  result.move_y_px = -point.y_px;
  result.move_z_px = -point.z_px;
  if (pixel_size_um) {
    result.pixel_size_um = *pixel_size_um;
    result.move_x_um = result.move_x_px * *pixel_size_um;
    result.move_y_um = result.move_y_px * *pixel_size_um;
    result.move_z_um = result.move_z_px * *pixel_size_um;
  }
  return result;
}

std::variant<protocol::CenterSampleResult, protocol::Error> sample_in_projections(
    const kernels::Engine& engine, const ScanSession& session, std::optional<double> pixel_size_um) {
  const auto invalid = [](std::string message) {
    return protocol::Error{protocol::ErrorCode::invalid_argument, std::move(message)};
  };
  if (session.layout().widens()) {
    return invalid("the sample's position from the projections is not available for half-acquisition scans: pick a "
                   "point in a slice instead");
  }
  const kernels::ScanGeometry geometry = session.engine_geometry();
  std::vector<std::pair<std::uint32_t, float>> stored;  // slot, angle (radians)
  for (std::uint32_t slot = 0; slot < geometry.slots; ++slot) {
    if (const std::optional<float> angle = engine.slot_angle(slot)) stored.emplace_back(slot, *angle);
  }
  const std::size_t used = std::min<std::size_t>(stored.size(), kMaxSampleProjections);
  std::vector<float> projection(std::size_t{geometry.rows} * geometry.cols);
  std::vector<kernels::ProjectionMoments> moments;
  for (std::size_t i = 0; i < used; ++i) {
    const auto& [slot, angle] = stored[i * stored.size() / used];
    engine.copy_corrected_projection(slot, projection);
    if (auto m = kernels::projection_moments(projection, geometry.rows, geometry.cols, angle)) moments.push_back(*m);
  }
  const std::optional<kernels::SampleTrajectory> fit = kernels::fit_sample_trajectory(moments);
  if (!fit) {
    return invalid("the sample's centre of mass needs at least 3 stored projections with something in the beam at "
                   "angles that determine its sinusoid; " + std::to_string(moments.size()) + " of " +
                   std::to_string(stored.size()) + " stored projections hold anything");
  }
  const StagePoint point{fit->x_px, fit->y_px, 0.5 * (geometry.rows - 1.0) - fit->row_px};
  protocol::CenterSampleResult result = stage_motions("projections", point, pixel_size_um);
  result.projections = fit->projections;
  result.fit_rms_px = fit->rms_px;
  result.axis_offset_px = fit->axis_column_px - 0.5 * (geometry.cols - 1.0);
  return result;
}

std::variant<protocol::CenterSampleResult, protocol::Error> center_sample(const kernels::Engine& engine,
                                                                          const ScanSession& session,
                                                                          const protocol::CenterSample& request) {
  const std::optional<double> pixel_size = request.pixel_size_um ? request.pixel_size_um : session.begin().pixel_size_um;
  if (request.slice == "projections") return sample_in_projections(engine, session, pixel_size);
  const SliceFrame frame{session.begin().rows, session.layout().engine_cols, engine.params().slices};
  auto point = slice_point_in_stage_frame(request, frame);
  if (auto* error = std::get_if<protocol::Error>(&point)) return *error;
  return stage_motions(request.slice, std::get<StagePoint>(point), pixel_size);
}

}  // namespace tomolive::daemon
