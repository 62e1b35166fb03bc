#include "tomolive/daemon/engine_inbox.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

IngestItem item_of(protocol::DataMessage header) {
  IngestItem item;
  item.header = std::move(header);
  return item;
}

IngestItem frame_item(std::uint64_t id) {
  protocol::FrameHeader header;
  header.frame_id = id;
  return item_of(header);
}

IngestItem reference_item(protocol::FrameKind kind, std::uint64_t id) {
  protocol::FrameHeader header;
  header.kind = kind;
  header.frame_id = id;
  return item_of(header);
}

IngestItem end_item() { return item_of(protocol::ScanEnd{1}); }

std::uint64_t frame_id_of(EngineInbox::Next& next) {
  return std::get<protocol::FrameHeader>(std::get<IngestItem>(next).header).frame_id;
}

TEST(EngineInbox, HandsOutCommandsBeforeDataAndDataInOrder) {
  DaemonCounters counters;
  EngineInbox inbox(8, QueuePolicy::block, counters, nullptr);
  ASSERT_TRUE(inbox.push_data(frame_item(1)));
  ASSERT_TRUE(inbox.push_data(frame_item(2)));
  inbox.push_command(EngineCommand([] { return protocol::Reply{}; }));
  auto first = inbox.pop(10ms);
  EXPECT_TRUE(std::holds_alternative<EngineCommand>(first));
  auto second = inbox.pop(10ms);
  EXPECT_EQ(frame_id_of(second), 1u);
  auto third = inbox.pop(10ms);
  EXPECT_EQ(frame_id_of(third), 2u);
  EXPECT_TRUE(std::holds_alternative<EngineInbox::TimedOut>(inbox.pop(1ms)));
}

TEST(EngineInbox, DropOldestDropsFramesNeverEndsAndReportsEachDrop) {
  DaemonCounters counters;
  std::vector<std::uint64_t> dropped;
  EngineInbox inbox(2, QueuePolicy::drop_oldest, counters, [&](const IngestItem& item) {
    dropped.push_back(std::get<protocol::FrameHeader>(item.header).frame_id);
  });
  ASSERT_TRUE(inbox.push_data(end_item()));
  ASSERT_TRUE(inbox.push_data(frame_item(1)));
  ASSERT_TRUE(inbox.push_data(frame_item(2)));  // full: frame 1 goes, the end stays
  ASSERT_TRUE(inbox.push_data(frame_item(3)));  // full: frame 2 goes
  EXPECT_EQ(dropped, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(counters.queue_dropped.load(), 2u);
  auto first = inbox.pop(10ms);
  EXPECT_TRUE(std::holds_alternative<protocol::ScanEnd>(std::get<IngestItem>(first).header));
  auto second = inbox.pop(10ms);
  EXPECT_EQ(frame_id_of(second), 3u);
}

// Waits (bounded) until the producer has counted a wait on the full queue; false if it never did.
bool producer_waited(const DaemonCounters& counters) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (counters.queue_full_waits.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  return counters.queue_full_waits.load() > 0;
}

TEST(EngineInbox, DropOldestNeverDropsDarksOrFlatsAndWaitsWhenNoProjectionIsQueued) {
  using protocol::FrameKind;
  DaemonCounters counters;
  std::vector<std::uint64_t> dropped_projections;
  EngineInbox inbox(3, QueuePolicy::drop_oldest, counters, [&](const IngestItem& item) {
    const auto& frame = std::get<protocol::FrameHeader>(item.header);
    EXPECT_EQ(frame.kind, FrameKind::projection);
    dropped_projections.push_back(frame.frame_id);
  });
  ASSERT_TRUE(inbox.push_data(reference_item(FrameKind::dark, 0)));
  ASSERT_TRUE(inbox.push_data(frame_item(0)));
  ASSERT_TRUE(inbox.push_data(reference_item(FrameKind::flat, 0)));
  ASSERT_TRUE(inbox.push_data(frame_item(1)));                         // full: projection 0 goes, not the dark
  ASSERT_TRUE(inbox.push_data(reference_item(FrameKind::dark, 1)));  // full: projection 1 goes
  EXPECT_EQ(dropped_projections, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(counters.queue_dropped.load(), 2u);
  EXPECT_EQ(counters.queue_full_waits.load(), 0u);

  // Full of darks and flats: the next flat waits for a place instead of pushing one out.
  std::jthread producer([&] { EXPECT_TRUE(inbox.push_data(reference_item(FrameKind::flat, 1))); });
  if (!producer_waited(counters)) {
    inbox.close();
    FAIL() << "the flat did not wait for a place";
  }
  std::vector<std::pair<FrameKind, std::uint64_t>> handed_out;
  while (handed_out.size() < 4) {
    auto next = inbox.pop(1s);
    ASSERT_TRUE(std::holds_alternative<IngestItem>(next)) << "timed out after " << handed_out.size() << " items";
    const auto& frame = std::get<protocol::FrameHeader>(std::get<IngestItem>(next).header);
    handed_out.emplace_back(frame.kind, frame.frame_id);
  }
  producer.join();
  EXPECT_EQ(handed_out, (std::vector<std::pair<FrameKind, std::uint64_t>>{
                            {FrameKind::dark, 0}, {FrameKind::flat, 0}, {FrameKind::dark, 1}, {FrameKind::flat, 1}}));
  EXPECT_EQ(counters.queue_dropped.load(), 2u);
}

TEST(EngineInbox, RefusedCommandsAreAnsweredAtOnceWithoutRunningAndDataStillDrains) {
  DaemonCounters counters;
  EngineInbox inbox(4, QueuePolicy::block, counters, nullptr);
  std::atomic<int> runs{0};
  const auto command = [&] { return EngineCommand([&] { ++runs; return protocol::Reply{}; }); };
  std::vector<std::future<protocol::Reply>> replies;
  for (int i = 0; i < 3; ++i) {
    EngineCommand queued = command();
    replies.push_back(queued.get_future());
    inbox.push_command(std::move(queued));
  }
  ASSERT_TRUE(inbox.push_data(frame_item(7)));
  inbox.refuse_commands();
  EngineCommand late = command();
  replies.push_back(late.get_future());
  inbox.push_command(std::move(late));
  for (auto& reply : replies) {
    ASSERT_EQ(reply.wait_for(0s), std::future_status::ready);
    EXPECT_THROW(reply.get(), std::future_error);
  }
  inbox.close();
  auto next = inbox.pop(10ms);
  EXPECT_EQ(frame_id_of(next), 7u);
  EXPECT_TRUE(std::holds_alternative<EngineInbox::Closed>(inbox.pop(10ms)));
  EXPECT_EQ(runs.load(), 0);
}

TEST(EngineInbox, BlockPolicyWaitsForSpaceAndLosesNothing) {
  DaemonCounters counters;
  EngineInbox inbox(1, QueuePolicy::block, counters, nullptr);
  constexpr std::uint64_t kFrames = 200;
  std::jthread producer([&] {
    for (std::uint64_t id = 0; id < kFrames; ++id) ASSERT_TRUE(inbox.push_data(frame_item(id)));
  });
  // Nothing is taken until the producer has waited on the full queue at least once (frame 1 behind frame 0), so the
  // wait is certain; after that the two race freely (a consumer that always took each frame before the next push
  // would otherwise leave the counter at 0 on a busy machine).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (counters.queue_full_waits.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  if (counters.queue_full_waits.load() == 0) {
    inbox.close();  // releases the producer, so that the test ends
    FAIL() << "the producer never waited for space";
  }
  for (std::uint64_t expected = 0; expected < kFrames;) {
    auto next = inbox.pop(1s);
    ASSERT_TRUE(std::holds_alternative<IngestItem>(next)) << "timed out waiting for frame " << expected;
    EXPECT_EQ(frame_id_of(next), expected);
    ++expected;
  }
  producer.join();
  EXPECT_EQ(counters.queue_dropped.load(), 0u);
}

TEST(EngineInbox, CloseDrainsQueuedDataThenReportsClosedAndRefusesMore) {
  DaemonCounters counters;
  EngineInbox inbox(4, QueuePolicy::block, counters, nullptr);
  ASSERT_TRUE(inbox.push_data(frame_item(1)));
  inbox.close();
  EXPECT_FALSE(inbox.push_data(frame_item(2)));
  auto next = inbox.pop(10ms);
  EXPECT_EQ(frame_id_of(next), 1u);
  EXPECT_TRUE(std::holds_alternative<EngineInbox::Closed>(inbox.pop(10ms)));
}

TEST(EngineInbox, CloseReleasesABlockedProducer) {
  DaemonCounters counters;
  EngineInbox inbox(1, QueuePolicy::block, counters, nullptr);
  ASSERT_TRUE(inbox.push_data(frame_item(1)));
  std::atomic<bool> returned{false};
  bool accepted = true;
  std::jthread producer([&] {
    accepted = inbox.push_data(frame_item(2));
    returned = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(returned.load());
  inbox.close();
  producer.join();
  EXPECT_FALSE(accepted);
}

}  // namespace
}  // namespace tomolive::daemon
