// tomolive-ctl's exit status: one number per class of failure, so that scripts can tell a refused argument from a
// missing token, a failing daemon or a daemon that is not there. Documented in the man page and the README.
#pragma once

#include <optional>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::ctl {

enum class ExitStatus : int {
  ok = 0,
  refused = 1,            // the daemon refused the request: a bad argument, no active scan, a malformed request
  usage = 2,              // the command line is wrong (nothing was sent)
  permission_denied = 3,  // the daemon wants its control token (--token / TOMOLIVE_TOKEN)
  daemon_failed = 4,      // the daemon accepted the request and failed: internal_error, disk_error, transport_error
  no_reply = 5,           // no reply within --timeout-ms, or the endpoint cannot be used
  local_failure = 6,      // here: a reply that cannot be read, an output or key file that cannot be written or read
};

// The class of a reply: ok without an error, else by the error's code (PROTOCOL.md 11).
ExitStatus exit_status_of(const std::optional<protocol::Error>& error);

constexpr int to_int(ExitStatus status) { return static_cast<int>(status); }

}  // namespace tomolive::ctl
