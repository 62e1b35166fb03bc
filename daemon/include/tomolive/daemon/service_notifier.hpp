// ServiceNotifier: the daemon's side of systemd's notification protocol (sd_notify(3), for Type=notify units),
// through libsystemd: "READY=1" once the daemon serves (sockets bound, engine up), "STOPPING=1" when it begins to
// shut down, and, while the unit has a watchdog (WatchdogSec=, seen as WATCHDOG_USEC), "WATCHDOG=1" every half of
// the watchdog timeout for as long as the liveness probe says the daemon makes progress. A withheld ping lets
// systemd kill and restart (Restart=on-failure) a daemon that hangs.
// Where NOTIFY_SOCKET is unset (not started by systemd) it sends nothing and starts no thread.
// Thread-safe: ready() and stopping() may be called from any thread. The pings come from a thread of its own
// (started by ready(), stopped and joined by stopping() or the destructor).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

namespace tomolive::daemon {

class ServiceNotifier {
 public:
  // Called on the watchdog thread before each ping: true while the daemon makes progress. May block (a daemon
  // whose state cannot be read is not alive; the ping then stays away until the probe returns).
  using LivenessProbe = std::function<bool()>;

  // Reads NOTIFY_SOCKET and this process's watchdog setting (sd_watchdog_enabled: WATCHDOG_USEC, and
  // WATCHDOG_PID when set must be this process). Sends nothing yet.
  explicit ServiceNotifier(LivenessProbe alive);
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // Whether a service manager listens (NOTIFY_SOCKET set).
  bool enabled() const { return enabled_; }
  // The watchdog timeout systemd enforces (microseconds); nullopt when the unit has no watchdog. Pings are sent
  // every half of it.
  std::optional<std::chrono::microseconds> watchdog_timeout() const { return watchdog_timeout_; }
  // Pings withheld because the probe said the daemon made no progress.
  std::uint64_t pings_withheld() const { return pings_withheld_.load(std::memory_order_relaxed); }

  // Sends READY=1 and starts the watchdog pings. Once; later calls do nothing.
  void ready();
  // Stops the watchdog pings (systemd stops watching once it is told) and sends STOPPING=1. Once.
  void stopping();

 private:
  void ping_until_stopped(std::stop_token stop);

  const LivenessProbe alive_;
  const bool enabled_;
  const std::optional<std::chrono::microseconds> watchdog_timeout_;
  std::atomic<std::uint64_t> pings_withheld_{0};
  std::mutex mutex_;  // orders ready() and stopping()
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
  std::jthread watchdog_;
};

}  // namespace tomolive::daemon
