// `--json`: the daemon's reply map exactly as it came, written as one line of JSON (the reply's keys and values in the
// daemon's order, PROTOCOL.md 10.2; msgpack binary values as arrays of bytes, non-finite floats as null). One line per reply, so that
// `watch --json` is JSON Lines.
#pragma once

#include <string>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::ctl {

// Throws std::runtime_error when `reply` is not one msgpack value.
std::string reply_json(const protocol::Bytes& reply);

}  // namespace tomolive::ctl
