#include "tomolive/daemon/scan_status_builder.hpp"

#include "tomolive/daemon/memory_plan_format.hpp"

namespace tomolive::daemon {

using protocol::FrameKind;

double center_column_px(std::uint32_t detector_cols, DetectorOffsetPx offset) {
  return 0.5 * (static_cast<double>(detector_cols) - 1.0) + offset.px;
}

protocol::ScanStatus build_scan_status(const ScanStatusSources& sources, std::chrono::steady_clock::time_point now) {
  const ScanSession& session = sources.session;
  const protocol::ScanBegin& begin = session.begin();
  protocol::ScanStatus status;
  status.scan_id = begin.scan_id;
  status.name = begin.name;
  status.state = session.ended() ? "ended" : "receiving";
  status.rows = begin.rows;
  status.cols = begin.cols;
  status.window = begin.window;
  status.half_acquisition = begin.half_acquisition;
  status.slice_cols = session.layout().engine_cols;
  status.darks_received = session.received(FrameKind::dark);
  status.darks_expected = session.expected(FrameKind::dark);
  status.flats_received = session.received(FrameKind::flat);
  status.flats_expected = session.expected(FrameKind::flat);
  status.projections_received = session.received(FrameKind::projection);
  status.projections_expected = session.expected(FrameKind::projection);
  status.projections_missing = session.projections_missing();
  status.projections_reconstructed = session.reconstructed();
  status.projection_rate_hz = session.projection_rate_hz(now);
  status.pixel_size_um = begin.pixel_size_um;
  if (sources.engine) {
    status.center_offset_px = sources.engine->center_offset.px;
    status.center_column_px = center_column_px(begin.cols, sources.engine->center_offset);
    status.axis_tilt_deg = sources.engine->axis_tilt_deg;
    status.xy_row = sources.engine->slices.xy_row;
    status.xz_y_px = sources.engine->slices.xz_y_px;
    status.yz_x_px = sources.engine->slices.yz_x_px;
  }
  if (sources.plan) status.memory = to_protocol(*sources.plan);
  status.center_estimate = sources.center_estimate;
  status.refilter = sources.refilter;
  status.command = sources.command;
  return status;
}

}  // namespace tomolive::daemon
