// The daemon's log lines: JSON (time, level, event, scan_id, message, count), text with the scan id, the syslog
// priority prefix for journald, and the rotating file of --log-file.
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "captured_log.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/log_event.hpp"
#include "tomolive/daemon/log_setup.hpp"

namespace tomolive::daemon {
namespace {

using testing::DefaultLogger;
using testing::JsonLog;
using nlohmann::json;

TEST(JsonLog, EachLineIsOneObjectWithTimeLevelEventScanIdMessageAndCount) {
  JsonLog log;
  DaemonCounters counters;
  testing::NullEventSink sink;
  {
    EventReporter reporter(counters, sink);
    reporter.scan_event("scan_begun", 17, "began: 8 x 64 uint16, \"quoted\" name\n");
    reporter.reject(protocol::Error{protocol::ErrorCode::shape_mismatch, "frame is 8 x 63, the scan 8 x 64"}, 17, 3);
  }
  spdlog::info("a line logged through spdlog directly");
  const std::vector<json> lines = log.lines();
  ASSERT_EQ(lines.size(), 3u);
  const std::regex iso8601_utc(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  for (const json& line : lines) {
    EXPECT_TRUE(std::regex_match(line["time"].get<std::string>(), iso8601_utc)) << line;
    for (const char* key : {"level", "event", "scan_id", "message", "count"}) EXPECT_TRUE(line.contains(key)) << key;
  }
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["event"], "scan_begun");
  EXPECT_EQ(lines[0]["scan_id"], 17);
  EXPECT_EQ(lines[0]["message"], "began: 8 x 64 uint16, \"quoted\" name\n");
  EXPECT_EQ(lines[0]["count"], 1);
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[1]["event"], "rejected");
  EXPECT_EQ(lines[1]["scan_id"], 17);
  EXPECT_EQ(lines[1]["message"], "rejected (shape_mismatch): frame is 8 x 63, the scan 8 x 64");
  EXPECT_EQ(lines[2]["event"], "log");
  EXPECT_TRUE(lines[2]["scan_id"].is_null());
  EXPECT_EQ(lines[2]["message"], "a line logged through spdlog directly");
}

TEST(JsonLog, InvalidUtf8InAMessageIsReplacedNotDropped) {
  JsonLog log;
  log_event(spdlog::level::warn, LogFields{"rejected", std::nullopt}, "name \xff\xfe here");
  const std::vector<json> lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0]["message"].get<std::string>().find("here"), std::string::npos);
}

TEST(TextLog, AScanEventSaysItsScanAndABurstItsCount) {
  EXPECT_EQ(event_text(LogFields{"rejected", 12, 1}, "rejected (queue_full): x"), "scan 12: rejected (queue_full): x");
  EXPECT_EQ(event_text(LogFields{"connection_refused", std::nullopt, 41}, "refused"), "refused [count 41]");
}

// A folder that is removed when the test ends.
class TempFolder {
 public:
  TempFolder() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("tomolive-log-test-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(TextLog, WithTheSyslogPrefixEachLineStartsWithItsPriorityForJournald) {
  const TempFolder folder;
  LogOptions options;
  options.file = folder.path() / "tomolived.log";
  options.syslog_prefix = true;
  {
    const DefaultLogger installed(make_daemon_logger(options));
    log_event(spdlog::level::info, LogFields{"scan_begun", 5}, "began");
    log_event(spdlog::level::warn, LogFields{"rejected", 5}, "rejected (queue_full): dropped");
    spdlog::error("failed");
  }
  const std::vector<std::string> lines = lines_of(options.file);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with("<6>")) << lines[0];
  EXPECT_NE(lines[0].find("scan 5: began"), std::string::npos) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("<4>")) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("<3>")) << lines[2];
}

TEST(LogFile, RotatesPastItsSizeAndKeepsTheConfiguredNumberOfFiles) {
  const TempFolder temp;
  const std::filesystem::path& folder = temp.path();
  LogOptions options;
  options.file = folder / "tomolived.log";
  options.max_size_mib = 4096.0 / (1024.0 * 1024.0);  // 4 KiB
  options.max_files = 2;
  options.json = true;
  {
    const DefaultLogger installed(make_daemon_logger(options));
    for (int i = 0; i < 200; ++i) {
      log_event(spdlog::level::info, LogFields{"scan_begun", static_cast<std::uint64_t>(i)},
                std::string(100, 'x'));
    }
  }
  EXPECT_TRUE(std::filesystem::exists(folder / "tomolived.log"));
  EXPECT_TRUE(std::filesystem::exists(folder / "tomolived.1.log"));
  EXPECT_TRUE(std::filesystem::exists(folder / "tomolived.2.log"));
  EXPECT_FALSE(std::filesystem::exists(folder / "tomolived.3.log")) << "--log-max-files 2";
  for (const char* name : {"tomolived.log", "tomolived.1.log"}) {
    EXPECT_LE(std::filesystem::file_size(folder / name), 4096u) << name;
    const std::vector<std::string> lines = lines_of(folder / name);
    EXPECT_FALSE(lines.empty()) << name;
    for (const std::string& line : lines) EXPECT_TRUE(json::parse(line).contains("scan_id")) << line;
  }
}

}  // namespace
}  // namespace tomolive::daemon
