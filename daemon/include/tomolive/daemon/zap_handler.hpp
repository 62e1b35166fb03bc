// ZapHandler: ZeroMQ's authentication handler (ZAP, RFC 27 of zeromq.org) for the daemon's CURVE sockets. libzmq
// asks it, for every connection to a socket that SocketSecurity made a CURVE server, whether the client's public
// key may connect; it allows exactly the keys of the daemon's client list and counts each answer
// (zmq_auth_accepted, zmq_auth_denied); refusals are logged once per burst with the count (LogLimiter).
//
// It binds inproc://zeromq.zap.01 on the context at construction, so it must be made before any CURVE socket binds
// (without a handler libzmq would let every client in), and it answers on its own thread until destroyed.
// Thread-safety: constructed and destroyed by one thread; the counters are atomic.
#pragma once

#include <thread>
#include <vector>

#include <zmq.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/log_limiter.hpp"
#include "tomolive/daemon/socket_security.hpp"

namespace tomolive::daemon {

class ZapHandler {
 public:
  // Throws zmq::error_t when the ZAP endpoint is taken (another handler on this context).
  ZapHandler(zmq::context_t& context, std::vector<CurvePublicKey> allowed, DaemonCounters& counters);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

 private:
  void run(std::stop_token stop);
  void answer_one();

  zmq::socket_t socket_;
  const std::vector<CurvePublicKey> allowed_;
  DaemonCounters& counters_;
  LogLimiter log_limiter_;
  std::jthread thread_;  // joined by the destructor
};

}  // namespace tomolive::daemon
