// IngestItem: one validated data message on its way from an ingest adapter to the engine thread.
// The payload is the ZeroMQ message itself, moved (not copied) from the socket.
#pragma once

#include <cstdint>

#include <zmq.hpp>

#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct IngestItem {
  protocol::DataMessage header;
  // Frames: rows * cols * itemsize bytes (checked by the adapter), aligned to the item size, either in the ZeroMQ
  // message itself or, when the engine prefers its own memory, copied into an engine frame buffer.
  zmq::message_t payload;
  FrameBufferPool::Lease engine_copy;
  std::int64_t received_ns = 0;  // system clock, nanoseconds since the Unix epoch, when the header arrived

  const void* pixels() const { return engine_copy ? engine_copy.data() : payload.data(); }
};

}  // namespace tomolive::daemon
