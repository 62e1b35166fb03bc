// The JSON text messages between the daemon and browsers over WebSocket (PROTOCOL.md 14.2). Control requests and
// replies, status and events are the msgpack maps of the ZeroMQ protocol written as JSON with the same keys: they are
// converted through msgpack, so that the one codec in protocol/ decides what is valid and how results are named.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tomolive/daemon/slice_frame.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// A control command (get_status, set_center, set_slices, ...) and the request_id to echo (null when absent).
struct BrowserControl {
  static constexpr std::uint32_t kDefaultSweepSide = 256;

  protocol::ControlRequest request;
  nlohmann::json request_id;
  // sweep_center: how each candidate image is sent (max_shape; default kDefaultSweepSide square).
  SliceView sweep_view{kDefaultSweepSide, kDefaultSweepSide, std::nullopt};
};
// `view`: how one slice is to be sent to this browser from now on.
struct BrowserView {
  protocol::SliceKind slice = protocol::SliceKind::xy;
  SliceView view;
};
// `latency`: T5 samples measured by the page, microseconds.
struct BrowserLatency {
  static constexpr std::size_t kMaxSamples = 1000;
  std::uint64_t scan_id = 0;
  std::vector<double> samples_us;
};
// `watch_preview`: whether this browser is sent the live 3D preview's chunks (PROTOCOL.md 14.6); not before it asks.
struct BrowserWatchPreview {
  bool enabled = true;
};
// `ping`: answered with a pong carrying `t` back.
struct BrowserPing {
  nlohmann::json t;
};
using BrowserMessage = std::variant<BrowserControl, BrowserView, BrowserLatency, BrowserPing, BrowserWatchPreview>;

// Why a browser message was refused: answered with a reply for `command` (the type found, or "").
struct BrowserMessageError {
  std::string command;
  nlohmann::json request_id;
  protocol::Error error;
};
using ParsedBrowserMessage = std::variant<BrowserMessage, BrowserMessageError>;

ParsedBrowserMessage parse_browser_message(std::string_view text);

// Server -> browser messages, as JSON text.
std::string hello_json(std::string_view version, std::string_view engine, bool read_only,
                       std::string_view read_only_reason);
std::string status_json(const protocol::Status& status, std::size_t viewers);
std::string event_json(const protocol::Event& event);
// extra: fields added to the reply map (e.g. a sweep's sweep_id).
std::string reply_json(const protocol::Reply& reply, const nlohmann::json& request_id,
                       const nlohmann::json& extra = nlohmann::json::object());
std::string pong_json(const nlohmann::json& t, std::int64_t server_ns);

}  // namespace tomolive::daemon
