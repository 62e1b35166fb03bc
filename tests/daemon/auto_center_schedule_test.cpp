#include "tomolive/daemon/auto_center_schedule.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

TEST(AutoCenterSchedule, WithoutAScanItIsNeverDue) {
  const AutoCenterSchedule none;
  EXPECT_FALSE(none.due(0));
  EXPECT_FALSE(none.due(1000000));
}

TEST(AutoCenterSchedule, FirstTryWhenHalfOfAnEvenStoreIsFilled) {
  const AutoCenterSchedule schedule(100);
  EXPECT_EQ(schedule.next_try_at(), 50u);
  EXPECT_FALSE(schedule.due(49));
  EXPECT_TRUE(schedule.due(50));
  EXPECT_TRUE(schedule.due(51)) << "a try missed at exactly half is made at the next projection";
}

TEST(AutoCenterSchedule, AnOddStoreRoundsHalfUp) {
  const AutoCenterSchedule schedule(9);
  EXPECT_FALSE(schedule.due(4));
  EXPECT_TRUE(schedule.due(5));
}

TEST(AutoCenterSchedule, AOneSlotStoreIsTriedAtItsOnlyProjection) {
  const AutoCenterSchedule schedule(1);
  EXPECT_FALSE(schedule.due(0));
  EXPECT_TRUE(schedule.due(1));
}

TEST(AutoCenterSchedule, AFailedTryIsRetriedAfterEveryFurtherTenth) {
  AutoCenterSchedule schedule(180);
  ASSERT_TRUE(schedule.due(90));
  schedule.failed();
  EXPECT_EQ(schedule.next_try_at(), 108u);
  EXPECT_FALSE(schedule.due(107));
  EXPECT_TRUE(schedule.due(108));
  schedule.failed();
  EXPECT_FALSE(schedule.due(125));
  EXPECT_TRUE(schedule.due(126));
}

TEST(AutoCenterSchedule, SmallStoresRetryAfterEveryProjection) {
  AutoCenterSchedule schedule(7);  // a tenth of 7 rounds to 0: one projection at least
  ASSERT_TRUE(schedule.due(4));
  schedule.failed();
  EXPECT_FALSE(schedule.due(4));
  EXPECT_TRUE(schedule.due(5));
}

TEST(AutoCenterSchedule, OnceSucceededNeverAgainThisScan) {
  AutoCenterSchedule schedule(100);
  schedule.failed();
  ASSERT_TRUE(schedule.due(60));
  schedule.succeeded();
  EXPECT_TRUE(schedule.done());
  EXPECT_FALSE(schedule.due(60));
  EXPECT_FALSE(schedule.due(100));
}

TEST(AutoCenterSchedule, AWindowScanStopsTryingWhenTheFullWindowFailed) {
  // A sliding window of 20 slots: the store never holds more than 20 projections.
  AutoCenterSchedule schedule(20);
  std::uint32_t tries = 0;
  for (std::uint32_t stored = 1; stored <= 20; ++stored) {
    while (schedule.due(stored)) {
      ++tries;
      schedule.failed();
    }
  }
  EXPECT_EQ(tries, 6u) << "at 10, 12, 14, 16, 18 and 20 stored projections";
  EXPECT_FALSE(schedule.due(20)) << "the store cannot grow beyond the window";
}

TEST(AutoCenterSchedule, ANewScanStartsAfresh) {
  AutoCenterSchedule schedule(10);
  schedule.succeeded();
  schedule = AutoCenterSchedule(10);
  EXPECT_FALSE(schedule.done());
  EXPECT_TRUE(schedule.due(5));
}

}  // namespace
}  // namespace tomolive::daemon
