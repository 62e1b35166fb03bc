// IngestItem: one validated data message on its way from an ingest adapter to the engine thread.
// The payload is the ZeroMQ message itself, moved (not copied) from the socket.
#pragma once

#include <cstdint>

#include <zmq.hpp>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct IngestItem {
  protocol::DataMessage header;
  zmq::message_t payload;        // frames: rows * cols * itemsize bytes (checked by the adapter); else empty
  std::int64_t received_ns = 0;  // system clock, nanoseconds since the Unix epoch, when the header arrived
};

// Nanoseconds since the Unix epoch, the timestamp unit of the protocol.
std::int64_t now_ns();

}  // namespace tomolive::daemon
