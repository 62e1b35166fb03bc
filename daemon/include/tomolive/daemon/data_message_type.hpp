// data_message_type: the "type" a data message header claims, read without decoding the rest. The ingest uses it
// when the codec refused a header, to tell a refused begin (counted in scans_refused) from other refusals. Pure and
// thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace tomolive::daemon {

// The string value of the "type" key when `header` is one msgpack map holding one (whatever else is wrong with the
// header: version, other fields, geometry); nullopt otherwise. Never throws; as the codec, it bounds what the
// parser may reserve by the input's size.
std::optional<std::string> data_message_type(std::span<const std::byte> header);

}  // namespace tomolive::daemon
