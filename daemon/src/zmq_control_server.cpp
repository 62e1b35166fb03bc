#include "tomolive/daemon/zmq_control_server.hpp"

#include <chrono>

#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};

// Every command but reading the status, a slice and the defective-pixel map: those that move, estimate, sweep or
// re-filter.
bool changes_anything(const protocol::ControlRequest& request) {
  return !std::holds_alternative<protocol::GetStatus>(request) &&
         !std::holds_alternative<protocol::GetSlice>(request) &&
         !std::holds_alternative<protocol::GetDefectivePixels>(request);
}

}  // namespace

ZmqControlServer::ZmqControlServer(zmq::context_t& context, const Options& options, ControlHandlers& handlers)
    : socket_(context, zmq::socket_type::rep), token_(options.token), handlers_(handlers) {
  socket_.set(zmq::sockopt::linger, 0);
  options.security.apply(socket_);
  socket_.bind(options.endpoint);
  endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("control");
    run(std::move(stop));
  });
}

ZmqControlServer::~ZmqControlServer() { stop(); }

void ZmqControlServer::set_token(std::string token) {
  const std::lock_guard lock(token_mutex_);
  token_ = std::move(token);
}

std::string ZmqControlServer::token() const {
  const std::lock_guard lock(token_mutex_);
  return token_;
}

void ZmqControlServer::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void ZmqControlServer::run(std::stop_token stop) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  while (!stop.stop_requested()) {
    if (zmq::poll(&item, 1, kPollInterval) > 0) serve_one();
  }
}

void ZmqControlServer::serve_one() {
  zmq::message_t request;
  if (!socket_.recv(request, zmq::recv_flags::dontwait)) return;
  const bool multipart = request.more();
  for (bool more = multipart; more;) {  // a request is one part; drain any others so that REP stays in step
    zmq::message_t extra;
    (void)socket_.recv(extra, zmq::recv_flags::none);
    more = extra.more();
  }

  ControlHandlers::Answer answer;
  if (multipart) {
    answer.reply = handlers_.refuse(
        protocol::Error{protocol::ErrorCode::malformed_header, "a control request is one message part"});
  } else {
    const protocol::ByteView bytes(static_cast<const std::byte*>(request.data()), request.size());
    auto decoded = protocol::decode_control_request(bytes);
    const std::string token = this->token();
    if (decoded && !token.empty() && changes_anything(decoded.value()) && protocol::request_token(bytes) != token) {
      answer.reply = handlers_.refuse(
          protocol::Error{protocol::ErrorCode::permission_denied,
                          "control needs the token given at daemon start (--http-token) as \"token\" in the request"},
          std::string(protocol::command_name(decoded.value())));
    } else if (decoded) {
      answer = handlers_.handle(decoded.value());
    } else {
      answer.reply = handlers_.refuse(decoded.error(), protocol::header_type(bytes));
    }
  }
  const protocol::Bytes reply = protocol::encode(answer.reply);
  const std::vector<float>* second_part = answer.slice ? &answer.slice->values : answer.sweep_images.get();
  if (second_part) {
    socket_.send(zmq::message_t(reply.data(), reply.size()), zmq::send_flags::sndmore);
    socket_.send(zmq::message_t(second_part->data(), second_part->size() * sizeof(float)), zmq::send_flags::none);
  } else {
    socket_.send(zmq::message_t(reply.data(), reply.size()), zmq::send_flags::none);
  }
}

}  // namespace tomolive::daemon
