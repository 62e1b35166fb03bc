#include "tomolive/daemon/frame_buffer_pool.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "tomolive/daemon/engine_factory.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

struct CountingAllocator {
  std::atomic<int> calls{0};
  FrameBufferPool::Allocator allocator() {
    return [this](std::size_t bytes) {
      ++calls;
      return allocate_plain_buffer(bytes);
    };
  }
};

TEST(FrameBufferPool, ReusesReturnedBuffersAndReplacesTooSmallOnes) {
  DaemonCounters counters;
  CountingAllocator counting;
  FrameBufferPool pool(counting.allocator(), 2, counters);
  std::byte* first = nullptr;
  {
    auto lease = pool.acquire(100);
    ASSERT_TRUE(lease);
    first = lease.data();
    lease.data()[99] = std::byte{7};  // the whole requested size is usable
  }
  auto again = pool.acquire(50);
  EXPECT_EQ(again.data(), first) << "a returned buffer large enough is reused";
  EXPECT_EQ(counting.calls.load(), 1);
  again = FrameBufferPool::Lease{};
  auto bigger = pool.acquire(1000);
  EXPECT_EQ(counting.calls.load(), 2) << "a free buffer that is too small is replaced";
  bigger.data()[999] = std::byte{1};
}

TEST(FrameBufferPool, WaitsWhenAllBuffersAreLeasedAndCountsTheWait) {
  DaemonCounters counters;
  CountingAllocator counting;
  FrameBufferPool pool(counting.allocator(), 1, counters);
  auto held = pool.acquire(64);
  std::atomic<bool> got{false};
  std::jthread waiter([&] {
    auto lease = pool.acquire(64);
    got = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got.load());
  held = FrameBufferPool::Lease{};  // give it back
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(counters.frame_buffer_waits.load(), 1u);
  EXPECT_EQ(counting.calls.load(), 1);
}

TEST(FrameBufferPool, AFailedAllocationFreesItsSlot) {
  DaemonCounters counters;
  bool fail = true;
  FrameBufferPool pool(
      [&](std::size_t bytes) -> std::unique_ptr<HostBuffer> {
        if (fail) throw std::runtime_error("out of page-locked memory");
        return allocate_plain_buffer(bytes);
      },
      1, counters);
  EXPECT_THROW(pool.acquire(64), std::runtime_error);
  fail = false;
  EXPECT_TRUE(pool.acquire(64)) << "the failed allocation must not keep the only slot";
}

}  // namespace
}  // namespace tomolive::daemon
