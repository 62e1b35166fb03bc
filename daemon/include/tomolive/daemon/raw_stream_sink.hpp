// RawStreamSink: what persistence sees of a scan (design.md, "Persistence hangs off the scan session"): the begin
// the session accepted, each accepted frame as it arrived on the wire, and the end. The engine thread calls these
// in arrival order; an implementation must return quickly (it queues work for its own thread) and must not throw.
//
// RawFrame shares the received ZeroMQ message with whoever keeps it (recorder queue, capture ring): no copy of the
// pixels is made on the way to the disk. A frame that arrived bslz4-compressed also carries its chunk as sent
// (Bslz4Chunk, sharing the received message), when that chunk decodes to exactly `payload`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "tomolive/daemon/bslz4_chunk.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct RawFrame {
  protocol::FrameHeader header;  // as sent (kind, scan id, frame id, shape, dtype)
  double angle_deg = 0.0;        // projections: the angle the session assigned (begin's table/range or the frame's)
  std::int64_t received_ns = 0;  // system clock, when the header arrived
  std::shared_ptr<const zmq::message_t> payload;  // the pixels as received, rows * cols * itemsize bytes
  Bslz4Chunk bslz4;  // the detector's compressed bytes of those pixels, when they arrived bslz4 (else empty)

  std::span<const std::byte> pixels() const {
    return {static_cast<const std::byte*>(payload->data()), payload->size()};
  }
  // The memory this frame keeps alive for whoever holds it: the pixels and any compressed chunk.
  std::size_t bytes_held() const { return payload->size() + bslz4.size; }
};

class RawStreamSink {
 public:
  virtual ~RawStreamSink() = default;
  // A scan was begun (its memory plan fitted and the engine took it); `time_ns`: now, system clock.
  virtual void scan_begun(const protocol::ScanBegin& begin, std::int64_t time_ns) = 0;
  // Whether frame_accepted keeps frames of the scan begun last (called on the engine thread, like frame_accepted):
  // a frame that nobody keeps is not handed on, so that frames in the engine's own buffers are not copied for nothing
  // (a 4 MB copy per W2 frame on the engine thread).
  virtual bool wants_frames() const = 0;
  // The session accepted this frame of the scan begun last.
  virtual void frame_accepted(const RawFrame& frame) = 0;
  // The scan begun last ended: `complete` when by its end message(s), false when ended otherwise (a new begin, the
  // engine lost, shutdown). `scan_metadata`: the scan's catalogue metadata at its end (EngineWorker::scan_metadata():
  // geometry, angles, processing, center, counters, memory plan, timings, software) when complete, else an empty
  // object; a recording's sidecar carries it (PROTOCOL.md 10.7).
  virtual void scan_ended(std::uint64_t scan_id, bool complete, std::int64_t time_ns,
                          const nlohmann::json& scan_metadata) = 0;
};

}  // namespace tomolive::daemon
