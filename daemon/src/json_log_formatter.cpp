#include "tomolive/daemon/json_log_formatter.hpp"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "tomolive/daemon/log_event.hpp"

namespace tomolive::daemon {
namespace {

// "YYYY-MM-DDTHH:MM:SS.mmmZ"
std::string iso8601_utc(spdlog::log_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["time"] = iso8601_utc(msg.time);
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  if (const LogEventInFlight* event = current_log_event()) {
    line["event"] = std::string(event->fields.event);
    if (event->fields.scan_id) {
      line["scan_id"] = *event->fields.scan_id;
    } else {
      line["scan_id"] = nullptr;
    }
    line["message"] = std::string(event->message);
    line["count"] = event->fields.count;
  } else {
    line["event"] = "log";
    line["scan_id"] = nullptr;
    line["message"] = std::string(msg.payload.data(), msg.payload.size());
    line["count"] = 1;
  }
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

}  // namespace tomolive::daemon
