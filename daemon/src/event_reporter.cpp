#include "tomolive/daemon/event_reporter.hpp"

#include <spdlog/spdlog.h>

#include "tomolive/protocol/clock.hpp"

namespace tomolive::daemon {

void EventReporter::reject(const protocol::Error& error, std::optional<std::uint64_t> scan_id,
                           std::optional<std::uint64_t> frame_id) {
  counters_.count_rejection(error.code);
  const std::string_view code = protocol::to_string(error.code);
  log_limiter_.log(spdlog::level::warn, code, LogFields{"rejected", scan_id},
                   "rejected (" + std::string(code) + "): " + error.message);
  protocol::Event event;
  event.kind = "error";
  event.scan_id = scan_id;
  event.frame_id = frame_id;
  event.error = error;
  event.message = error.message;
  event.time_ns = protocol::unix_time_ns();
  sink_.post_event(std::move(event));
}

void EventReporter::scan_event(std::string kind, std::optional<std::uint64_t> scan_id, std::string message) {
  log_event(spdlog::level::info, LogFields{kind, scan_id}, message);
  protocol::Event event;
  event.kind = std::move(kind);
  event.scan_id = scan_id;
  event.message = std::move(message);
  event.time_ns = protocol::unix_time_ns();
  sink_.post_event(std::move(event));
}

}  // namespace tomolive::daemon
