#include "tomolive/daemon/log_limiter.hpp"

namespace tomolive::daemon {

std::optional<std::uint64_t> LogLimiter::admit(protocol::ErrorCode code) {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  CodeState& state = states_[static_cast<std::size_t>(code)];
  if (state.last_logged && now - *state.last_logged < kInterval) {
    ++state.held_back;
    return std::nullopt;
  }
  const std::uint64_t held_back = state.held_back;
  state = CodeState{now, 0};
  return held_back;
}

std::string LogLimiter::held_back_note(std::uint64_t held_back) {
  return held_back == 0 ? std::string() : " (" + std::to_string(held_back) + " more since)";
}

}  // namespace tomolive::daemon
