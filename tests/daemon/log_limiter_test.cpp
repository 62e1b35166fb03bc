// LogLimiter as a pure unit: a stepped clock decides every answer, so no test waits.
#include "tomolive/daemon/log_limiter.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;
using protocol::ErrorCode;

class LogLimiterTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  LogLimiter limiter{[this] { return now; }};
};

TEST_F(LogLimiterTest, TheFirstLineOfACodeIsLoggedWithNothingHeldBack) {
  EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), 0u);
}

TEST_F(LogLimiterTest, OneLinePerCodePerSecondAndTheNextSaysHowManyWereHeldBack) {
  ASSERT_EQ(limiter.admit(ErrorCode::duplicate_frame), 0u);
  for (int i = 0; i < 41; ++i) {
    now += 20ms;  // 820 ms after the logged line
    EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), std::nullopt) << "line " << i;
  }
  now += 180ms;  // exactly one second after the logged line
  EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), 41u);
  EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), std::nullopt);
  now += 1s;
  EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), 1u);
  now += 5s;
  EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), 0u);
}

TEST_F(LogLimiterTest, EachCodeHasItsOwnAllowance) {
  ASSERT_EQ(limiter.admit(ErrorCode::duplicate_frame), 0u);
  EXPECT_EQ(limiter.admit(ErrorCode::queue_full), 0u);
  EXPECT_EQ(limiter.admit(ErrorCode::duplicate_frame), std::nullopt);
  EXPECT_EQ(limiter.admit(ErrorCode::queue_full), std::nullopt);
  EXPECT_EQ(limiter.admit(ErrorCode::invalid_field), 0u);
}

TEST(LogLimiterNote, SaysHowManyMoreOnlyWhenSomeWereHeldBack) {
  EXPECT_EQ(LogLimiter::held_back_note(0), "");
  EXPECT_EQ(LogLimiter::held_back_note(41), " (41 more since)");
}

}  // namespace
}  // namespace tomolive::daemon
