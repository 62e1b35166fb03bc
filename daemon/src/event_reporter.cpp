#include "tomolive/daemon/event_reporter.hpp"

#include <spdlog/spdlog.h>

#include "tomolive/protocol/clock.hpp"

namespace tomolive::daemon {

bool EventReporter::take_log_budget(protocol::ErrorCode code, std::uint64_t& suppressed_before) {
  std::lock_guard lock(log_mutex_);
  LogBudget& budget = budgets_[static_cast<std::size_t>(code)];
  const auto now = std::chrono::steady_clock::now();
  suppressed_before = 0;
  if (now - budget.window_start >= std::chrono::seconds(1)) {
    suppressed_before = budget.suppressed;
    budget = LogBudget{now, 0, 0};
  }
  if (budget.logged < kLogsPerSecond) {
    ++budget.logged;
    return true;
  }
  ++budget.suppressed;
  return false;
}

void EventReporter::reject(const protocol::Error& error, std::optional<std::uint64_t> scan_id,
                           std::optional<std::uint64_t> frame_id) {
  counters_.count_rejection(error.code);
  std::uint64_t suppressed = 0;
  if (take_log_budget(error.code, suppressed)) {
    const std::string scan = scan_id ? "scan " + std::to_string(*scan_id) + ": " : std::string();
    if (suppressed > 0) {
      spdlog::warn("{}rejected ({}): {} [{} more {} rejections not logged]", scan, protocol::to_string(error.code),
                   error.message, suppressed, protocol::to_string(error.code));
    } else {
      spdlog::warn("{}rejected ({}): {}", scan, protocol::to_string(error.code), error.message);
    }
  }
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
  if (scan_id) {
    spdlog::info("scan {}: {}", *scan_id, message);
  } else {
    spdlog::info("{}", message);
  }
  protocol::Event event;
  event.kind = std::move(kind);
  event.scan_id = scan_id;
  event.message = std::move(message);
  event.time_ns = protocol::unix_time_ns();
  sink_.post_event(std::move(event));
}

}  // namespace tomolive::daemon
