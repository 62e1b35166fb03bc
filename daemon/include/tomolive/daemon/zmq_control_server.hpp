// ZmqControlServer: the control REP socket. One thread receives a request, answers it through ControlHandlers and
// sends the reply (a get_slice or sweep_center reply adds its float32 values as part 2). A request that cannot be
// decoded is answered with an error reply, so a REQ client never hangs.
#pragma once

#include <stop_token>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "tomolive/daemon/control_handlers.hpp"

namespace tomolive::daemon {

class ZmqControlServer {
 public:
  // Binds at once; throws zmq::error_t if the endpoint is unusable.
  ZmqControlServer(zmq::context_t& context, const std::string& endpoint, ControlHandlers& handlers);
  ~ZmqControlServer();  // stops and joins
  ZmqControlServer(const ZmqControlServer&) = delete;
  ZmqControlServer& operator=(const ZmqControlServer&) = delete;

  void stop();
  const std::string& endpoint() const { return endpoint_; }

 private:
  void run(std::stop_token stop);
  void serve_one();

  zmq::socket_t socket_;
  std::string endpoint_;
  ControlHandlers& handlers_;
  std::jthread thread_;  // last member
};

}  // namespace tomolive::daemon
