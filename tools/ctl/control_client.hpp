// A control connection to tomolived (PROTOCOL.md 10): one REQ socket, one request at a time. A request that got no
// reply within the timeout leaves the socket unusable (ZeroMQ's REQ state machine), so the client closes it and
// opens a new one for the next request. Not thread-safe: one thread uses a client.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::ctl {

// How to reach the daemon: its endpoint, the control token, and the CURVE keys when its sockets use them.
struct Connection {
  std::string endpoint = "tcp://127.0.0.1:5557";
  std::string token;            // PROTOCOL.md 10.1 "token"; empty: none sent
  std::string server_key;       // the daemon's CURVE public key (Z85); empty: plain socket
  std::string client_key_file;  // this client's CURVE secret key (Z85, first line); its public key is derived
  int timeout_ms = 15000;       // how long to wait for a reply (longer than the daemon's 10 s command budget)
};

// One reply: the reply map's bytes and, for get_slice and sweep_center, the float32 second part.
struct Exchange {
  protocol::Bytes reply;
  std::optional<zmq::message_t> payload;
};

class ControlClient {
 public:
  // Throws std::runtime_error when the client key file cannot be read or is not a CURVE secret key, and
  // zmq::error_t when the endpoint cannot be used.
  explicit ControlClient(Connection connection);

  // Sends `request` with the token; nullopt when no reply came within the timeout.
  std::optional<Exchange> request(const protocol::ControlRequest& request);

  const Connection& connection() const { return connection_; }

 private:
  void open_socket();

  Connection connection_;
  std::string client_secret_key_;  // Z85, read once from client_key_file
  zmq::context_t context_{1};
  std::optional<zmq::socket_t> socket_;
};

}  // namespace tomolive::ctl
