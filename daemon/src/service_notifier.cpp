#include "tomolive/daemon/service_notifier.hpp"

#include <condition_variable>
#include <cstdlib>
#include <utility>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "tomolive/daemon/thread_name.hpp"

namespace tomolive::daemon {
namespace {

bool notify_socket_set() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

std::optional<std::chrono::microseconds> read_watchdog_timeout() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

// Sends one notification; a failure is logged (the daemon keeps serving: systemd then reports the unit's state).
void notify(const char* state) {
  const int result = sd_notify(0, state);
  if (result < 0) spdlog::warn("systemd notification {} failed: error {}", state, -result);
}

}  // namespace

ServiceNotifier::ServiceNotifier(LivenessProbe alive)
    : alive_(std::move(alive)),
      enabled_(notify_socket_set()),
      watchdog_timeout_(enabled_ ? read_watchdog_timeout() : std::nullopt) {}

ServiceNotifier::~ServiceNotifier() {
  watchdog_.request_stop();
  if (watchdog_.joinable()) watchdog_.join();
}

void ServiceNotifier::ready() {
  std::lock_guard lock(mutex_);
  if (!enabled_ || ready_sent_ || stopping_sent_) return;
  ready_sent_ = true;
  notify("READY=1");
  if (watchdog_timeout_) {
    watchdog_ = std::jthread([this](std::stop_token stop) {
      name_this_thread("watchdog");
      ping_until_stopped(stop);
    });
  }
}

void ServiceNotifier::stopping() {
  std::lock_guard lock(mutex_);
  if (!enabled_ || stopping_sent_) return;
  stopping_sent_ = true;
  watchdog_.request_stop();
  if (watchdog_.joinable()) watchdog_.join();
  notify("STOPPING=1");
}

void ServiceNotifier::ping_until_stopped(std::stop_token stop) {
  const auto period = *watchdog_timeout_ / 2;
  // Only for waiting one period, cut short by stop(): nothing else shares this mutex.
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  while (!stop.stop_requested()) {
    if (alive_()) {
      notify("WATCHDOG=1");
    } else {
      const std::uint64_t withheld = pings_withheld_.fetch_add(1, std::memory_order_relaxed) + 1;
      spdlog::error("watchdog: the daemon made no progress; ping withheld ({} so far), systemd restarts the daemon "
                    "when none comes within {} ms",
                    withheld, std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_timeout_).count());
    }
    wake.wait_for(lock, stop, period, [] { return false; });
  }
}

}  // namespace tomolive::daemon
