// ConnectionLimit: the HTTP port's cap on connections open at once, released as connections close.
#include "tomolive/daemon/connection_limit.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tomolive::daemon {
namespace {

TEST(ConnectionLimit, AdmitsUpToTheCapAndCountsEachRefusal) {
  std::atomic<std::uint64_t> refused{0};
  ConnectionLimit limit(3, refused);
  std::vector<ConnectionLimit::Slot> held;
  for (int i = 0; i < 3; ++i) {
    auto slot = limit.admit();
    ASSERT_TRUE(slot) << i;
    held.push_back(std::move(*slot));
  }
  EXPECT_FALSE(limit.admit());
  EXPECT_FALSE(limit.admit());
  EXPECT_EQ(refused.load(), 2u);
}

TEST(ConnectionLimit, AClosedConnectionFreesItsPlace) {
  std::atomic<std::uint64_t> refused{0};
  ConnectionLimit limit(1, refused);
  {
    auto first = limit.admit();
    ASSERT_TRUE(first);
    const ConnectionLimit::Slot moved(std::move(*first));  // a moved-from slot releases nothing
    first.reset();
    EXPECT_FALSE(limit.admit());
  }
  EXPECT_TRUE(limit.admit());
  EXPECT_EQ(refused.load(), 1u);
}

}  // namespace
}  // namespace tomolive::daemon
