#include "tomolive/daemon/slice_snapshotter.hpp"

#include <algorithm>
#include <cmath>

namespace tomolive::daemon {
namespace {

using protocol::SliceKind;

kernels::Orthoslice orthoslice(SliceKind kind) {
  switch (kind) {
    case SliceKind::xy: return kernels::Orthoslice::xy;
    case SliceKind::xz: return kernels::Orthoslice::xz;
    case SliceKind::yz: return kernels::Orthoslice::yz;
  }
  return kernels::Orthoslice::xy;
}

// Where the slice lies: the detector row (xy) or pixels from the rotation axis (xz, yz).
double slice_position(SliceKind kind, const kernels::SlicePositions& slices) {
  switch (kind) {
    case SliceKind::xy: return static_cast<double>(slices.xy_row);
    case SliceKind::xz: return static_cast<double>(slices.xz_y_px);
    case SliceKind::yz: return static_cast<double>(slices.yz_x_px);
  }
  return 0.0;
}

}  // namespace

SliceSnapshotter::SliceSnapshotter(SliceBoard& board, std::function<void()> on_slices_changed,
                                   std::chrono::steady_clock::duration publish_interval, Clock clock)
    : board_(board), on_slices_changed_(std::move(on_slices_changed)), publish_interval_(publish_interval),
      clock_(std::move(clock)) {}

void SliceSnapshotter::projection_added(std::int64_t received_ns) {
  newest_received_ns_ = std::max(newest_received_ns_, received_ns);
  dirty_ = true;
}

bool SliceSnapshotter::due() const {
  return dirty_ && (!last_snapshot_ || clock_() - *last_snapshot_ >= publish_interval_);
}

SliceSnapshotter::NonFiniteCounts SliceSnapshotter::snapshot(const kernels::Engine& engine, std::uint64_t scan_id,
                                                            DetectorOffsetPx center_offset) {
  const kernels::ReconParams& params = engine.params();
  NonFiniteCounts non_finite{};
  for (const SliceKind kind : {SliceKind::xy, SliceKind::xz, SliceKind::yz}) {
    const auto [rows, cols] = engine.slice_shape(orthoslice(kind));
    const std::shared_ptr<SliceSnapshot> snapshot = versions_.acquire(kind);
    protocol::SliceUpdate& header = snapshot->header;
    header = protocol::SliceUpdate{};
    header.scan_id = scan_id;
    header.slice = kind;
    header.position = slice_position(kind, params.slices);
    header.rows = rows;
    header.cols = cols;
    header.projections_included = engine.projections_in_store();
    header.sequence = ++sequence_;
    header.center_offset_px = center_offset.px;
    header.received_ns = newest_received_ns_;
    snapshot->values.resize(static_cast<std::size_t>(rows) * cols);
    engine.copy_slice(orthoslice(kind), snapshot->values);
    non_finite[static_cast<std::size_t>(kind)] = static_cast<std::uint64_t>(
        std::count_if(snapshot->values.begin(), snapshot->values.end(), [](float v) { return !std::isfinite(v); }));
    board_.put(snapshot);
  }
  dirty_ = false;
  last_snapshot_ = clock_();
  if (on_slices_changed_) on_slices_changed_();
  return non_finite;
}

}  // namespace tomolive::daemon
