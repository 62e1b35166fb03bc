// LogLimiter: keeps refusal logs readable under a flood. Per error code, at most one line is logged per second;
// the lines held back in between are counted, and the next line logged for that code says how many ("(N more
// since)"). The counters and events still see every refusal; only the log is thinned.
// Thread-safe. The clock is injected so that tests can step time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

class LogLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds kInterval{1};  // at most one line per code per interval

  explicit LogLimiter(Clock clock = [] { return std::chrono::steady_clock::now(); }) : clock_(std::move(clock)) {}

  // Whether a line for `code` may be logged now: nullopt when it must be held back (and is counted), else the number
  // of lines for `code` held back since the previous one was logged.
  std::optional<std::uint64_t> admit(protocol::ErrorCode code);

  // What a logged line appends: "" when nothing was held back, else " (N more since)".
  static std::string held_back_note(std::uint64_t held_back);

 private:
  struct CodeState {
    std::optional<std::chrono::steady_clock::time_point> last_logged;
    std::uint64_t held_back = 0;
  };

  Clock clock_;
  std::mutex mutex_;
  std::array<CodeState, protocol::kErrorCodeCount> states_{};
};

}  // namespace tomolive::daemon
