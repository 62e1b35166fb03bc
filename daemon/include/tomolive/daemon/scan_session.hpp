// ScanSession: the state of one scan between its begin and end messages.
//
// It checks every frame against the scan's begin (scan id, shape, dtype, frame id range, duplicates, darks/flats
// before projections), assigns each projection its store slot and angle, and keeps the per-scan counts that
// get_status reports. It knows nothing of sockets or engines: the engine worker feeds it headers and acts on the
// answers. Not thread-safe: owned by the engine thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "tomolive/daemon/half_acquisition_layout.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/expected.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// Where an accepted frame goes.
struct FramePlacement {
  protocol::FrameKind kind = protocol::FrameKind::projection;
  std::uint32_t slot = 0;    // projections: store slot (frame_id, or frame_id mod window)
  float angle_rad = 0.f;     // projections: angle of this frame
  bool out_of_order = false; // frame_id below the newest id already received of its kind
};

struct ScanSummary {
  std::uint32_t darks_missing = 0;
  std::uint32_t flats_missing = 0;
  std::uint32_t projections_missing = 0;
};

class ScanSession {
 public:
  // `begin` has passed the codec's geometry validation; `begun_at` is when the daemon took it.
  explicit ScanSession(protocol::ScanBegin begin,
                       std::chrono::steady_clock::time_point begun_at = std::chrono::steady_clock::now());

  const protocol::ScanBegin& begin() const { return begin_; }
  std::uint64_t scan_id() const { return begin_.scan_id; }

  // Where the detector's columns sit in the frames the engine reconstructs: widened (HalfAcquisitionLayout::widened
  // at the announced center offset) for a half-acquisition scan, else the identity.
  const HalfAcquisitionLayout& layout() const { return layout_; }

  // The engine's view of this scan: layout().engine_cols columns, store slots (window or projection count), the
  // FBP angular weight: pi / slots (180 or 360 degrees, each line measured once or twice), 2 pi / slots with half
  // acquisition (360 degrees whose overlap weights make each line count once, kernels/processing.hpp step 4), and
  // where the detector's columns lie in the frame (half_acquisition; disabled without half acquisition).
  kernels::ScanGeometry engine_geometry() const;

  // The projection angle the session assigns to `frame` (the frame's own, else the begin's table or range),
  // degrees.
  double angle_deg_of(const protocol::FrameHeader& frame) const;

  // Checks a frame header against the scan and records it. On success the frame must be handed to the engine.
  protocol::Expected<FramePlacement> accept(const protocol::FrameHeader& frame);

  // Records that an accepted projection was added to the engine. True exactly once per scan: when the last of the
  // announced num_projections has been (all received and reconstructed; never when some are missing).
  bool record_reconstructed();
  std::uint32_t reconstructed() const { return reconstructed_; }
  std::chrono::steady_clock::time_point begun_at() const { return begun_at_; }

  // Records a further stream's begin (identical to the first, which the constructor counted). False, recording
  // nothing, once all `streams` begins have arrived: that begin comes from a restarted sender, not another stream
  // (ZeroMQ PULL does not tell connections apart, so counting begins per scan is the rule).
  bool record_begin();
  std::uint32_t begins_received() const { return begins_received_; }

  // Records one stream's end (the begin's `streams` ends finish the scan); true once all have arrived.
  bool record_end();

  // Marks the scan ended and returns what never arrived.
  ScanSummary end();
  bool ended() const { return ended_; }

  std::uint32_t received(protocol::FrameKind kind) const { return received_count_[index(kind)]; }
  std::uint32_t expected(protocol::FrameKind kind) const;
  // Projection ids below the newest received one that have not arrived (all missing ones once ended).
  std::uint32_t projections_missing() const;
  // Accepted projections per second over the last second.
  double projection_rate_hz(std::chrono::steady_clock::time_point now) const;

 private:
  static std::size_t index(protocol::FrameKind kind) { return static_cast<std::size_t>(kind); }
  float angle_rad_of(const protocol::FrameHeader& frame) const;

  protocol::ScanBegin begin_;
  HalfAcquisitionLayout layout_;
  std::array<std::vector<bool>, 3> seen_;          // per kind, indexed by frame_id
  std::array<std::uint32_t, 3> received_count_{};  // per kind
  std::array<std::int64_t, 3> newest_id_{-1, -1, -1};
  std::deque<std::chrono::steady_clock::time_point> recent_projections_;  // the last second's arrivals
  std::chrono::steady_clock::time_point begun_at_;
  std::uint32_t reconstructed_ = 0;  // projections added to the engine
  std::uint32_t begins_received_ = 1;  // the constructor's begin
  std::uint32_t ends_received_ = 0;
  bool ended_ = false;
};

}  // namespace tomolive::daemon
