#include "tomolive/daemon/slice_snapshotter.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tomolive::daemon {
namespace {

using protocol::SliceKind;

// The engine's orthoslice of an orthoslice kind (not SliceKind::oblique).
kernels::Orthoslice orthoslice(SliceKind kind) {
  switch (kind) {
    case SliceKind::xz: return kernels::Orthoslice::xz;
    case SliceKind::yz: return kernels::Orthoslice::yz;
    default: return kernels::Orthoslice::xy;
  }
}

// Where the slice lies: the detector row (xy), pixels from the rotation axis (xz, yz), or the oblique plane's offset
// from the volume's centre.
double slice_position(SliceKind kind, const kernels::ReconParams& params) {
  switch (kind) {
    case SliceKind::xy: return static_cast<double>(params.slices.xy_row);
    case SliceKind::xz: return static_cast<double>(params.slices.xz_y_px);
    case SliceKind::yz: return static_cast<double>(params.slices.yz_x_px);
    case SliceKind::oblique: return static_cast<double>(params.oblique.offset_px);
  }
  return 0.0;
}

// The oblique plane's unit normal, as published.
std::vector<double> unit_normal(const kernels::ObliqueSlice& oblique) {
  const auto& n = oblique.normal;
  const double length = std::hypot(double{n[0]}, double{n[1]}, double{n[2]});
  return {n[0] / length, n[1] / length, n[2] / length};
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

SliceSnapshotter::Outcome SliceSnapshotter::snapshot(const kernels::Engine& engine, std::uint64_t scan_id,
                                                    DetectorOffsetPx center_offset) {
  const kernels::ReconParams& params = engine.params();
  Outcome outcome;
  for (const SliceKind kind : protocol::kSliceKinds) {
    const bool oblique = kind == SliceKind::oblique;
    if (oblique && !params.oblique.enabled) continue;
    const auto [rows, cols] = oblique ? engine.oblique_shape() : engine.slice_shape(orthoslice(kind));
    const std::shared_ptr<SliceSnapshot> snapshot = versions_.acquire(kind);
    protocol::SliceUpdate& header = snapshot->header;
    header = protocol::SliceUpdate{};
    header.scan_id = scan_id;
    header.slice = kind;
    header.position = slice_position(kind, params);
    if (oblique) header.normal = unit_normal(params.oblique);
    header.rows = rows;
    header.cols = cols;
    header.projections_included = engine.projections_in_store();
    header.sequence = ++sequence_;
    header.center_offset_px = center_offset.px;
    header.received_ns = newest_received_ns_;
    snapshot->values.resize(static_cast<std::size_t>(rows) * cols);
    const auto index = static_cast<std::size_t>(kind);
    try {
      if (oblique) {
        engine.copy_oblique_slice(snapshot->values);
      } else {
        engine.copy_slice(orthoslice(kind), snapshot->values);
      }
    } catch (const kernels::EngineLostError&) {
      throw;
    } catch (const kernels::EngineError& e) {
      outcome.refused[index] = e.what();
      continue;
    }
    outcome.non_finite[index] = static_cast<std::uint64_t>(
        std::count_if(snapshot->values.begin(), snapshot->values.end(), [](float v) { return !std::isfinite(v); }));
    board_.put(snapshot);
  }
  dirty_ = std::any_of(outcome.refused.begin(), outcome.refused.end(), [](const std::string& r) { return !r.empty(); });
  last_snapshot_ = clock_();
  if (on_slices_changed_) on_slices_changed_();
  return outcome;
}

}  // namespace tomolive::daemon
