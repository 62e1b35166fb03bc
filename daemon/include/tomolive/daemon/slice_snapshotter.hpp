// SliceSnapshotter: copies the engine's three orthoslices (and its oblique slice, while enabled) into the SliceBoard
// as new versions and wakes the publisher. It throttles: while slices change (dirty) a snapshot is due at most once
// per publish interval since the previous one; the engine thread snapshots at once (snapshot()) after a scan's begin
// or end and after a command recomputed the slices. It owns what the versions carry beyond the engine's state: the
// sequence number (increasing across scans, 1 for the first version), the time the newest reconstructed projection
// was received, and the pool of version storage. The clock is injectable so that the throttling can be tested without waiting. Used by the
// engine thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "tomolive/daemon/center_offset.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::daemon {

class SliceSnapshotter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `on_slices_changed` (may be empty) is called after each snapshot's versions are on the board.
  SliceSnapshotter(SliceBoard& board, std::function<void()> on_slices_changed,
                   std::chrono::steady_clock::duration publish_interval,
                   Clock clock = [] { return std::chrono::steady_clock::now(); });

  // A new scan begins: the newest received time restarts (its first versions say 0).
  void begin_scan() { newest_received_ns_ = 0; }
  // A projection received at `received_ns` (Unix ns) changed the slices.
  void projection_added(std::int64_t received_ns);
  // The slices changed otherwise (e.g. a re-filter).
  void mark_dirty() { dirty_ = true; }
  bool dirty() const { return dirty_; }
  // Dirty, and at least the publish interval has passed since the previous snapshot (or there was none).
  bool due() const;

  // Non-finite values (NaN, infinity) in each slice of a snapshot, indexed by SliceKind.
  using NonFiniteCounts = std::array<std::uint64_t, protocol::kSliceKinds.size()>;
  // Why the engine refused to copy each slice of a snapshot (kernels::EngineError's message; "" for the slices put on
  // the board), indexed by SliceKind: e.g. the axial slice of a row whose slab's device was lost (PROTOCOL.md 10.13).
  using RefusedSlices = std::array<std::string, protocol::kSliceKinds.size()>;
  struct Outcome {
    NonFiniteCounts non_finite{};
    RefusedSlices refused{};
  };

  // Puts the engine's slices (three, or four with the oblique slice; scan `scan_id`, axis at `center_offset`) on the
  // board now, restarts the interval and calls on_slices_changed; clears dirtiness unless a slice was refused (then
  // the next due snapshot tries again). The engine must hold the scan. Returns how many values of each slice are not
  // finite (they are put on the board as they are) and which slices the engine refused (EngineError: nothing is put
  // on the board for them, the others are). Throws what else the engine throws (EngineLostError: the engine is
  // unusable; dirtiness is then left as it was).
  Outcome snapshot(const kernels::Engine& engine, std::uint64_t scan_id, DetectorOffsetPx center_offset);

  std::uint64_t last_sequence() const { return sequence_; }
  void set_publish_interval(std::chrono::steady_clock::duration interval) { publish_interval_ = interval; }

 private:
  SliceBoard& board_;
  std::function<void()> on_slices_changed_;
  std::chrono::steady_clock::duration publish_interval_;
  const Clock clock_;
  SliceVersionPool versions_;
  std::uint64_t sequence_ = 0;
  std::int64_t newest_received_ns_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_snapshot_;
  bool dirty_ = false;
};

}  // namespace tomolive::daemon
