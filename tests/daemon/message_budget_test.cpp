// MessageBudget: a browser's messages per second, as a token bucket (a burst, then a steady rate).
#include "tomolive/daemon/message_budget.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

TEST(MessageBudget, AllowsABurstThenRefusesUntilItRefills) {
  MessageBudget budget;
  const auto start = std::chrono::steady_clock::now() + 1h;  // the full burst is available by then
  for (int i = 0; i < static_cast<int>(MessageBudget::kBurst); ++i) ASSERT_TRUE(budget.take(start)) << i;
  EXPECT_FALSE(budget.take(start));
  EXPECT_FALSE(budget.take(start + 5ms));  // half a message's worth at 100 per second
  EXPECT_TRUE(budget.take(start + 10ms));
  EXPECT_FALSE(budget.take(start + 10ms));
}

TEST(MessageBudget, ASteadyRateWithinTheBudgetIsNeverRefused) {
  MessageBudget budget;
  auto now = std::chrono::steady_clock::now() + 1h;
  for (int i = 0; i < 10'000; ++i) {
    now += 10ms;  // 100 per second
    ASSERT_TRUE(budget.take(now)) << i;
  }
}

TEST(MessageBudget, IdleTimeRefillsNoMoreThanTheBurst) {
  MessageBudget budget;
  auto now = std::chrono::steady_clock::now() + 1h;
  int allowed = 0;
  while (budget.take(now)) ++allowed;
  EXPECT_EQ(allowed, static_cast<int>(MessageBudget::kBurst));
  now += 1h;
  allowed = 0;
  while (budget.take(now)) ++allowed;
  EXPECT_EQ(allowed, static_cast<int>(MessageBudget::kBurst));
}

}  // namespace
}  // namespace tomolive::daemon
