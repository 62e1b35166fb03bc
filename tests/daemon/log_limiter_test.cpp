// LogLimiter: a burst of events is one line at once and one summary line, whose counts add up to the burst; a
// stepped clock decides every answer, so no test waits. And the EventReporter's refusals go through it.
#include "tomolive/daemon/log_limiter.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "captured_log.hpp"
#include "tomolive/daemon/event_reporter.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::JsonLog;

std::uint64_t count_sum(const std::vector<json>& lines) {
  std::uint64_t sum = 0;
  for (const json& line : lines) sum += line["count"].get<std::uint64_t>();
  return sum;
}

class LogLimiterTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  JsonLog log;
  LogLimiter limiter{[this] { return now; }};

  void refuse(std::uint64_t scan_id, int i) {
    limiter.log(spdlog::level::warn, "http_connection_refused", LogFields{"connection_refused", scan_id},
                "refused connection " + std::to_string(i));
  }
};

TEST_F(LogLimiterTest, ABurstIsOneLineNowAndOneSummaryLineWhoseCountsAddUpToTheBurst) {
  constexpr int kBurst = 500;
  for (int i = 0; i < kBurst; ++i) refuse(3, i);  // all within the same instant
  ASSERT_EQ(log.lines().size(), 1u) << "only the first refusal of a burst is logged at once";
  limiter.flush();
  EXPECT_EQ(log.lines().size(), 1u) << "the second has not passed yet";
  now += LogLimiter::kInterval;
  limiter.flush();
  const std::vector<json> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["count"], 1);
  EXPECT_EQ(lines[1]["count"], kBurst - 1);
  EXPECT_EQ(lines[1]["message"], "refused connection " + std::to_string(kBurst - 1)) << "the newest of the burst";
  EXPECT_EQ(lines[1]["event"], "connection_refused");
  EXPECT_EQ(lines[1]["scan_id"], 3);
  EXPECT_EQ(count_sum(lines), static_cast<std::uint64_t>(kBurst));
  limiter.flush();
  EXPECT_EQ(log.lines().size(), 2u) << "nothing held back: nothing more to say";
}

TEST_F(LogLimiterTest, TheNextEventAfterTheIntervalCarriesWhatWasHeldBack) {
  refuse(1, 0);
  for (int i = 1; i <= 41; ++i) {
    now += 20ms;
    refuse(1, i);
  }
  now += 180ms;  // one second after the logged line
  refuse(1, 42);
  const std::vector<json> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["count"], 42) << "itself and the 41 held back";
  EXPECT_EQ(count_sum(lines), 43u);
}

TEST_F(LogLimiterTest, EachKeyHasItsOwnAllowance) {
  limiter.log(spdlog::level::warn, "duplicate_frame", LogFields{"rejected", 1}, "a");
  limiter.log(spdlog::level::warn, "queue_full", LogFields{"rejected", 1}, "b");
  limiter.log(spdlog::level::warn, "duplicate_frame", LogFields{"rejected", 1}, "c");
  EXPECT_EQ(log.lines().size(), 2u);
}

TEST(LogLimiterLifetime, WhatIsHeldBackIsLoggedWhenTheLimiterGoes) {
  JsonLog log;
  {
    LogLimiter limiter([] { return std::chrono::steady_clock::time_point{std::chrono::hours(1)}; });
    for (int i = 0; i < 10; ++i) limiter.log(spdlog::level::warn, "k", LogFields{"slow_consumer", std::nullopt}, "x");
  }
  const std::vector<json> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(count_sum(lines), 10u);
}

TEST(EventReporterLog, AFloodOfRefusalsGivesAFewLinesThatSumToTheFlood) {
  JsonLog log;
  DaemonCounters counters;
  testing::NullEventSink sink;
  constexpr int kFlood = 2000;
  const auto start = std::chrono::steady_clock::now();
  {
    EventReporter reporter(counters, sink);
    for (int i = 0; i < kFlood; ++i) {
      reporter.reject(protocol::Error{protocol::ErrorCode::duplicate_frame, "projection " + std::to_string(i)}, 9);
    }
  }  // the reporter's limiter logs what it still held back
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<json> lines = log.lines();
  EXPECT_EQ(count_sum(lines), static_cast<std::uint64_t>(kFlood));
  EXPECT_LE(lines.size(), 2u * (static_cast<std::size_t>(seconds) + 2)) << "at most one line per second, and the rest";
  EXPECT_EQ(counters.rejected.load(), static_cast<std::uint64_t>(kFlood)) << "the counters see every refusal";
}

}  // namespace
}  // namespace tomolive::daemon
