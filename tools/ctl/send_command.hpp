// One control command, start to end: send the request, print the reply (text, or JSON with --json), write a slice or
// sweep payload to its .npy, say a refusal with its code and message, and return the exit status of its class.
#pragma once

#include <iosfwd>

#include "command_line.hpp"
#include "exit_status.hpp"

namespace tomolive::ctl {

// `out` gets the reply (text or JSON) and what was written; `err` the refusals and failures.
ExitStatus send_command(const Invocation& invocation, std::ostream& out, std::ostream& err);

}  // namespace tomolive::ctl
