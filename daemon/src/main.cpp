// tomolived: read the command line and the configuration file, start the daemon, log a status line every interval,
// reload the configuration on SIGHUP, and shut down cleanly on SIGINT or SIGTERM (exit 0).
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
#include "tomolive/daemon/processing_setting.hpp"

namespace {

// Waits up to `seconds` (forever if 0) for one of `signals`; returns the signal number, or 0 on timeout.
int wait_for_signal(const sigset_t& signals, double seconds) {
  if (seconds <= 0) {
    int signal = 0;
    sigwait(&signals, &signal);
    return signal;
  }
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(seconds);
  timeout.tv_nsec = static_cast<long>((seconds - std::floor(seconds)) * 1e9);
  const int signal = sigtimedwait(&signals, nullptr, &timeout);
  return signal > 0 ? signal : 0;
}

}  // namespace

int main(int argc, char** argv) {
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
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::flush_on(spdlog::level::info);  // one line per event, also when the log goes to a file

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
    spdlog::info("tomolived {} running, {}", TOMOLIVE_VERSION, daemon.engine_reason());
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
    tomolive::daemon::ConfigReloader reloader(arguments, std::move(std::get<tomolive::daemon::LoadedConfig>(loaded)),
                                              daemon);
    int signal = 0;
    while ((signal = wait_for_signal(signals, reloader.running().status_interval_s)) == 0 || signal == SIGHUP) {
      if (signal == SIGHUP) {
        reloader.reload();
      } else {
        spdlog::info("{}", daemon.status_line());
      }
    }
    spdlog::info("{} received: draining the queue and shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    daemon.stop();
    spdlog::info("final: {}", daemon.status_line());
  } catch (const std::exception& e) {
    spdlog::critical("tomolived cannot start: {}", e.what());
    return 1;
  }
  spdlog::info("tomolived stopped");
  return 0;
}
