#include "tomolive/daemon/log_setup.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/json_log_formatter.hpp"

namespace tomolive::daemon {

std::shared_ptr<spdlog::logger> make_daemon_logger(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    const auto max_bytes = static_cast<std::size_t>(std::max(1.0, std::round(options.max_size_mib * 1024.0 * 1024.0)));
    sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(options.file.string(), max_bytes,
                                                                  options.max_files);
  }
  if (options.json) {
    sink->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  auto logger = std::make_shared<spdlog::logger>("tomolived", std::move(sink));
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::info);  // one line per event, also when the log goes to a file
  return logger;
}

void install_daemon_logger(const LogOptions& options) { spdlog::set_default_logger(make_daemon_logger(options)); }

}  // namespace tomolive::daemon
