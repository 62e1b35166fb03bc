// Test doubles for the daemon's log: a logger installed as spdlog's default for a test's lifetime, the log captured
// as JSON lines in memory, and an EventSink that discards events (for an EventReporter whose log is under test).
#pragma once

#include <memory>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "tomolive/daemon/event_reporter.hpp"

namespace tomolive::testing {

// Makes `logger` spdlog's default logger for the test's lifetime, then puts the previous one back.
class DefaultLogger {
 public:
  explicit DefaultLogger(std::shared_ptr<spdlog::logger> logger);
  ~DefaultLogger();
  DefaultLogger(const DefaultLogger&) = delete;
  DefaultLogger& operator=(const DefaultLogger&) = delete;

 private:
  std::shared_ptr<spdlog::logger> previous_;
};

// The default logger's lines, as JsonLogFormatter writes them, kept in memory for the test's lifetime.
class JsonLog {
 public:
  JsonLog();
  // Every line so far, parsed; a line that is not one JSON object fails the test.
  std::vector<nlohmann::json> lines() const;

 private:
  std::ostringstream out_;
  DefaultLogger installed_;
};

class NullEventSink : public daemon::EventSink {
 public:
  void post_event(protocol::Event) override {}
};

}  // namespace tomolive::testing
