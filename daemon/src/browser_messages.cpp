#include "tomolive/daemon/browser_messages.hpp"

#include <cmath>
#include <cstdint>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

using nlohmann::json;
using protocol::Error;
using protocol::ErrorCode;

// JSON nested deeper than this is refused: copying and writing a value recurse once per level, so how deep a message
// may go must not depend on how much stack a build's frames take (64 KiB of '[' is 32768 levels, which overflowed the
// stack under AddressSanitizer). Control commands go through msgpack, which allows 16 levels (PROTOCOL.md 4).
constexpr int kMaxNestingDepth = 64;  // objects and arrays, the message's own object included
struct NestedTooDeep {};  // thrown by the parser's callback to stop at kMaxNestingDepth

constexpr std::string_view kExpectedTypes =
    "get_status, set_center, set_slices, estimate_center, sweep_center, set_processing, set_scan_plan, "
    "reconstruct_volume, cancel_volume, record, capture, sweep_processing, set_oblique_slice, get_defective_pixels, "
    "center_sample, set_preview, view, watch_preview, latency, ping";

// Strings from the wire (a scan's name, an error message quoting input) may not be valid UTF-8: replace, never throw.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json from_msgpack(const protocol::Bytes& bytes) {
  const auto* begin = reinterpret_cast<const std::uint8_t*>(bytes.data());
  return json::from_msgpack(begin, begin + bytes.size());
}

std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array of " + std::to_string(value.size());
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_float: return "the number " + dump(value);
    default: return "the integer " + dump(value);
  }
}

Error wrong_type(std::string_view field, const json& value, std::string_view expected) {
  return Error{ErrorCode::wrong_field_type, "field \"" + std::string(field) + "\": found " + describe(value) +
                                                ", expected " + std::string(expected)};
}

// An unsigned integer field in [min, max]; an error otherwise.
std::variant<std::uint64_t, Error> read_uint(std::string_view field, const json& value, std::uint64_t min,
                                             std::uint64_t max) {
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() < min || value.get<std::uint64_t>() > max) {
    return wrong_type(field, value,
                      "an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return value.get<std::uint64_t>();
}

// An array of `count` unsigned integers, each in [min, max].
std::variant<std::vector<std::uint32_t>, Error> read_uints(std::string_view field, const json& value,
                                                           std::size_t count, std::uint32_t min, std::uint32_t max) {
  const std::string expected = "an array of " + std::to_string(count) + " integers in " + std::to_string(min) +
                               ".." + std::to_string(max);
  if (!value.is_array() || value.size() != count) return wrong_type(field, value, expected);
  std::vector<std::uint32_t> out;
  for (const json& item : value) {
    if (!item.is_number_unsigned() || item.get<std::uint64_t>() < min || item.get<std::uint64_t>() > max) {
      return wrong_type(field, value, expected);
    }
    out.push_back(static_cast<std::uint32_t>(item.get<std::uint64_t>()));
  }
  return out;
}

std::variant<BrowserView, Error> parse_view(const json& message) {
  BrowserView view;
  const auto slice = message.find("slice");
  if (slice == message.end()) return Error{ErrorCode::missing_field, "missing required field \"slice\""};
  const auto kind = slice->is_string() ? protocol::parse_slice_kind(slice->get<std::string>()) : std::nullopt;
  if (!kind) return wrong_type("slice", *slice, "one of \"xy\", \"xz\", \"yz\", \"oblique\"");
  view.slice = *kind;

  const auto max_shape = message.find("max_shape");
  if (max_shape == message.end()) return Error{ErrorCode::missing_field, "missing required field \"max_shape\""};
  auto shape = read_uints("max_shape", *max_shape, 2, 1, SliceView::kMaxSide);
  if (auto* error = std::get_if<Error>(&shape)) return *error;
  view.view.max_rows = std::get<0>(shape)[0];
  view.view.max_cols = std::get<0>(shape)[1];

  const auto region = message.find("region");
  if (region != message.end() && !region->is_null()) {
    auto numbers = read_uints("region", *region, 4, 0, UINT32_MAX);
    if (auto* error = std::get_if<Error>(&numbers)) return *error;
    const auto& r = std::get<0>(numbers);
    view.view.region = std::array<std::uint32_t, 4>{r[0], r[1], r[2], r[3]};
  }
  return view;
}

std::variant<BrowserWatchPreview, Error> parse_watch_preview(const json& message) {
  const auto enabled = message.find("enabled");
  if (enabled == message.end()) return BrowserWatchPreview{true};
  if (!enabled->is_boolean()) return wrong_type("enabled", *enabled, "a boolean");
  return BrowserWatchPreview{enabled->get<bool>()};
}

std::variant<BrowserLatency, Error> parse_latency(const json& message) {
  BrowserLatency latency;
  const auto scan_id = message.find("scan_id");
  if (scan_id == message.end()) return Error{ErrorCode::missing_field, "missing required field \"scan_id\""};
  auto id = read_uint("scan_id", *scan_id, 0, UINT64_MAX);
  if (auto* error = std::get_if<Error>(&id)) return *error;
  latency.scan_id = std::get<0>(id);

  const auto samples = message.find("samples_us");
  if (samples == message.end()) return Error{ErrorCode::missing_field, "missing required field \"samples_us\""};
  const std::string expected = "an array of at most " + std::to_string(BrowserLatency::kMaxSamples) +
                               " finite numbers >= 0 (microseconds)";
  if (!samples->is_array() || samples->size() > BrowserLatency::kMaxSamples) {
    return wrong_type("samples_us", *samples, expected);
  }
  for (const json& sample : *samples) {
    if (!sample.is_number() || !std::isfinite(sample.get<double>()) || sample.get<double>() < 0.0) {
      return wrong_type("samples_us", *samples, expected);
    }
    latency.samples_us.push_back(sample.get<double>());
  }
  return latency;
}

// A control command, decoded by the protocol's own codec from the same map in msgpack.
std::variant<BrowserControl, Error> parse_control(json message, const std::string& type) {
  message.erase("request_id");
  BrowserControl control;
  if (type == "sweep_center" || type == "sweep_processing") {  // max_shape: the WebSocket's own (PROTOCOL.md 14.2)
    const auto max_shape = message.find("max_shape");
    if (max_shape != message.end()) {
      auto shape = read_uints("max_shape", *max_shape, 2, 1, SliceView::kMaxSide);
      if (auto* error = std::get_if<Error>(&shape)) return *error;
      control.sweep_view.max_rows = std::get<0>(shape)[0];
      control.sweep_view.max_cols = std::get<0>(shape)[1];
      message.erase(max_shape);
    }
  }
  if (!message.contains("v")) message["v"] = protocol::kProtocolVersion;
  const std::vector<std::uint8_t> packed = json::to_msgpack(message);
  auto decoded = protocol::decode_control_request(
      protocol::ByteView(reinterpret_cast<const std::byte*>(packed.data()), packed.size()));
  if (!decoded) {
    if (decoded.error().code != ErrorCode::unknown_type) return decoded.error();
    return Error{ErrorCode::unknown_type,
                 "unknown message type \"" + type + "\"; expected one of " + std::string(kExpectedTypes)};
  }
  if (std::holds_alternative<protocol::GetSlice>(decoded.value())) {
    return Error{ErrorCode::invalid_argument,
                 "get_slice is not offered over WebSocket: slices are pushed as binary messages (PROTOCOL.md 14.3); "
                 "use the ZeroMQ control socket for float32 values"};
  }
  control.request = std::move(decoded).value();
  return control;
}

}  // namespace

ParsedBrowserMessage parse_browser_message(std::string_view text) {
  json message;
  try {
    message = json::parse(text, [](int depth, json::parse_event_t event, json&) {
      // depth: the containers around the one that starts (the message's own object is at 0).
      const bool starts = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
      if (starts && depth >= kMaxNestingDepth) throw NestedTooDeep{};
      return true;
    });
  } catch (const NestedTooDeep&) {
    return BrowserMessageError{"", nullptr,
                               Error{ErrorCode::malformed_header, "WebSocket message is nested deeper than " +
                                                                      std::to_string(kMaxNestingDepth) + " levels"}};
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers beyond a double
    return BrowserMessageError{"", nullptr,
                               Error{ErrorCode::malformed_header, "WebSocket message (" +
                                                                      std::to_string(text.size()) +
                                                                      " bytes) is not valid JSON: " + e.what()}};
  }
  if (!message.is_object()) {
    return BrowserMessageError{
        "", nullptr, Error{ErrorCode::malformed_header, "WebSocket message is " + describe(message) +
                                                            ", expected a JSON object with a \"type\""}};
  }
  const json request_id = message.value("request_id", json());
  const auto type_field = message.find("type");
  if (type_field == message.end()) {
    return BrowserMessageError{"", request_id, Error{ErrorCode::missing_field, "missing required field \"type\""}};
  }
  if (!type_field->is_string()) {
    return BrowserMessageError{"", request_id, wrong_type("type", *type_field, "a string")};
  }
  const std::string type = type_field->get<std::string>();

  const auto wrap = [&](auto parsed) -> ParsedBrowserMessage {
    if (auto* error = std::get_if<Error>(&parsed)) return BrowserMessageError{type, request_id, *error};
    return BrowserMessage(std::move(std::get<0>(parsed)));
  };
  if (type == "view") return wrap(parse_view(message));
  if (type == "latency") return wrap(parse_latency(message));
  if (type == "watch_preview") return wrap(parse_watch_preview(message));
  if (type == "ping") return BrowserMessage(BrowserPing{message.value("t", json())});
  auto control = parse_control(message, type);
  if (auto* parsed = std::get_if<BrowserControl>(&control)) parsed->request_id = request_id;
  return wrap(std::move(control));
}

std::string hello_json(std::string_view version, std::string_view engine, bool read_only,
                       std::string_view read_only_reason) {
  return dump(json{{"type", "hello"},
                   {"version", version},
                   {"engine", engine},
                   {"read_only", read_only},
                   {"read_only_reason", read_only_reason}});
}

std::string status_json(const protocol::Status& status, std::size_t viewers) {
  json reply = from_msgpack(protocol::encode(protocol::Reply{"get_status", std::nullopt, status}));
  return dump(json{{"type", "status"}, {"status", std::move(reply.at("result"))}, {"viewers", viewers}});
}

std::string event_json(const protocol::Event& event) { return dump(from_msgpack(protocol::encode(event))); }

std::string reply_json(const protocol::Reply& reply, const nlohmann::json& request_id, const nlohmann::json& extra) {
  json message = from_msgpack(protocol::encode(reply));
  if (!request_id.is_null()) message["request_id"] = request_id;
  message.update(extra);
  return dump(message);
}

std::string pong_json(const nlohmann::json& t, std::int64_t server_ns) {
  return dump(json{{"type", "pong"}, {"t", t}, {"server_ns", server_ns}});
}

}  // namespace tomolive::daemon
