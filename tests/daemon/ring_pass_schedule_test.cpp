#include "tomolive/daemon/ring_pass_schedule.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

// Stores `count` projections; returns how many of them made a pass due (each due pass is then run).
std::uint32_t store(RingPassSchedule& schedule, std::uint32_t count, bool rings_enabled) {
  std::uint32_t passes = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (schedule.projection_stored(rings_enabled)) {
      ++passes;
      schedule.refiltered();
    }
  }
  return passes;
}

TEST(RingPassSchedule, WhileRingsAreEnabledAPassFollowsEveryTenth) {
  RingPassSchedule schedule(100);
  EXPECT_EQ(schedule.interval(), 10u);
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(schedule.projection_stored(true));
  EXPECT_TRUE(schedule.projection_stored(true));
  schedule.refiltered();
  EXPECT_EQ(schedule.stored_since_refilter(), 0u);
  EXPECT_EQ(store(schedule, 90, true), 9u);
  EXPECT_FALSE(schedule.due_at_end(true)) << "the last tenth's pass already covered every projection";
}

TEST(RingPassSchedule, WithoutRingsNoPassIsEverDue) {
  RingPassSchedule schedule(100);
  EXPECT_EQ(store(schedule, 100, false), 0u);
  EXPECT_FALSE(schedule.due_at_end(false));
  EXPECT_EQ(schedule.stored_since_refilter(), 100u) << "projections are counted even while rings are off";
}

TEST(RingPassSchedule, TheEndPassCoversProjectionsSinceTheLastPass) {
  RingPassSchedule schedule(95);  // interval 9: passes at 9, 18, ..., 90; 5 projections left over
  EXPECT_EQ(store(schedule, 95, true), 10u);
  EXPECT_EQ(schedule.stored_since_refilter(), 5u);
  EXPECT_TRUE(schedule.due_at_end(true));
  EXPECT_FALSE(schedule.due_at_end(false)) << "rings turned off before the end: no final pass";
}

TEST(RingPassSchedule, AScanWithFewerProjectionsThanAnnouncedStillEndsWithAPass) {
  RingPassSchedule schedule(100);
  EXPECT_EQ(store(schedule, 37, true), 3u);
  EXPECT_TRUE(schedule.due_at_end(true));
}

TEST(RingPassSchedule, RingsEnabledMidScanCountFromTheirRefilter) {
  RingPassSchedule schedule(100);
  EXPECT_EQ(store(schedule, 25, false), 0u);
  // set_processing enables rings: it re-filters the whole store, which restarts the count.
  schedule.refiltered();
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(schedule.projection_stored(true));
  EXPECT_TRUE(schedule.projection_stored(true));
}

TEST(RingPassSchedule, RingsDisabledMidScanStopThePasses) {
  RingPassSchedule schedule(100);
  EXPECT_EQ(store(schedule, 35, true), 3u);
  schedule.refiltered();  // set_processing turned rings off (and re-filtered)
  EXPECT_EQ(store(schedule, 65, false), 0u);
  EXPECT_FALSE(schedule.due_at_end(false));
}

TEST(RingPassSchedule, AFailedPassIsRetriedAfterTheNextTenthNotAtOnce) {
  RingPassSchedule schedule(50);  // interval 5
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(schedule.projection_stored(true));
  ASSERT_TRUE(schedule.projection_stored(true));
  schedule.refiltered();  // the pass was attempted and failed: counting restarts all the same
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(schedule.projection_stored(true));
  EXPECT_TRUE(schedule.projection_stored(true));
}

TEST(RingPassSchedule, SmallStoresPassAfterEveryProjection) {
  RingPassSchedule schedule(9);
  EXPECT_EQ(schedule.interval(), 1u);
  EXPECT_EQ(store(schedule, 9, true), 9u);
  EXPECT_FALSE(schedule.due_at_end(true));
}

TEST(RingPassSchedule, AWindowScanCountsEveryProjectionNotStoreSlots) {
  RingPassSchedule schedule(20);  // a window of 20 slots over 100 projections: interval 2
  EXPECT_EQ(store(schedule, 100, true), 50u);
}

}  // namespace
}  // namespace tomolive::daemon
