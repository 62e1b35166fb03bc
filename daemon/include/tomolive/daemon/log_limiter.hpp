// LogLimiter: keeps logs readable under a flood (refusals, drops, slow consumers, refused connections): a burst of
// events is logged once, with its count, never a line per event. Per key (an error code's name, "connection_refused",
// ...), at most one line is logged per second: the first event of a burst at once (count 1); the events held back
// after it are counted, and the next line for that key (the next event a second or more later, or flush() once the
// second has passed) logs the newest of them with their count. So the counts of a key's lines add up to the
// number of its events. The counters and events still see every event; only the log is thinned.
//
// flush_all() flushes every live LogLimiter (the daemon's main thread calls it every second); the destructor logs
// what is still held back. Thread-safe. The clock is injected so that tests can step time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tomolive/daemon/log_event.hpp"

namespace tomolive::daemon {

class LogLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds kInterval{1};  // at most one line per key per interval

  explicit LogLimiter(Clock clock = [] { return std::chrono::steady_clock::now(); });
  ~LogLimiter();
  LogLimiter(const LogLimiter&) = delete;
  LogLimiter& operator=(const LogLimiter&) = delete;

  // Logs the event with log_event now (its count: 1 plus the events of `key` held back before it), or holds it
  // back when a line for `key` was logged less than kInterval ago (then it is counted and kept as the burst's
  // newest). fields.count is ignored: the limiter counts.
  void log(spdlog::level::level_enum level, std::string_view key, const LogFields& fields, std::string message);

  // Logs, for every key that holds events back and whose last line is kInterval old or more, one line: the newest
  // held-back event with the number held back as its count.
  void flush();

  // flush() of every LogLimiter alive.
  static void flush_all();

 private:
  struct HeldBack {
    spdlog::level::level_enum level = spdlog::level::info;
    std::string event;
    std::optional<std::uint64_t> scan_id;
    std::string message;
  };
  struct KeyState {
    std::optional<std::chrono::steady_clock::time_point> last_logged;
    std::uint64_t held_back = 0;
    HeldBack newest;  // the newest event held back (valid when held_back > 0)
  };
  // One summary line: the newest held-back event of a key and how many were held back.
  struct Line {
    HeldBack event;
    std::uint64_t count = 0;
  };
  // The summary lines due now (every key holding events back, when ignore_interval), marked logged.
  std::vector<Line> take_due(bool ignore_interval);
  static void log_lines(const std::vector<Line>& lines);

  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, KeyState, std::less<>> states_;
};

}  // namespace tomolive::daemon
