// log_event: one log line for one event of the daemon, with the fields a machine reads (--log-json) beside the
// text a person reads: the event's name, the scan it concerns and, for a burst thinned by a LogLimiter, how many
// events the line stands for.
//
// The text line is "scan <id>: <message>" (without "scan <id>: " when no scan is concerned), with " [count N]"
// appended when the line stands for N > 1 events. The JSON formatter (JsonLogFormatter) reads the fields of the
// line it formats through current_log_event(), which is valid while log_event's spdlog call runs on this thread:
// the daemon's loggers are synchronous (log_setup.hpp). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace tomolive::daemon {

struct LogFields {
  std::string_view event;                // what happened, snake_case: "rejected", "scan_begun", "connection_refused"
  std::optional<std::uint64_t> scan_id;  // the scan concerned, if any
  std::uint64_t count = 1;               // events this line stands for (more than 1: a burst's summary)
};

// The event being logged on this thread, while its line is formatted.
struct LogEventInFlight {
  const LogFields& fields;
  std::string_view message;  // without the "scan <id>: " prefix and the count note
};

void log_event(spdlog::level::level_enum level, const LogFields& fields, std::string_view message);

// The event whose line this thread formats now; nullptr for lines logged through spdlog directly.
const LogEventInFlight* current_log_event();

// What log_event logs as text for `fields` and `message`.
std::string event_text(const LogFields& fields, std::string_view message);

}  // namespace tomolive::daemon
