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
  log_limiter_.log(spdlog::level::warn, "http_connection_refused", LogFields{"connection_refused", std::nullopt},
                   "http: connection refused with 503: " + std::to_string(cap_) +
                       " are open, the cap (--http-max-connections)");
}

}  // namespace tomolive::daemon
