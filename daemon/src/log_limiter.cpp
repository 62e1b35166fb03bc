#include "tomolive/daemon/log_limiter.hpp"

#include <set>

namespace tomolive::daemon {
namespace {

// Every LogLimiter alive, for flush_all().
struct LiveLimiters {
  std::mutex mutex;
  std::set<LogLimiter*> limiters;
};
LiveLimiters& live_limiters() {
  static LiveLimiters live;
  return live;
}

}  // namespace

LogLimiter::LogLimiter(Clock clock) : clock_(std::move(clock)) {
  LiveLimiters& live = live_limiters();
  const std::lock_guard lock(live.mutex);
  live.limiters.insert(this);
}

LogLimiter::~LogLimiter() {
  {
    LiveLimiters& live = live_limiters();
    const std::lock_guard lock(live.mutex);
    live.limiters.erase(this);
  }
  log_lines(take_due(true));
}

void LogLimiter::log(spdlog::level::level_enum level, std::string_view key, const LogFields& fields,
                     std::string message) {
  const auto now = clock_();
  std::uint64_t count = 1;
  {
    const std::lock_guard lock(mutex_);
    auto state = states_.find(key);
    if (state == states_.end()) state = states_.emplace(std::string(key), KeyState{}).first;
    if (state->second.last_logged && now - *state->second.last_logged < kInterval) {
      ++state->second.held_back;
      state->second.newest = HeldBack{level, std::string(fields.event), fields.scan_id, std::move(message)};
      return;
    }
    count += state->second.held_back;
    state->second.last_logged = now;
    state->second.held_back = 0;
  }
  log_event(level, LogFields{fields.event, fields.scan_id, count}, message);
}

std::vector<LogLimiter::Line> LogLimiter::take_due(bool ignore_interval) {
  const auto now = clock_();
  std::vector<Line> due;
  const std::lock_guard lock(mutex_);
  for (auto& [key, state] : states_) {
    if (state.held_back == 0) continue;
    if (!ignore_interval && state.last_logged && now - *state.last_logged < kInterval) continue;
    due.push_back(Line{std::move(state.newest), state.held_back});
    state.last_logged = now;
    state.held_back = 0;
  }
  return due;
}

void LogLimiter::flush() { log_lines(take_due(false)); }

void LogLimiter::log_lines(const std::vector<Line>& lines) {
  for (const Line& line : lines) {
    log_event(line.event.level, LogFields{line.event.event, line.event.scan_id, line.count}, line.event.message);
  }
}

void LogLimiter::flush_all() {
  LiveLimiters& live = live_limiters();
  const std::lock_guard lock(live.mutex);
  for (LogLimiter* limiter : live.limiters) limiter->flush();
}

}  // namespace tomolive::daemon
