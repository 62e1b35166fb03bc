// IngestItem: one validated data message on its way from an ingest adapter to the engine thread.
// The payload is the ZeroMQ message itself, moved (not copied) from the socket, or memory an RDMA sender wrote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <zmq.hpp>

#include "tomolive/daemon/bslz4_chunk.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/detector/stream_format.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct IngestItem {
  protocol::DataMessage header;
  // Frames: rows * cols * itemsize bytes (checked by the adapter), aligned to the item size, either in the ZeroMQ
  // message itself or, when the engine prefers its own memory, copied into an engine frame buffer.
  // With keep_payload (persistence on), a ZeroMQ adapter leaves the frame as recorded here also when the engine
  // reads a frame buffer (ZmqIngest::Options::keep_payload).
  zmq::message_t payload;
  FrameBufferPool::Lease engine_copy;
  // Or, for a transport that lands frames in its own memory (an RDMA slot, already in the engine's preferred memory):
  // the pixels, whose deleter gives the memory back to the transport (PROTOCOL.md "RDMA", credits).
  std::shared_ptr<const std::byte> landed;
  // With keep_payload, a detector frame that arrived bslz4-compressed and decoded to exactly its pixels (no
  // masked pixel repaired): its chunk as sent, for the recorder (empty otherwise).
  Bslz4Chunk bslz4;
  std::int64_t received_ns = 0;  // system clock, nanoseconds since the Unix epoch, when the header arrived
  detector::StreamFormat format = detector::StreamFormat::native;  // the wire format it arrived in (per-format counts)
  // A begin from a detector stream whose series carries a pixel mask of the scan's shape: rows x cols, row-major,
  // non-zero = defective (e.g. DECTRIS pixel_mask), for the scan's defective-pixel map (PROTOCOL.md 10.10).
  std::shared_ptr<const std::vector<std::uint8_t>> detector_mask;

  const void* pixels() const {
    if (engine_copy) return engine_copy.data();
    return landed ? landed.get() : payload.data();
  }
};

}  // namespace tomolive::daemon
