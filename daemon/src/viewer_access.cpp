#include "tomolive/daemon/viewer_access.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "hex_digit.hpp"

namespace tomolive::daemon {
namespace {

// Compares in time that depends on the lengths only, not on where the first difference is.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// "127.x.y.z": four decimal numbers 0..255 of at most three digits, the first 127.
bool loopback_ipv4_literal(std::string_view name) {
  int parts = 0;
  while (parts < 4) {
    const std::size_t dot = std::min(name.find('.'), name.size());
    const std::string_view part = name.substr(0, dot);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), [](char c) {
          return c >= '0' && c <= '9';
        })) {
      return false;
    }
    const int value = std::stoi(std::string(part));
    if (value > 255 || (parts == 0 && value != 127)) return false;
    ++parts;
    const bool last = dot == name.size();
    if (last) return parts == 4;
    name.remove_prefix(dot + 1);
  }
  return false;
}

// A Host header's name without its ":port" (the port, when given, must be 1 to 5 digits); nullopt when malformed.
std::optional<std::string_view> host_name(std::string_view host) {
  const std::size_t colon = host.rfind(':');
  const bool bracketed = !host.empty() && host.front() == '[';
  const std::size_t name_end = bracketed ? host.find(']') + 1 : std::min(colon, host.size());
  if (bracketed && name_end == 0) return std::nullopt;  // '[' without ']'
  std::string_view port = host.substr(name_end);
  if (!port.empty()) {
    if (port.front() != ':') return std::nullopt;
    port.remove_prefix(1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
  }
  return host.substr(0, name_end);
}

// "http://host:port" -> "host:port"; the origin of a page served by this daemon equals its Host header.
std::string_view origin_authority(std::string_view origin) {
  const std::size_t scheme_end = origin.find("://");
  if (scheme_end != std::string_view::npos) origin.remove_prefix(scheme_end + 3);
  return origin.substr(0, origin.find('/'));
}

std::string percent_decode(std::string_view text) {
  // A well-formed escape at `at`; anything else is kept as it is.
  const auto escaped = [text](std::size_t at) {
    return text[at] == '%' && at + 2 < text.size() && hex_digit_value(text[at + 1]) >= 0 &&
           hex_digit_value(text[at + 2]) >= 0;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (escaped(i)) {
      out.push_back(static_cast<char>(hex_digit_value(text[i + 1]) * 16 + hex_digit_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string query_parameter(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return "";
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const std::size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1));
    }
    query.remove_prefix(std::min(end + 1, query.size()));
  }
  return "";
}

ViewerAccess::Decision ViewerAccess::decide(std::string_view target, std::string_view host,
                                            std::string_view origin) const {
  if (!origin.empty() && !equal_ignoring_case(origin_authority(origin), host)) {
    return {true, "this page was opened from another site (" + std::string(origin) +
                      "); only pages served by the daemon itself may control it"};
  }
  if (const std::string token = this->token(); !token.empty()) {
    const std::string given = query_parameter(target, "token");
    if (same_secret(given, token)) return {false, ""};
    return {true, given.empty() ? "control needs the token given at daemon start (--http-token): open the page "
                                  "with ?token=..."
                                : "the token in the page address is wrong; control needs the token given at daemon "
                                  "start (--http-token)"};
  }
  if (loopback_only_) return {false, ""};
  return {true, "the daemon serves beyond this machine without a token: start it with --http-token to allow "
                "control"};
}

std::string ViewerAccess::host_refusal(std::string_view host) const {
  if (!token().empty() || !loopback_only_) return "";
  const auto name = host_name(host);
  if (name && (equal_ignoring_case(*name, "localhost") || *name == "[::1]" || loopback_ipv4_literal(*name))) {
    return "";
  }
  return "refused: the Host header is not a loopback name; this daemon (bound to loopback, no --http-token) serves "
         "only http://localhost, http://127.0.0.1 and http://[::1]\n";
}

std::string ViewerAccess::describe() const {
  if (!token().empty()) return "viewers may control with the token (--http-token); others are read-only";
  if (loopback_only_) return "viewers on this machine may control (bound to loopback, no token)";
  return "bound beyond loopback without --http-token: every viewer is read-only";
}

void ViewerAccess::set_token(std::string token) {
  const std::lock_guard lock(mutex_);
  token_ = std::move(token);
}

std::string ViewerAccess::token() const {
  const std::lock_guard lock(mutex_);
  return token_;
}

}  // namespace tomolive::daemon
