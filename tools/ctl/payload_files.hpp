// The float32 second part of get_slice, sweep_center and sweep_processing replies (PROTOCOL.md 10.2), written as
// .npy files.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::ctl {

// Writes the payload of a get_slice (rows x cols), sweep_center or sweep_processing (count x rows x cols) reply to
// `path`, and returns what was written ("wrote PATH (ROWS x COLS)"). Throws std::runtime_error naming the problem
// when the payload is missing, has the wrong size or the file cannot be written. Replies of other commands: nullopt, nothing written.
std::optional<std::string> write_payload(const protocol::Reply& reply, const std::optional<zmq::message_t>& payload,
                                         const std::string& path);

}  // namespace tomolive::ctl
