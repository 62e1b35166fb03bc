// Channel: how the sender library moves one scan's messages to the daemon, behind the public calls of send.h.
// ZmqChannel speaks the native ZeroMQ protocol (a PUSH socket, PROTOCOL.md 3); RdmaChannel the RDMA one
// (PROTOCOL.md "RDMA") over the transport seam. The sender (sender_core.hpp) builds the msgpack headers and checks
// the scan's rules; a channel only carries them. Used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tomolive/rdma/transport.hpp"
#include "tomolive/send.h"

namespace tomolive::send {

// When a waiting call gives up: nullopt waits without limit; a deadline already past means "do not wait".
using Deadline = std::optional<std::chrono::steady_clock::time_point>;
Deadline deadline_after(int timeout_ms);

// A status and, when it is not TL_OK, what happened.
struct Outcome {
  tl_status status = TL_OK;
  std::string message;
  static Outcome ok() { return {}; }
  explicit operator bool() const { return status == TL_OK; }
};

struct ResolvedOptions {
  std::uint32_t slot_bytes = 8u << 20;
  std::uint32_t slot_count = 16;
  std::uint32_t message_bytes = 64u << 10;
  std::chrono::milliseconds connect_timeout{5000};
  int queue_frames = 64;
};
ResolvedOptions resolve(const tl_options* options);

// A frame's pixels: copied (`registered` empty) or read in place from a registered buffer.
struct FramePayload {
  std::span<const std::byte> bytes;
  std::optional<std::uint32_t> registered;  // buffer id
};

class Channel {
 public:
  virtual ~Channel() = default;
  // A begin or end header.
  virtual Outcome send_header(std::span<const std::byte> header, Deadline deadline) = 0;
  // A frame's header and payload; `ticket` names it for wait_released. TL_WOULD_BLOCK / TL_TIMED_OUT when there is
  // no room before the deadline (nothing sent).
  virtual Outcome send_frame(std::span<const std::byte> header, const FramePayload& payload, std::uint64_t ticket,
                             Deadline deadline) = 0;
  virtual Outcome register_buffer(std::span<std::byte> memory, std::uint32_t id) = 0;
  // Waits until the frame of `ticket` (every frame when nullopt) has left the caller's memory.
  virtual Outcome wait_released(std::optional<std::uint64_t> ticket, Deadline deadline) = 0;
  // Times a frame found no room.
  virtual std::uint64_t backpressure_waits() const = 0;
};

// host:port after "tcp://" — connects a PUSH socket. Throws nothing: failures come back as the Outcome.
std::unique_ptr<Channel> make_zmq_channel(const std::string& endpoint, const ResolvedOptions& options,
                                          Outcome& outcome);
// Connects over `transport` and negotiates the ring.
std::unique_ptr<Channel> make_rdma_channel(rdma::Transport& transport, const std::string& host, std::uint16_t port,
                                           const ResolvedOptions& options, Outcome& outcome);

}  // namespace tomolive::send
