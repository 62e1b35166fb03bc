// FakeTransport: the transport seam (transport.hpp) in one process, for tests on machines without RDMA hardware.
//
// Listeners and connections live in a FakeTransport object; a sender's open(host, port) finds the listener bound to
// that address and port. It behaves as a reliable-connected queue pair with infinite receiver-not-ready retries:
// - post_send copies the message into the peer's oldest posted receive, or waits (queued, in order) until the peer
//   posts one; a message longer than that receive breaks the connection (remote_operation_error);
// - post_write_with_immediate checks the target against the regions the peer registered (key, and every byte inside
//   the region): outside, the connection breaks with remote_access_error on both sides (as hardware refuses it),
//   else the bytes are copied when a posted receive is consumed, whose completion carries the immediate;
// - the sender's send/write completion comes once the bytes were delivered, so its buffer is reusable from then on;
// - destroying (or disconnect-ing by destruction) one endpoint makes the other's disconnected() true and flushes its
//   outstanding receives; break_connections() injects a queue-pair error into every live connection.
// Thread-safe: one mutex for the whole fake network.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tomolive/rdma/transport.hpp"

namespace tomolive::rdma {

class FakeTransport : public Transport {
 public:
  FakeTransport();
  ~FakeTransport() override;

  std::unique_ptr<Listener> listen(const std::string& address, std::uint16_t port) override;
  std::unique_ptr<Connection> open(const std::string& host, std::uint16_t port,
                                   std::chrono::milliseconds timeout) override;

  // Puts every established connection's queue pair into the error state: on each side the oldest posted receive
  // (or, with none, an unposted completion of op send and work_id kInjectedWorkId) completes with `status`, the
  // rest are flushed, and later work requests complete flushed.
  void break_connections(WorkStatus status = WorkStatus::retry_exceeded);
  static constexpr std::uint64_t kInjectedWorkId = ~std::uint64_t{0};

  // Connections established since construction (for tests that wait for a peer).
  std::size_t connections_established() const;

  struct State;  // shared with listeners and endpoints (fake_transport.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace tomolive::rdma
