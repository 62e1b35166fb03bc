// EngineStallCheck: only a whole watchdog period with data queued and nothing taken counts as a stall; an idle or a
// slow engine is alive.
#include "tomolive/daemon/engine_stall_check.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

TEST(EngineStallCheck, FirstLookIsNeverAStall) {
  EngineStallCheck check;
  EXPECT_FALSE(check.stalled({.depth = 10, .handed_out = 0}));
}

TEST(EngineStallCheck, QueuedWorkNotTakenForAWholePeriodIsAStall) {
  EngineStallCheck check;
  EXPECT_FALSE(check.stalled({.depth = 5, .handed_out = 7}));
  EXPECT_TRUE(check.stalled({.depth = 9, .handed_out = 7}));
  EXPECT_TRUE(check.stalled({.depth = 9, .handed_out = 7}));
  EXPECT_FALSE(check.stalled({.depth = 8, .handed_out = 8})) << "the engine took an item: it recovered";
}

TEST(EngineStallCheck, IdleAndSlowEnginesAreAlive) {
  EngineStallCheck check;
  EXPECT_FALSE(check.stalled({.depth = 0, .handed_out = 3}));
  EXPECT_FALSE(check.stalled({.depth = 0, .handed_out = 3})) << "idle: nothing to do";
  EXPECT_FALSE(check.stalled({.depth = 4, .handed_out = 3})) << "work just arrived";
  EXPECT_FALSE(check.stalled({.depth = 4, .handed_out = 4})) << "slow, but it takes work";
  EXPECT_FALSE(check.stalled({.depth = 0, .handed_out = 4})) << "the queue emptied";
}

}  // namespace
}  // namespace tomolive::daemon
