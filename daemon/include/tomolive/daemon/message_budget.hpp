// MessageBudget: how many messages one browser may send (PROTOCOL.md 14.2), as a token bucket: a burst of up to
// kBurst messages, refilled at kPerSecond messages per second. The viewer sends a ping every 2 s, a latency report
// every few seconds and a few view and control messages per user action, far below; a client beyond it is
// flooding, and its messages are refused unread. Not thread-safe (one per session, on its strand).
#pragma once

#include <algorithm>
#include <chrono>

namespace tomolive::daemon {

class MessageBudget {
 public:
  static constexpr double kBurst = 200;       // messages
  static constexpr double kPerSecond = 100;  // messages per second

  // Whether one more message, arriving at `now`, is within the budget (and takes its share of it).
  bool take(std::chrono::steady_clock::time_point now) {
    const std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    available_ = std::min(kBurst, available_ + std::max(0.0, elapsed.count()) * kPerSecond);
    if (available_ < 1.0) return false;
    available_ -= 1.0;
    return true;
  }

 private:
  double available_ = kBurst;  // messages
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace tomolive::daemon
