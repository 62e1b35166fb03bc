// ZmqControlServer: the control REP socket. One thread receives a request, answers it through ControlHandlers and
// sends the reply (a get_slice or sweep_center reply adds its float32 values as part 2). A request that cannot be
// decoded is answered with an error reply, so a REQ client never hangs. With a token configured, every request but
// get_status and get_slice must carry it ("token", PROTOCOL.md 10.1), or it is refused with permission_denied.
#pragma once

#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "tomolive/daemon/control_handlers.hpp"
#include "tomolive/daemon/socket_security.hpp"

namespace tomolive::daemon {

class ZmqControlServer {
 public:
  struct Options {
    std::string endpoint = "tcp://127.0.0.1:5557";
    SocketSecurity security;  // applied before binding
    std::string token;        // needed by requests that change anything; empty: none needed
  };

  // Binds at once; throws zmq::error_t if the endpoint is unusable.
  ZmqControlServer(zmq::context_t& context, const Options& options, ControlHandlers& handlers);
  ~ZmqControlServer();  // stops and joins
  ZmqControlServer(const ZmqControlServer&) = delete;
  ZmqControlServer& operator=(const ZmqControlServer&) = delete;

  void stop();
  const std::string& endpoint() const { return endpoint_; }
  // Replaces the token (a configuration reload): requests served from now on need the new one. Thread-safe.
  void set_token(std::string token);

 private:
  std::string token() const;
  void run(std::stop_token stop);
  void serve_one();

  zmq::socket_t socket_;
  std::string endpoint_;
  mutable std::mutex token_mutex_;
  std::string token_;  // guarded by token_mutex_
  ControlHandlers& handlers_;
  std::jthread thread_;  // last member
};

}  // namespace tomolive::daemon
