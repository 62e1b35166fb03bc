#include "tomolive/daemon/connection_limit.hpp"

#include <spdlog/spdlog.h>

namespace tomolive::daemon {

ConnectionLimit::Slot::~Slot() {
  if (limit_) limit_->open_.fetch_sub(1, std::memory_order_relaxed);
}

std::optional<ConnectionLimit::Slot> ConnectionLimit::admit() {
  std::size_t open = open_.load(std::memory_order_relaxed);
  while (open < cap_) {
    if (open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed)) return Slot(*this);
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  log_refusal();
  return std::nullopt;
}

void ConnectionLimit::log_refusal() {
  const std::lock_guard lock(log_mutex_);
  ++unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (last_log_ && now - *last_log_ < kLogInterval) return;
  spdlog::warn("http: {} connection(s) refused with 503: {} are open, the cap (--http-max-connections); further "
               "refusals are logged at most every {} s",
               unlogged_, cap_, kLogInterval.count());
  last_log_ = now;
  unlogged_ = 0;
}

}  // namespace tomolive::daemon
