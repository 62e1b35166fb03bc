#include "tomolive/daemon/socket_security.hpp"

#include <fstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace tomolive::daemon {
namespace {

constexpr std::size_t kZ85KeyLength = 40;
constexpr std::string_view kZapDomain = "tomolive";

// The first word of each line of `path` that is neither blank nor a comment (first non-blank character '#'; Z85
// keys may hold '#' themselves, so a comment after a key needs blanks before it), with its line number; throws when
// the file cannot be read.
std::vector<std::pair<int, std::string>> key_lines(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(fmt::format("{}: cannot be read", path));
  std::vector<std::pair<int, std::string>> lines;
  std::string line;
  constexpr const char* kBlanks = " \t\r";
  for (int number = 1; std::getline(file, line); ++number) {
    const std::size_t first = line.find_first_not_of(kBlanks);
    if (first == std::string::npos || line[first] == '#') continue;
    const std::size_t end = line.find_first_of(kBlanks, first);
    lines.emplace_back(number, line.substr(first, end == std::string::npos ? std::string::npos : end - first));
  }
  return lines;
}

CurvePublicKey decode_key(const std::string& path, int line, const std::string& text) {
  CurvePublicKey key{};
  if (text.size() != kZ85KeyLength || zmq_z85_decode(key.data(), text.c_str()) == nullptr) {
    throw std::runtime_error(fmt::format("{}:{}: \"{}\" is not a CURVE key ({} Z85 characters)", path, line,
                                         text.substr(0, 60), kZ85KeyLength));
  }
  return key;
}

}  // namespace

std::pair<std::string, std::string> load_curve_key_pair(const std::string& secret_key_file) {
  const auto secret_lines = key_lines(secret_key_file);
  if (secret_lines.empty()) throw std::runtime_error(fmt::format("{}: holds no key", secret_key_file));
  const auto& [line, secret] = secret_lines.front();
  decode_key(secret_key_file, line, secret);  // checks the form
  char public_z85[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(public_z85, secret.c_str()) != 0) {
    throw std::runtime_error(fmt::format("{}:{}: no public key can be derived from this secret key ({})",
                                         secret_key_file, line, zmq_strerror(zmq_errno())));
  }
  return {secret, public_z85};
}

std::string load_curve_public_key(const std::string& public_key_file) {
  const auto lines = key_lines(public_key_file);
  if (lines.empty()) throw std::runtime_error(fmt::format("{}: holds no key", public_key_file));
  decode_key(public_key_file, lines.front().first, lines.front().second);
  return lines.front().second;
}

CurveServerKeys load_curve_server_keys(const std::string& secret_key_file, const std::string& clients_file) {
  CurveServerKeys keys;
  std::tie(keys.secret_z85, keys.public_z85) = load_curve_key_pair(secret_key_file);
  for (const auto& [number, text] : key_lines(clients_file)) keys.clients.push_back(decode_key(clients_file, number, text));
  if (keys.clients.empty()) {
    throw std::runtime_error(fmt::format("{}: lists no client key, so no client could connect", clients_file));
  }
  return keys;
}

bool binds_beyond_loopback(std::string_view endpoint) {
  constexpr std::string_view tcp = "tcp://";
  if (!endpoint.starts_with(tcp)) return false;  // ipc://, inproc://: this machine only
  std::string_view host = endpoint.substr(tcp.size());
  if (host.starts_with('[')) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.rfind(':'));
  }
  if (const std::size_t semicolon = host.find(';'); semicolon != std::string_view::npos) {
    host = host.substr(semicolon + 1);  // "source;address" form: the address is what is bound
  }
  return !(host == "localhost" || host == "[::1]" || host.starts_with("127."));
}

void SocketSecurity::apply(zmq::socket_t& socket) const {
  if (!curve) return;
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, curve->secret_z85);
  socket.set(zmq::sockopt::zap_domain, std::string(kZapDomain));
}

void CurveClientKeys::apply(zmq::socket_t& socket) const {
  socket.set(zmq::sockopt::curve_serverkey, server_public_z85);
  socket.set(zmq::sockopt::curve_publickey, public_z85);
  socket.set(zmq::sockopt::curve_secretkey, secret_z85);
}

std::optional<std::string> check_network_exposure(const std::vector<std::string>& bound_endpoints,
                                                  const SocketSecurity& security) {
  if (security.curve || security.insecure_network) return std::nullopt;
  for (const std::string& endpoint : bound_endpoints) {
    if (binds_beyond_loopback(endpoint)) {
      return fmt::format(
          "{} would accept anyone on the network: bind to 127.0.0.1, or give --curve-secret-key and "
          "--curve-clients (CURVE authentication), or say --insecure-network",
          endpoint);
    }
  }
  return std::nullopt;
}

}  // namespace tomolive::daemon
