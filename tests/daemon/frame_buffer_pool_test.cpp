#include "tomolive/daemon/frame_buffer_pool.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

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

TEST(FrameBufferPool, PreparedForAScanItAllocatesNothingWhileItsFramesStream) {
  DaemonCounters counters;
  CountingAllocator counting;
  FrameBufferPool pool(counting.allocator(), 3, counters, FrameBufferPool::Growth::at_scan_begin);
  EXPECT_EQ(pool.prepare_for(100), 3u);
  EXPECT_EQ(counting.calls.load(), 3);
  EXPECT_EQ(pool.prepare_for(100), 0u) << "a pool full of large enough buffers is ready";
  {
    std::vector<FrameBufferPool::Lease> leases;
    for (int i = 0; i < 3; ++i) {
      leases.push_back(pool.acquire(100));
      leases.back().data()[99] = std::byte{1};
    }
  }
  EXPECT_EQ(counting.calls.load(), 3) << "every frame's buffer was allocated at the begin";
  EXPECT_EQ(counters.frame_buffer_waits.load(), 0u);
}

TEST(FrameBufferPool, PreparingReplacesFreeBuffersTooSmallForTheNewScanButNotLeasedOnes) {
  DaemonCounters counters;
  CountingAllocator counting;
  FrameBufferPool pool(counting.allocator(), 3, counters, FrameBufferPool::Growth::at_scan_begin);
  ASSERT_EQ(pool.prepare_for(50), 3u);
  auto leased = pool.acquire(50);  // still held by the engine when the next scan begins
  EXPECT_EQ(pool.prepare_for(200), 2u) << "the two free ones are replaced, the leased one is left alone";
  EXPECT_EQ(counting.calls.load(), 5);
  auto first = pool.acquire(200);
  auto second = pool.acquire(200);
  first.data()[199] = std::byte{1};
  second.data()[199] = std::byte{1};
  EXPECT_EQ(counting.calls.load(), 5);
  leased = FrameBufferPool::Lease{};
  auto third = pool.acquire(200);
  EXPECT_EQ(counting.calls.load(), 6) << "the small one is replaced when it is next acquired";
}

TEST(FrameBufferPool, GrowingOnDemandPreparesNothing) {
  DaemonCounters counters;
  CountingAllocator counting;
  FrameBufferPool pool(counting.allocator(), 3, counters);
  EXPECT_EQ(pool.prepare_for(100), 0u);
  EXPECT_EQ(counting.calls.load(), 0);
  auto lease = pool.acquire(100);
  EXPECT_EQ(counting.calls.load(), 1);
}

TEST(FrameBufferPool, AFailedPreparationKeepsWhatItAllocatedAndFreesTheFailedSlot) {
  DaemonCounters counters;
  int allowed = 2;
  FrameBufferPool pool(
      [&](std::size_t bytes) -> std::unique_ptr<HostBuffer> {
        if (allowed-- <= 0) throw std::runtime_error("out of page-locked memory");
        return allocate_plain_buffer(bytes);
      },
      3, counters, FrameBufferPool::Growth::at_scan_begin);
  EXPECT_THROW(pool.prepare_for(64), std::runtime_error);
  auto first = pool.acquire(64);
  auto second = pool.acquire(64);
  EXPECT_THROW(pool.acquire(64), std::runtime_error) << "the third slot is free again (and allocates on acquire)";
  allowed = 1;
  EXPECT_TRUE(pool.acquire(64));
}

}  // namespace
}  // namespace tomolive::daemon
