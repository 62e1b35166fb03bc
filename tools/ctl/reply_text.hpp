// Replies to control commands (PROTOCOL.md 10.2) for people: a status as sections and tables, a command's result as a
// short sentence or a small table, a refusal as its code and message. Rendering only.
#pragma once

#include <iosfwd>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::ctl {

// The result of a successful reply (reply.ok()).
void print_result(std::ostream& out, const protocol::Reply& reply);

// "tomolive-ctl: set_center refused (invalid_argument): <message>" for a reply that is not ok.
void print_refusal(std::ostream& out, const protocol::Reply& reply);

}  // namespace tomolive::ctl
