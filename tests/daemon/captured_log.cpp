#include "captured_log.hpp"

#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/json_log_formatter.hpp"

namespace tomolive::testing {
namespace {

std::shared_ptr<spdlog::logger> json_logger(std::ostream& out) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(std::make_unique<daemon::JsonLogFormatter>());
  auto logger = std::make_shared<spdlog::logger>("test", std::move(sink));
  logger->set_level(spdlog::level::trace);
  return logger;
}

}  // namespace

DefaultLogger::DefaultLogger(std::shared_ptr<spdlog::logger> logger) : previous_(spdlog::default_logger()) {
  spdlog::set_default_logger(std::move(logger));
}

DefaultLogger::~DefaultLogger() { spdlog::set_default_logger(previous_); }

JsonLog::JsonLog() : installed_(json_logger(out_)) {}

std::vector<nlohmann::json> JsonLog::lines() const {
  std::vector<nlohmann::json> parsed;
  std::istringstream text(out_.str());
  for (std::string line; std::getline(text, line);) {
    parsed.push_back(nlohmann::json::parse(line));  // throws, failing the test, on a line that is not JSON
    EXPECT_TRUE(parsed.back().is_object()) << line;
  }
  return parsed;
}

}  // namespace tomolive::testing
