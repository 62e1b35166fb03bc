// ConnectionLimit: the HTTP port's cap on connections open at once (static files and WebSockets alike,
// --http-max-connections), so that a client that opens many cannot exhaust the daemon's file descriptors. A
// connection holds a Slot from accept to close; admit() refuses when `cap` slots are held. Refusals are counted
// (http_connections_refused) and logged once per burst with the count (event "connection_refused", LogLimiter).
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "tomolive/daemon/log_limiter.hpp"

namespace tomolive::daemon {

class ConnectionLimit {
 public:
  // A held place among the `cap`; released when destroyed. Move-only.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limit_(std::exchange(other.limit_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class ConnectionLimit;
    explicit Slot(ConnectionLimit& limit) : limit_(&limit) {}
    ConnectionLimit* limit_;
  };

  // refused: counts each refused connection. Both outlive the limit and its slots.
  ConnectionLimit(std::size_t cap, std::atomic<std::uint64_t>& refused) : cap_(cap), refused_(refused) {}

  // A slot, or nothing (counted and maybe logged) when `cap` are open.
  std::optional<Slot> admit();

 private:
  void log_refusal();

  const std::size_t cap_;
  std::atomic<std::uint64_t>& refused_;
  std::atomic<std::size_t> open_{0};
  LogLimiter log_limiter_;
};

}  // namespace tomolive::daemon
