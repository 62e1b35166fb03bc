#include "tomolive/daemon/zap_handler.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "tomolive/daemon/thread_name.hpp"

namespace tomolive::daemon {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};  // how often the thread checks for a stop request
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";

std::string text(const zmq::message_t& part) { return std::string(static_cast<const char*>(part.data()), part.size()); }

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, std::vector<CurvePublicKey> allowed, DaemonCounters& counters)
    : socket_(context, zmq::socket_type::rep), allowed_(std::move(allowed)), counters_(counters) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
  thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("zap");
    run(std::move(stop));
  });
}

ZapHandler::~ZapHandler() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::run(std::stop_token stop) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  while (!stop.stop_requested()) {
    if (zmq::poll(&item, 1, kPollInterval) > 0) answer_one();
  }
}

// A request: version, request id, domain, address, routing id, mechanism, then the mechanism's credentials (CURVE:
// the client's 32-byte public key). The reply: version, request id, status code, status text, user id, metadata.
void ZapHandler::answer_one() {
  std::vector<zmq::message_t> parts;
  for (bool more = true; more;) {
    zmq::message_t part;
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) return;
    more = part.more();
    parts.push_back(std::move(part));
  }
  const bool well_formed = parts.size() >= 6 && text(parts[0]) == "1.0";
  const std::string request_id = parts.size() > 1 ? text(parts[1]) : std::string();
  const std::string address = parts.size() > 3 ? text(parts[3]) : std::string();
  const bool curve_key = well_formed && text(parts[5]) == "CURVE" && parts.size() == 7 &&
                         parts[6].size() == sizeof(CurvePublicKey);
  const bool allowed =
      curve_key && std::any_of(allowed_.begin(), allowed_.end(), [&](const CurvePublicKey& key) {
        return std::memcmp(key.data(), parts[6].data(), key.size()) == 0;
      });
  if (allowed) {
    bump(counters_.zmq_auth_accepted);
  } else {
    bump(counters_.zmq_auth_denied);
    log_limiter_.log(spdlog::level::warn, "zmq_auth_denied", LogFields{"connection_refused", std::nullopt},
                     "ZeroMQ connection from " + (address.empty() ? std::string("an unknown address") : address) +
                         " refused: " + (curve_key ? "its CURVE key is not in the client list" : "no CURVE key"));
  }
  const std::string code = allowed ? "200" : "400";
  const std::string status = allowed ? "OK" : "key not allowed";
  socket_.send(zmq::buffer(std::string_view("1.0")), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(code), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(std::string_view("")), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(std::string_view("")), zmq::send_flags::none);
}

}  // namespace tomolive::daemon
