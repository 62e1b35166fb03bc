// RdmaIngest: one --rdma endpoint. A thread listens through the transport seam (rdma/transport.hpp) and gives every
// sender that connects its own RdmaReceiver on its own thread (one RC queue pair per sender); frames go into the
// same EngineInbox as the ZeroMQ path's. Threads of ended connections are joined as new ones come and at stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/daemon/rdma_receiver.hpp"
#include "tomolive/rdma/transport.hpp"

namespace tomolive::daemon {

class RdmaIngest {
 public:
  struct Options {
    std::string address;  // an address of an RDMA-capable interface (IPoIB, RoCE), or 0.0.0.0 for all
    std::uint16_t port = 7471;
    RdmaLimits limits;
  };

  // Listens at once; throws rdma::TransportError ("no RDMA device found: ...", or the bind failure with the address).
  // `allocate` gives each connection's ring (the engine's frame allocator, or plain memory).
  RdmaIngest(rdma::Transport& transport, const Options& options, FrameBufferPool::Allocator allocate,
             EngineInbox& inbox, EventReporter& reporter, DaemonCounters& counters);
  // Stops listening, ends every connection (the senders get shutting_down) and joins the threads.
  ~RdmaIngest();
  RdmaIngest(const RdmaIngest&) = delete;
  RdmaIngest& operator=(const RdmaIngest&) = delete;

  void stop();
  // "ADDRESS:PORT on DEVICE" (the port as bound).
  std::string endpoint() const;
  std::uint16_t port() const { return listener_->port(); }
  std::uint32_t connections() const { return connections_.load(std::memory_order_relaxed); }

 private:
  struct Connection {
    std::atomic<bool> done{false};
    std::jthread thread;
  };

  void run(std::stop_token stop);
  void reap_ended();

  const Options options_;
  const FrameBufferPool::Allocator allocate_;
  EngineInbox& inbox_;
  EventReporter& reporter_;
  DaemonCounters& counters_;
  std::unique_ptr<rdma::Listener> listener_;
  std::atomic<std::uint32_t> connections_{0};
  std::list<Connection> serving_;  // only the listening thread touches it until stop() joins that thread
  std::jthread thread_;  // last member: started after everything it uses exists
};

}  // namespace tomolive::daemon
