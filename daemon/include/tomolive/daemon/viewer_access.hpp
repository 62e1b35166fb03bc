// ViewerAccess: whether a browser that opens the WebSocket may control the daemon or only watch (PROTOCOL.md 14.1).
// Control needs the token given at daemon start (--http-token) when there is one; without a token, only when the
// HTTP port is bound to loopback. A page of another site (Origin differs from Host) is always read-only, so that
// a web page the user happens to visit cannot steer the reconstruction. On loopback without a token, requests must
// also name the daemon by a loopback name (host_refusal), so that a site whose name resolves to 127.0.0.1 (DNS
// rebinding: its Host and Origin agree) is refused. Thread-safe (const).
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace tomolive::daemon {

class ViewerAccess {
 public:
  struct Decision {
    bool read_only = true;
    std::string reason;  // why read-only, for the page; "" when control is allowed
  };

  // token: "" for none. loopback_only: the HTTP port is bound to a loopback address only.
  ViewerAccess(std::string token, bool loopback_only) : token_(std::move(token)), loopback_only_(loopback_only) {}

  // target: the upgrade request's target ("/ws?token=..."); host, origin: its Host and Origin headers ("" if
  // absent).
  Decision decide(std::string_view target, std::string_view host, std::string_view origin) const;

  // Why a request (a viewer file or the WebSocket upgrade) with this Host header is refused with 403, or "" when it
  // is served. Only a daemon bound to loopback without a token checks: there, Host must be "localhost", an IPv4
  // literal 127.x.y.z or "[::1]" (case-insensitive, with or without ":port"); beyond loopback every viewer is
  // read-only anyway, and with a token control needs the token whatever the Host.
  std::string host_refusal(std::string_view host) const;

  // A line for the daemon's start-up log that says who may control.
  std::string describe() const;

  // Replaces the token (a configuration reload); decisions taken afterwards use the new one. Thread-safe.
  void set_token(std::string token);

 private:
  std::string token() const;

  mutable std::mutex mutex_;
  std::string token_;  // guarded by mutex_
  bool loopback_only_;
};

// The value of `name` in a target's query string, percent-decoded ('+' is a space); "" if absent.
std::string query_parameter(std::string_view target, std::string_view name);

}  // namespace tomolive::daemon
