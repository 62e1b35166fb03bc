// RdmaReceiver: the daemon's side of one RDMA sender connection (PROTOCOL.md, "RDMA"), over the transport seam.
//
// It negotiates the ring (refusing parameters it cannot accept, with its limits in the reply), allocates slot_count
// slots of slot_bytes from the engine's frame allocator (page-locked with CUDA, so the engine uploads from a slot
// directly), registers each slot as its own memory region (hardware then refuses a write past a slot), keeps
// receives posted, and turns the sender's messages into IngestItems for the EngineInbox: begin and end from header
// messages, frames from a frame message plus the write-with-immediate into its slot. A frame's item holds its slot
// (IngestItem::landed); when the engine releases the item, the slot goes back to the sender in a credit message, so
// a slot is never written while the engine may read it.
//
// Every broken rule (sequence gap, write into an unannounced slot, frame larger than a slot, a slot still held, a
// malformed message) and every queue-pair error ends the connection: the sender gets an error message naming it,
// the daemon a transport_error rejection and rdma_connection_errors. A sender that disconnects during a scan
// counts in rdma_senders_lost (with a transport_error naming the scan). Bad native headers are rejected as the
// ZeroMQ path rejects them and the connection goes on.
//
// serve() runs on the thread that owns the connection and returns when it ended or `stop` was requested.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/rdma/transport.hpp"

namespace tomolive::daemon {

// What a receiver accepts in a connect request.
struct RdmaLimits {
  std::uint32_t max_slot_bytes = 64u << 20;     // the largest frame payload, bytes
  std::uint32_t max_slots = 64;                 // slots per connection (<= 500: two receives per slot are posted)
  std::uint32_t max_message_bytes = 16u << 20;  // the largest SEND (a begin with an angle table), bytes
};

class RdmaReceiver {
 public:
  // `connection` is in the requested state. `allocate` gives the ring's memory (the engine's frame allocator).
  RdmaReceiver(std::unique_ptr<rdma::Connection> connection, const RdmaLimits& limits,
               FrameBufferPool::Allocator allocate, EngineInbox& inbox, EventReporter& reporter,
               DaemonCounters& counters);
  ~RdmaReceiver();
  RdmaReceiver(const RdmaReceiver&) = delete;
  RdmaReceiver& operator=(const RdmaReceiver&) = delete;

  // Accepts or refuses the connection, then serves it until it ends or `stop` is requested.
  void serve(std::stop_token stop);

 private:
  class Session;
  std::unique_ptr<Session> session_;
};

}  // namespace tomolive::daemon
