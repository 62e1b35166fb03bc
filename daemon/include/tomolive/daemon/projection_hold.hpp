// ProjectionHold: the projections of a scan that arrive on several streams before all of the scan's darks and
// flats, held until those are in (PROTOCOL.md 6, "Several streams"; 17.3, "Streams").
//
// ZeroMQ orders messages per connection only. When one detector deals its images over several PUSH sockets (image k
// on socket k mod S, darks and flats included), a projection may arrive on socket 1 before the last flat on socket
// 0, while the engine needs every dark and flat before the first projection. The engine thread keeps such a
// projection here (at most `capacity`, each holding its frame memory), and hands the held ones on in frame-id order
// once the references are complete, when the hold is full, or when the scan ends.
// Not thread-safe: used by the engine thread only.
#pragma once

#include <cstddef>
#include <vector>

#include "tomolive/daemon/ingest_item.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

class ProjectionHold {
 public:
  struct Held {
    protocol::FrameHeader frame;
    IngestItem item;
  };

  explicit ProjectionHold(std::size_t capacity) : capacity_(capacity) {}

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return held_.size(); }
  bool empty() const { return held_.empty(); }
  bool full() const { return held_.size() >= capacity_; }

  // Keeps the projection `frame` with its pixels. Precondition: !full().
  void hold(const protocol::FrameHeader& frame, IngestItem item);
  // Every held projection, in frame-id order (ties: arrival order); the hold is empty afterwards.
  std::vector<Held> take_all();

 private:
  const std::size_t capacity_;
  std::vector<Held> held_;  // in arrival order
};

}  // namespace tomolive::daemon
