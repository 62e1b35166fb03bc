// HandshakeMonitor: watches the ZeroMQ handshakes of one socket (zmq_socket_monitor) and reports every failed one:
// a peer refused by ZAP or refusing us (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), a peer that broke the protocol, e.g. a
// CURVE client whose server key is not ours (_PROTOCOL), or a connection dropped mid-handshake, which is what a
// CURVE client sees when it holds the wrong server key (_NO_DETAIL). Each failure is counted in the socket's counter
// and in the daemon's total given, and logged (event "handshake_failed", thinned by a LogLimiter: one line per burst with its count).
//
// The monitor's events arrive on a PAIR socket that the owner of the watched socket polls beside it (events()) and
// drains (read_events()), so no thread of its own is needed. Not thread-safe: used by the thread that uses the
// watched socket; the watched socket must outlive the monitor.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <zmq.hpp>

#include "tomolive/daemon/log_limiter.hpp"

namespace tomolive::daemon {

class HandshakeMonitor {
 public:
  // Starts monitoring `socket` (created on `context`); `name` says which socket in log lines (e.g. its endpoint).
  // Each failure adds one to `failures` (this socket's) and to `all_failures` (every socket's). Throws
  // zmq::error_t when libzmq cannot monitor it.
  HandshakeMonitor(zmq::context_t& context, zmq::socket_t& socket, std::string name,
                   std::atomic<std::uint64_t>& failures, std::atomic<std::uint64_t>& all_failures);
  // Stops monitoring.
  ~HandshakeMonitor();
  HandshakeMonitor(const HandshakeMonitor&) = delete;
  HandshakeMonitor& operator=(const HandshakeMonitor&) = delete;

  // The socket the events arrive on: poll it for ZMQ_POLLIN.
  zmq::socket_t& events() { return events_; }
  // Reads every event waiting (never blocks), counting and logging the handshake failures among them. Returns how
  // many of them were refusals (ZAP or protocol: the server sent an ERROR or broke the protocol), after which libzmq
  // does not reconnect a connecting socket; a dropped handshake (_NO_DETAIL) it retries by itself.
  std::uint64_t read_events();
  // The log text of one failure: event ZMQ_EVENT_HANDSHAKE_FAILED_*, its value (a ZAP status code, a
  // ZMQ_PROTOCOL_ERROR_* or an errno) and the peer's endpoint as libzmq gives it.
  static std::string describe_failure(std::uint16_t event, std::uint32_t value, const std::string& peer);

 private:
  zmq::socket_t& watched_;
  std::string name_;
  std::atomic<std::uint64_t>& failures_;
  std::atomic<std::uint64_t>& all_failures_;
  zmq::socket_t events_;
  LogLimiter log_limiter_;
};

}  // namespace tomolive::daemon
