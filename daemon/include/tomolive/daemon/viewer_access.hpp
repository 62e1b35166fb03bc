// ViewerAccess: whether a browser that opens the WebSocket may control the daemon or only watch (PROTOCOL.md 14.1).
// Control needs the token given at daemon start (--http-token) when there is one; without a token, only when the
// HTTP port is bound to loopback. A page of another site (Origin differs from Host) is always read-only, so that
// a web page the user happens to visit cannot steer the reconstruction. Thread-safe (const).
#pragma once

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

  // A line for the daemon's start-up log that says who may control.
  std::string describe() const;

 private:
  std::string token_;
  bool loopback_only_;
};

// The value of `name` in a target's query string, percent-decoded ('+' is a space); "" if absent.
std::string query_parameter(std::string_view target, std::string_view name);

}  // namespace tomolive::daemon
