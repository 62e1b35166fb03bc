#include "tomolive/daemon/handshake_monitor.hpp"

#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tomolive::daemon {
namespace {

constexpr int kHandshakeFailures =
    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
constexpr std::size_t kEventFrameBytes = 6;  // uint16 event, uint32 value, native byte order (zmq_socket_monitor)

// An inproc address no other monitor of this process uses.
std::string monitor_address() {
  static std::atomic<std::uint64_t> next{0};
  return "inproc://tomolive-handshake-monitor-" + std::to_string(next.fetch_add(1));
}

std::string protocol_error_text(std::uint32_t value) {
  switch (value) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
      return "a cryptographic error (the peer's CURVE keys do not match ours)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "a security mechanism mismatch (one side uses CURVE, the other not)";
    default:
      return fmt::format("protocol error 0x{:08x} (ZMQ_PROTOCOL_ERROR_*)", value);
  }
}

}  // namespace

HandshakeMonitor::HandshakeMonitor(zmq::context_t& context, zmq::socket_t& socket, std::string name,
                                   std::atomic<std::uint64_t>& failures, std::atomic<std::uint64_t>& all_failures)
    : watched_(socket), name_(std::move(name)), failures_(failures), all_failures_(all_failures),
      events_(context, zmq::socket_type::pair) {
  const std::string address = monitor_address();
  if (zmq_socket_monitor(socket.handle(), address.c_str(), kHandshakeFailures) != 0) throw zmq::error_t();
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(address);
}

HandshakeMonitor::~HandshakeMonitor() { zmq_socket_monitor(watched_.handle(), nullptr, 0); }

std::uint64_t HandshakeMonitor::read_events() {
  std::uint64_t refusals = 0;
  for (;;) {
    zmq::message_t event, peer;
    if (!events_.recv(event, zmq::recv_flags::dontwait)) return refusals;
    if (event.more()) (void)events_.recv(peer, zmq::recv_flags::none);  // the second part travels with the first
    if (event.size() != kEventFrameBytes) continue;                        // not an event of the v1 format
    std::uint16_t id = 0;
    std::uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
    if ((id & kHandshakeFailures) == 0) continue;
    failures_.fetch_add(1, std::memory_order_relaxed);
    all_failures_.fetch_add(1, std::memory_order_relaxed);
    if (id != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) ++refusals;
    log_limiter_.log(spdlog::level::warn, "handshake_failed", LogFields{"handshake_failed", std::nullopt},
                     "data socket " + name_ + ": " + describe_failure(id, value, peer.to_string()));
  }
}

std::string HandshakeMonitor::describe_failure(std::uint16_t event, std::uint32_t value, const std::string& peer) {
  std::string why;
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      why = fmt::format("refused by authentication (ZAP status {}: the server does not admit our key, or we do not "
                        "admit the peer's)",
                        value);
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      why = protocol_error_text(value);
      break;
    default:
      why = fmt::format("the connection closed during the handshake ({}; a CURVE client whose server key is not "
                        "the server's sees this)",
                        std::error_code(static_cast<int>(value), std::generic_category()).message());
      break;
  }
  return fmt::format("handshake with {} failed: {}", peer.empty() ? "a peer" : peer, why);
}

}  // namespace tomolive::daemon
