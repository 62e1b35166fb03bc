#include "control_client.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace tomolive::ctl {
namespace {

// The first word of the first line of `path` that is not blank and not a comment ('#' first).
std::string read_key(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(path + ": cannot be read");
  std::string word;
  for (std::string line; std::getline(file, line);) {
    std::istringstream words(line);
    if (words >> word && word.front() != '#') return word;
  }
  throw std::runtime_error(path + ": holds no key");
}

}  // namespace

ControlClient::ControlClient(Connection connection) : connection_(std::move(connection)) {
  if (!connection_.server_key.empty()) client_secret_key_ = read_key(connection_.client_key_file);
  open_socket();
}

void ControlClient::open_socket() {
  socket_.emplace(context_, zmq::socket_type::req);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::rcvtimeo, connection_.timeout_ms);
  if (!connection_.server_key.empty()) {
    char public_key[41] = {};
    if (zmq_curve_public(public_key, client_secret_key_.c_str()) != 0) {
      throw std::runtime_error(connection_.client_key_file + ": not a CURVE secret key");
    }
    socket_->set(zmq::sockopt::curve_serverkey, connection_.server_key);
    socket_->set(zmq::sockopt::curve_publickey, std::string(public_key));
    socket_->set(zmq::sockopt::curve_secretkey, client_secret_key_);
  }
  socket_->connect(connection_.endpoint);
}

std::optional<Exchange> ControlClient::request(const protocol::ControlRequest& request) {
  const auto bytes = protocol::encode(request, connection_.token);
  socket_->send(zmq::message_t(bytes.data(), bytes.size()), zmq::send_flags::none);
  zmq::message_t reply;
  if (!socket_->recv(reply, zmq::recv_flags::none)) {
    open_socket();  // the REQ socket waits for a reply that may never come: start over
    return std::nullopt;
  }
  const auto* data = static_cast<const std::byte*>(reply.data());
  Exchange exchange{protocol::Bytes(data, data + reply.size()), std::nullopt};
  if (reply.more()) {
    zmq::message_t payload;
    if (socket_->recv(payload, zmq::recv_flags::none)) exchange.payload = std::move(payload);
  }
  return exchange;
}

}  // namespace tomolive::ctl
