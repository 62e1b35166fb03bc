// msgpack codec for the native protocol v1 (see PROTOCOL.md).
//
// Decoders take the bytes of one message part and return the typed message or an Error whose message names the
// field, the value found and what was expected. They never throw on bad input and never read past the span.
// Unknown keys are ignored (forward compatibility). Encoders produce a msgpack map with "v" and "type".
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tomolive/protocol/expected.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::protocol {

using Bytes = std::vector<std::byte>;
using ByteView = std::span<const std::byte>;

// --- data messages (part 1 of a data message) ---
// Decodes and validates a header: field types, dtype names, and for begin the geometry limits (invalid_geometry:
// zero or absurd sizes, an angle table whose length is neither num_projections nor window, window > num_projections,
// non-finite angles). Frame headers must carry rows, cols and dtype.
Expected<DataMessage> decode_data_header(ByteView header);
// The geometry rules decode_data_header applies to a begin (invalid_geometry, naming the value and the range), for
// begins made from other streams than the native one; nullopt when the begin is acceptable.
std::optional<Error> check_geometry(const ScanBegin& begin);
// The payload rule for a frame: present, and exactly rows * cols * itemsize bytes. nullopt means acceptable.
// payload_bytes is nullopt when the message had no part 2.
std::optional<Error> check_frame_payload(const FrameHeader& header, std::optional<std::size_t> payload_bytes);

Bytes encode(const ScanBegin& begin);
Bytes encode(const FrameHeader& frame);
Bytes encode(const ScanEnd& end);

// --- published messages (part 2 of a PUB message; part 1 is the topic) ---
Bytes encode(const SliceUpdate& slice);
Bytes encode(const Event& event);
Expected<SliceUpdate> decode_slice_update(ByteView header);
Expected<Event> decode_event(ByteView header);

// --- any header ---
// The "type" a header claims, read without decoding the rest: the str value of "type" when the bytes are one msgpack
// map holding it and it is valid UTF-8 without control characters (whatever else is wrong with the header, "v"
// included), else "". What a control reply's "command" echoes (PROTOCOL.md 10.2), and how ingest tells a refused
// begin from other refused data messages.
std::string header_type(ByteView header);
// The "token" a control request carries (PROTOCOL.md 10.1): its str value as header_type reads "type", else "".
std::string request_token(ByteView request);

// --- control ---
Expected<ControlRequest> decode_control_request(ByteView request);
// The rules of a set_scan_plan beyond its fields' types (invalid_argument), which decode_control_request applies;
// for plans given otherwise (daemon options). nullopt when the plan is acceptable.
std::optional<Error> check_scan_plan(const SetScanPlan& plan);
Bytes encode(const ControlRequest& request);
// The request with the daemon's control token (PROTOCOL.md 10.1, "token"); no token key when `token` is empty.
Bytes encode(const ControlRequest& request, std::string_view token);
Bytes encode(const Reply& reply);
Expected<Reply> decode_reply(ByteView reply);

}  // namespace tomolive::protocol
