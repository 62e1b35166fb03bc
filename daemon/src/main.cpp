// tomolived: read the command line and the configuration file, start the daemon, log a status line every interval,
// reload the configuration on SIGHUP, and shut down cleanly on SIGINT or SIGTERM (exit 0).
#include <algorithm>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/config.hpp"
#include "tomolive/daemon/config_reloader.hpp"
#include "tomolive/daemon/daemon.hpp"
#include "tomolive/daemon/engine_stall_check.hpp"
#include "tomolive/daemon/heap_trim.hpp"
#include "tomolive/daemon/log_event.hpp"
#include "tomolive/daemon/log_limiter.hpp"
#include "tomolive/daemon/log_setup.hpp"
#include "tomolive/daemon/processing_setting.hpp"
#include "tomolive/daemon/service_notifier.hpp"

namespace {

constexpr double kLogFlushInterval_s = 1.0;  // LogLimiter::kInterval

// Waits up to `seconds` (> 0) for one of `signals`; returns the signal number, or 0 on timeout.
int wait_for_signal(const sigset_t& signals, double seconds) {
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(seconds);
  timeout.tv_nsec = static_cast<long>((seconds - std::floor(seconds)) * 1e9);
  const int signal = sigtimedwait(&signals, nullptr, &timeout);
  return signal > 0 ? signal : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts: received messages and frames are reused from the heap while a scan streams
  // (heap_trim.hpp).
  const bool heap_configured = tomolive::daemon::configure_heap_for_streaming();
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  auto loaded = tomolive::daemon::load_config(arguments);
  if (const auto* refusal = std::get_if<tomolive::daemon::ConfigRefusal>(&loaded)) {
    if (!refusal->message.empty()) std::fprintf(stderr, "%s\n", refusal->message.c_str());
    return refusal->exit_code;
  }
  if (std::get<tomolive::daemon::LoadedConfig>(loaded).print_config) {
    std::cout << tomolive::daemon::format_effective_config(std::get<tomolive::daemon::LoadedConfig>(loaded));
    return 0;
  }
  const tomolive::daemon::DaemonConfig config = std::get<tomolive::daemon::LoadedConfig>(loaded).config;
  try {
    tomolive::daemon::install_daemon_logger(
        {config.log_level, config.log_file, config.log_max_size_mib, config.log_max_files, config.log_json,
         config.log_syslog_prefix});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tomolived cannot start: the log: %s\n", e.what());
    return 1;
  }
  if (!heap_configured) spdlog::info("the C library's allocator keeps its default thresholds (not glibc)");

  // Block the shutdown signals and SIGHUP (reload the configuration) in every thread (threads inherit the mask);
  // this thread waits for them. Their disposition is reset first: a shell starts background jobs with SIGINT
  // ignored, and an ignored signal is discarded instead of waiting for sigwait.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    tomolive::daemon::Daemon daemon(config);
    // systemd (Type=notify): the watchdog pings only while the engine takes work from a non-empty queue.
    tomolive::daemon::EngineStallCheck stall_check;
    tomolive::daemon::ServiceNotifier notifier([&] { return !stall_check.stalled(daemon.engine_progress()); });
    tomolive::daemon::log_event(spdlog::level::info, {"started", std::nullopt},
                                fmt::format("tomolived {} running, {}", TOMOLIVE_VERSION, daemon.engine_reason()));
    const std::string file = std::get<tomolive::daemon::LoadedConfig>(loaded).file;
    spdlog::info("configuration: {} (SIGHUP reloads it)", file.empty() ? "command line only, no file" : file);
    spdlog::info("data in: {} ({}), slices out: {}, events out: {}, control: {}",
                 fmt::join(daemon.data_endpoints(), " "),
                 config.data_connect ? "PULL connected" : "PULL bound", daemon.slices_endpoint(),
                 daemon.events_endpoint(), daemon.control_endpoint());
    if (config.insecure_network) {
      spdlog::warn("{}", daemon.network_access());
    } else {
      spdlog::info("{}", daemon.network_access());
    }
    spdlog::info("projection processing: {}", tomolive::daemon::describe(config.processing));
    if (!daemon.http_url().empty()) {
      spdlog::info("viewer: {} ({})", daemon.http_url(), daemon.http_access());
    }
    notifier.ready();  // every socket is bound and the engine is up
    if (const auto timeout = notifier.watchdog_timeout()) {
      spdlog::info("systemd: ready; watchdog ping every {} ms", timeout->count() / 2000);
    }
    tomolive::daemon::ConfigReloader reloader(arguments, std::move(std::get<tomolive::daemon::LoadedConfig>(loaded)),
                                              daemon);
    // Every second: the bursts held back by the LogLimiters are logged with their counts; every
    // --status-interval (as reloaded): the status line; SIGHUP: reload the configuration file.
    int signal = 0;
    double since_status_s = 0.0;
    const auto tick_s = [&] {
      const double status_s = reloader.running().status_interval_s;
      return status_s > 0 ? std::min(kLogFlushInterval_s, status_s) : kLogFlushInterval_s;
    };
    while ((signal = wait_for_signal(signals, tick_s())) == 0 || signal == SIGHUP) {
      if (signal == SIGHUP) {
        reloader.reload();
        continue;
      }
      tomolive::daemon::LogLimiter::flush_all();
      since_status_s += tick_s();
      const double status_s = reloader.running().status_interval_s;
      if (status_s > 0 && since_status_s >= status_s - 1e-9) {
        tomolive::daemon::log_event(spdlog::level::info, {"status", std::nullopt}, daemon.status_line());
        since_status_s = 0.0;
      }
    }
    tomolive::daemon::log_event(
        spdlog::level::info, {"stopping", std::nullopt},
        fmt::format("{} received: draining the queue and shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM"));
    notifier.stopping();
    daemon.stop();
    tomolive::daemon::LogLimiter::flush_all();
    tomolive::daemon::log_event(spdlog::level::info, {"status", std::nullopt}, "final: " + daemon.status_line());
  } catch (const std::exception& e) {
    tomolive::daemon::log_event(spdlog::level::critical, {"start_failed", std::nullopt},
                                std::string("tomolived cannot start: ") + e.what());
    return 1;
  }
  tomolive::daemon::log_event(spdlog::level::info, {"stopped", std::nullopt}, "tomolived stopped");
  return 0;
}
