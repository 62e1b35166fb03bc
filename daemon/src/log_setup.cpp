#include "tomolive/daemon/log_setup.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/json_log_formatter.hpp"

namespace tomolive::daemon {
namespace {

// "%*" in the text pattern: "<N>", the syslog priority of the line's level (LOG_DEBUG 7 ... LOG_CRIT 2).
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/, spdlog::memory_buf_t& dest) override {
    const char* prefix = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      default: break;
    }
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

constexpr const char* kTextPattern = "%Y-%m-%d %H:%M:%S.%e %^%l%$ %v";

}  // namespace

std::shared_ptr<spdlog::logger> make_daemon_logger(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    const double max_bytes = std::max(1.0, std::round(options.max_size_mib * 1024.0 * 1024.0));
    sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        options.file.string(), static_cast<std::size_t>(max_bytes), options.max_files);
  }
  if (options.json) {
    sink->set_formatter(std::make_unique<JsonLogFormatter>());
  } else if (options.syslog_prefix) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern(std::string("%*") + kTextPattern);
    sink->set_formatter(std::move(formatter));
  } else {
    sink->set_pattern(kTextPattern);
  }
  auto logger = std::make_shared<spdlog::logger>("tomolived", std::move(sink));
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::info);  // one line per event, also when the log goes to a file
  return logger;
}

void install_daemon_logger(const LogOptions& options) { spdlog::set_default_logger(make_daemon_logger(options)); }

}  // namespace tomolive::daemon
