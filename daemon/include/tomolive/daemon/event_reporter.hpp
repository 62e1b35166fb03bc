// EventReporter: where every rejection and scan event goes. Each rejection increments its counter, is logged
// (event "rejected", thinned by a LogLimiter: one line per error code per burst, with its count) and is published
// as an "event" to subscribers. A scan event is logged with its kind as the event. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/log_limiter.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// Receives events for publication (the PUB publisher). Must be thread-safe and must not block.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void post_event(protocol::Event event) = 0;
};

class EventReporter {
 public:
  EventReporter(DaemonCounters& counters, EventSink& sink) : counters_(counters), sink_(sink) {}

  // A data message or command was refused.
  void reject(const protocol::Error& error, std::optional<std::uint64_t> scan_id = std::nullopt,
              std::optional<std::uint64_t> frame_id = std::nullopt);
  // Something happened to a scan or to the daemon's settings ("scan_begun", "scan_ended", "center_estimated",
  // "processing_changed"); logged at info level and published. scan_id: the scan concerned, if any.
  void scan_event(std::string kind, std::optional<std::uint64_t> scan_id, std::string message);

 private:
  DaemonCounters& counters_;
  EventSink& sink_;
  LogLimiter log_limiter_;
};

}  // namespace tomolive::daemon
