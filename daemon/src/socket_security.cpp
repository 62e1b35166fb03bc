#include "tomolive/daemon/socket_security.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace tomolive::daemon {
namespace {

constexpr std::size_t kZ85KeyLength = 40;
constexpr std::string_view kZapDomain = "tomolive";

constexpr const char* kBlanks = " \t\r";

// The lines of `path`; throws when the file cannot be read.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(fmt::format("{}: cannot be read", path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(std::move(line));
  return lines;
}

// Whether `line` is blank or a comment (first non-blank character '#').
bool is_blank_or_comment(const std::string& line) {
  const std::size_t first = line.find_first_not_of(kBlanks);
  return first == std::string::npos || line[first] == '#';
}

// A key as a file holds it: Z85 text and its line number (from 1), for error messages.
struct KeyText {
  int line = 0;
  std::string z85;
};

// The first word of each line that is neither blank nor a comment (Z85 keys may hold '#' themselves, so a comment
// after a key needs blanks before it): the bare key-file form.
std::vector<KeyText> key_lines(const std::vector<std::string>& lines) {
  std::vector<KeyText> keys;
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const std::string& line = lines[index];
    if (is_blank_or_comment(line)) continue;
    const std::size_t first = line.find_first_not_of(kBlanks);
    const std::size_t end = line.find_first_of(kBlanks, first);
    keys.push_back({static_cast<int>(index + 1),
                    line.substr(first, end == std::string::npos ? std::string::npos : end - first)});
  }
  return keys;
}

// The curve section of a ZeroMQ certificate: ZPL (ZeroMQ RFC 4) as pyzmq's zmq.auth.create_certificates and czmq's
// zcert_save write it, a `metadata` section then a `curve` section holding `public-key = "..."` and, in the secret
// certificate (`.key_secret`), `secret-key = "..."`. A public certificate (`.key`) holds no secret-key.
struct Certificate {
  std::optional<KeyText> public_key;
  std::optional<KeyText> secret_key;
};

// The certificate `lines` hold, or nullopt when they are not one (their first line that is neither blank nor a
// comment is not a top-level ZPL section name; a bare key is 40 Z85 characters, never "metadata" or "curve").
// Values may be quoted ("..." or '...', which may hold '#') or bare (ending at a blank or '#'); ZPL indents each
// level by four spaces. Throws std::runtime_error naming the file and line of a malformed curve entry.
std::optional<Certificate> read_certificate(const std::string& path, const std::vector<std::string>& lines) {
  const auto first = std::find_if_not(lines.begin(), lines.end(), is_blank_or_comment);
  if (first == lines.end()) return std::nullopt;
  const std::string section = first->substr(0, first->find_first_of(kBlanks));
  if (section != "metadata" && section != "curve") return std::nullopt;
  Certificate certificate;
  bool in_curve = false;
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const std::string& line = lines[index];
    if (is_blank_or_comment(line)) continue;
    const int number = static_cast<int>(index + 1);
    const std::size_t indent = line.find_first_not_of(' ');
    if (indent == 0) {  // a section
      in_curve = line.substr(0, line.find_first_of(kBlanks)) == "curve";
      continue;
    }
    if (!in_curve || indent != 4) continue;  // metadata, or deeper levels of the curve section
    const std::size_t equals = line.find('=', indent);
    if (equals == std::string::npos) continue;  // a subsection name: nothing we read
    std::string name = line.substr(indent, equals - indent);
    name.erase(name.find_last_not_of(kBlanks) + 1);
    if (name != "public-key" && name != "secret-key") continue;
    const std::size_t start = line.find_first_not_of(kBlanks, equals + 1);
    std::string value;
    if (start != std::string::npos && (line[start] == '"' || line[start] == '\'')) {
      const std::size_t close = line.find(line[start], start + 1);
      if (close == std::string::npos) {
        throw std::runtime_error(fmt::format("{}:{}: the {} value has no closing quote", path, number, name));
      }
      value = line.substr(start + 1, close - start - 1);
    } else if (start != std::string::npos) {
      const std::size_t end = line.find_first_of(" \t\r#", start);
      value = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    (name == "public-key" ? certificate.public_key : certificate.secret_key) = KeyText{number, value};
  }
  return certificate;
}

CurvePublicKey decode_key(const std::string& path, const KeyText& key) {
  CurvePublicKey decoded{};
  if (key.z85.size() != kZ85KeyLength || zmq_z85_decode(decoded.data(), key.z85.c_str()) == nullptr) {
    throw std::runtime_error(fmt::format("{}:{}: \"{}\" is not a CURVE key ({} Z85 characters)", path, key.line,
                                         key.z85.substr(0, 60), kZ85KeyLength));
  }
  return decoded;
}

}  // namespace

std::pair<std::string, std::string> load_curve_key_pair(const std::string& secret_key_file) {
  const std::vector<std::string> lines = read_lines(secret_key_file);
  const std::optional<Certificate> certificate = read_certificate(secret_key_file, lines);
  KeyText secret;
  if (certificate) {
    if (!certificate->secret_key) {
      throw std::runtime_error(fmt::format(
          "{}: a public certificate (its curve section has no secret-key): give the secret certificate "
          "(the .key_secret file) or a bare secret key",
          secret_key_file));
    }
    secret = *certificate->secret_key;
  } else {
    const auto keys = key_lines(lines);
    if (keys.empty()) throw std::runtime_error(fmt::format("{}: holds no key", secret_key_file));
    secret = keys.front();
  }
  decode_key(secret_key_file, secret);  // checks the form
  char public_z85[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(public_z85, secret.z85.c_str()) != 0) {
    throw std::runtime_error(fmt::format("{}:{}: no public key can be derived from this secret key ({})",
                                         secret_key_file, secret.line, zmq_strerror(zmq_errno())));
  }
  if (certificate && certificate->public_key && certificate->public_key->z85 != public_z85) {
    throw std::runtime_error(fmt::format("{}:{}: the public-key is not the one of the secret-key on line {}",
                                         secret_key_file, certificate->public_key->line, secret.line));
  }
  return {secret.z85, public_z85};
}

std::string load_curve_public_key(const std::string& public_key_file) {
  const std::vector<std::string> lines = read_lines(public_key_file);
  const std::optional<Certificate> certificate = read_certificate(public_key_file, lines);
  KeyText key;
  if (certificate) {
    if (!certificate->public_key) {
      throw std::runtime_error(fmt::format("{}: a certificate whose curve section has no public-key", public_key_file));
    }
    key = *certificate->public_key;
  } else {
    const auto keys = key_lines(lines);
    if (keys.empty()) throw std::runtime_error(fmt::format("{}: holds no key", public_key_file));
    key = keys.front();
  }
  decode_key(public_key_file, key);
  return key.z85;
}

CurveServerKeys load_curve_server_keys(const std::string& secret_key_file, const std::string& clients) {
  CurveServerKeys keys;
  std::tie(keys.secret_z85, keys.public_z85) = load_curve_key_pair(secret_key_file);
  // A folder: every *.key certificate in it (name order), as pyzmq's zmq.auth.load_certificates reads one.
  std::error_code error;
  if (std::filesystem::is_directory(clients, error)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(clients)) {
      if (entry.is_regular_file() && entry.path().extension() == ".key") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files) {
      keys.clients.push_back(decode_key(file.string(), KeyText{0, load_curve_public_key(file.string())}));
    }
    if (keys.clients.empty()) {
      throw std::runtime_error(fmt::format("{}: a folder without *.key certificates, so no client could connect",
                                           clients));
    }
    return keys;
  }
  const std::vector<std::string> lines = read_lines(clients);
  if (const std::optional<Certificate> certificate = read_certificate(clients, lines)) {
    if (!certificate->public_key) {
      throw std::runtime_error(fmt::format("{}: a certificate whose curve section has no public-key", clients));
    }
    keys.clients.push_back(decode_key(clients, *certificate->public_key));
    return keys;
  }
  for (const KeyText& key : key_lines(lines)) keys.clients.push_back(decode_key(clients, key));
  if (keys.clients.empty()) {
    throw std::runtime_error(fmt::format("{}: lists no client key, so no client could connect", clients));
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
