#include "tomolive/daemon/log_event.hpp"

#include <spdlog/spdlog.h>

namespace tomolive::daemon {
namespace {
thread_local const LogEventInFlight* in_flight = nullptr;
}  // namespace

void log_event(spdlog::level::level_enum level, const LogFields& fields, std::string_view message) {
  if (!spdlog::should_log(level)) return;
  const LogEventInFlight event{fields, message};
  in_flight = &event;
  try {
    spdlog::log(level, "{}", event_text(fields, message));
  } catch (...) {
    in_flight = nullptr;
    throw;
  }
  in_flight = nullptr;
}

const LogEventInFlight* current_log_event() { return in_flight; }

std::string event_text(const LogFields& fields, std::string_view message) {
  std::string text;
  if (fields.scan_id) text = "scan " + std::to_string(*fields.scan_id) + ": ";
  text += message;
  if (fields.count > 1) text += " [count " + std::to_string(fields.count) + "]";
  return text;
}

}  // namespace tomolive::daemon
