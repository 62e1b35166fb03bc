#include "tomolive/daemon/scan_session.hpp"

#include <cmath>
#include <numbers>
#include <string>

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::FrameKind;

constexpr std::chrono::seconds kRateWindow{1};

}  // namespace

ScanSession::ScanSession(protocol::ScanBegin begin, std::chrono::steady_clock::time_point begun_at)
    : begin_(std::move(begin)),
      layout_(begin_.half_acquisition ? HalfAcquisitionLayout::widened(begin_.cols, DetectorOffsetPx(begin_.center_offset_px))
                                      : HalfAcquisitionLayout::identity(begin_.cols)),
      begun_at_(begun_at) {
  seen_[index(FrameKind::dark)].assign(begin_.num_darks, false);
  seen_[index(FrameKind::flat)].assign(begin_.num_flats, false);
  seen_[index(FrameKind::projection)].assign(begin_.num_projections, false);
}

kernels::ScanGeometry ScanSession::engine_geometry() const {
  kernels::ScanGeometry g;
  g.rows = begin_.rows;
  g.cols = layout_.engine_cols;
  g.slots = begin_.window > 0 ? begin_.window : begin_.num_projections;
  const float turn_weight = begin_.half_acquisition ? 2.f : 1.f;
  g.angle_weight_rad = turn_weight * std::numbers::pi_v<float> / static_cast<float>(g.slots);
  if (begin_.half_acquisition) g.half_acquisition = {true, layout_.detector_col0, layout_.detector_cols};
  return g;
}

std::uint32_t ScanSession::expected(FrameKind kind) const {
  return static_cast<std::uint32_t>(seen_[index(kind)].size());
}

double ScanSession::angle_deg_of(const protocol::FrameHeader& frame) const {
  if (frame.angle_deg) return *frame.angle_deg;
  if (const auto* table = std::get_if<protocol::AngleTable>(&begin_.angles)) {
    return table->angles_deg[frame.frame_id % table->angles_deg.size()];
  }
  const auto& range = std::get<protocol::AngleRange>(begin_.angles);
  return range.start_deg + static_cast<double>(frame.frame_id) * range.step_deg;
}

float ScanSession::angle_rad_of(const protocol::FrameHeader& frame) const {
  return static_cast<float>(angle_deg_of(frame) * std::numbers::pi / 180.0);
}

protocol::Expected<FramePlacement> ScanSession::accept(const protocol::FrameHeader& frame) {
  const std::string kind_name(protocol::to_string(frame.kind));
  if (ended_) {
    return Error{ErrorCode::no_active_scan,
                 kind_name + " " + std::to_string(frame.frame_id) + " for scan " + std::to_string(frame.scan_id) +
                     ", which has already ended"};
  }
  if (frame.scan_id != begin_.scan_id) {
    return Error{ErrorCode::scan_id_mismatch, kind_name + " " + std::to_string(frame.frame_id) + " has scan_id " +
                                                  std::to_string(frame.scan_id) + ", the active scan is " +
                                                  std::to_string(begin_.scan_id)};
  }
  if (frame.rows != begin_.rows || frame.cols != begin_.cols || frame.dtype != begin_.dtype) {
    return Error{ErrorCode::shape_mismatch,
                 kind_name + " " + std::to_string(frame.frame_id) + " is " + std::to_string(frame.rows) + " x " +
                     std::to_string(frame.cols) + " " + std::string(protocol::to_string(frame.dtype)) +
                     ", the scan is " + std::to_string(begin_.rows) + " x " + std::to_string(begin_.cols) + " " +
                     std::string(protocol::to_string(begin_.dtype))};
  }
  const std::size_t k = index(frame.kind);
  auto& seen = seen_[k];
  if (frame.frame_id >= seen.size()) {
    return Error{ErrorCode::frame_id_out_of_range,
                 kind_name + " frame_id " + std::to_string(frame.frame_id) + " is beyond the " +
                     std::to_string(seen.size()) + " announced at begin (ids 0.." +
                     (seen.empty() ? std::string("none") : std::to_string(seen.size() - 1)) + ")"};
  }
  if (seen[frame.frame_id]) {
    return Error{ErrorCode::duplicate_frame,
                 kind_name + " frame_id " + std::to_string(frame.frame_id) + " was already received"};
  }
  if (frame.kind != FrameKind::projection && received_count_[index(FrameKind::projection)] > 0) {
    return Error{ErrorCode::reference_after_projections,
                 kind_name + " " + std::to_string(frame.frame_id) + " arrived after " +
                     std::to_string(received_count_[index(FrameKind::projection)]) +
                     " projections; darks and flats must precede the first projection"};
  }

  seen[frame.frame_id] = true;
  ++received_count_[k];
  FramePlacement placement;
  placement.kind = frame.kind;
  placement.out_of_order = static_cast<std::int64_t>(frame.frame_id) < newest_id_[k];
  newest_id_[k] = std::max(newest_id_[k], static_cast<std::int64_t>(frame.frame_id));
  if (frame.kind == FrameKind::projection) {
    placement.slot = static_cast<std::uint32_t>(begin_.window > 0 ? frame.frame_id % begin_.window : frame.frame_id);
    placement.angle_rad = angle_rad_of(frame);
    const auto now = std::chrono::steady_clock::now();
    recent_projections_.push_back(now);
    while (!recent_projections_.empty() && now - recent_projections_.front() > kRateWindow) {
      recent_projections_.pop_front();
    }
  }
  return placement;
}

bool ScanSession::record_reconstructed() {
  ++reconstructed_;
  return reconstructed_ == expected(FrameKind::projection);
}

bool ScanSession::record_begin() {
  if (begins_received_ >= begin_.streams) return false;
  ++begins_received_;
  return true;
}

bool ScanSession::record_end() {
  ++ends_received_;
  return ends_received_ >= begin_.streams;
}

ScanSummary ScanSession::end() {
  ended_ = true;
  ScanSummary summary;
  summary.darks_missing = expected(FrameKind::dark) - received(FrameKind::dark);
  summary.flats_missing = expected(FrameKind::flat) - received(FrameKind::flat);
  summary.projections_missing = expected(FrameKind::projection) - received(FrameKind::projection);
  return summary;
}

std::uint32_t ScanSession::projections_missing() const {
  const std::size_t k = index(FrameKind::projection);
  if (ended_) return expected(FrameKind::projection) - received_count_[k];
  return static_cast<std::uint32_t>(newest_id_[k] + 1) - received_count_[k];
}

double ScanSession::projection_rate_hz(std::chrono::steady_clock::time_point now) const {
  std::size_t n = 0;
  for (auto it = recent_projections_.rbegin(); it != recent_projections_.rend() && now - *it <= kRateWindow; ++it) {
    ++n;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(kRateWindow).count();
}

}  // namespace tomolive::daemon
