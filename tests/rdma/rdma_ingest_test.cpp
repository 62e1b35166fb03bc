// The daemon's RDMA receiver (RdmaIngest, RdmaReceiver) and the sender library's RDMA path, over the fake transport:
// frames reach the engine queue in their slots, credits flow back, and every fault of issue 16 ends in a clear error
// on both sides, a counter, and a receiver that still serves the next sender.
#include <gtest/gtest.h>

#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "sender_core.hpp"
#include "tomolive/daemon/engine_factory.hpp"
#include "tomolive/daemon/rdma_ingest.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/rdma/fake_transport.hpp"
#include "tomolive/rdma/wire.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kRows = 8, kCols = 16;
constexpr std::size_t kFrameBytes = kRows * kCols * 2;

// Events the reporter publishes, for tests to wait on.
class RecordingSink : public EventSink {
 public:
  void post_event(protocol::Event event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }
  // The first error event whose message contains `text`.
  std::optional<protocol::Event> wait_error(const std::string& text, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    std::optional<protocol::Event> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& event : events_) {
        if (event.error && event.message.find(text) != std::string::npos) found = event;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<protocol::Event> events_;
};

struct SenderCloser {
  void operator()(tl_sender* sender) const { tl_close(sender, 1000); }
};
using SenderPtr = std::unique_ptr<tl_sender, SenderCloser>;

// A receiver on the fake transport with an engine queue that the test pops by hand.
class ReceiverRig {
 public:
  explicit ReceiverRig(RdmaLimits limits = {}, std::size_t queue = 64)
      : inbox_(queue, QueuePolicy::block, counters_, {}) {
    ingest_ = std::make_unique<RdmaIngest>(transport_, RdmaIngest::Options{"10.0.0.1", 0, limits},
                                           allocate_plain_buffer, inbox_, reporter_, counters_);
  }
  ~ReceiverRig() { ingest_.reset(); }

  std::string url() const { return "rdma://10.0.0.1:" + std::to_string(ingest_->port()); }

  SenderPtr open(tl_options options = {}, tl_status expected = TL_OK) {
    tl_sender* sender = nullptr;
    if (options.slot_bytes == 0) options.slot_bytes = kFrameBytes;
    const tl_status status = send::open_sender(url().c_str(), &options, transport_, &sender);
    EXPECT_EQ(status, expected) << tl_open_error();
    return SenderPtr(sender);
  }

  // The next data item, waiting up to 5 s.
  std::optional<IngestItem> pop() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto next = inbox_.pop(100ms);
      if (auto* item = std::get_if<IngestItem>(&next)) return std::move(*item);
    }
    return std::nullopt;
  }

  // Waits until `counter` reaches `value`.
  static bool wait_count(const std::atomic<std::uint64_t>& counter, std::uint64_t value) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (counter.load() < value && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return counter.load() >= value;
  }

  DaemonCounters counters_;
  RecordingSink sink_;
  EventReporter reporter_{counters_, sink_};
  EngineInbox inbox_;
  rdma::FakeTransport transport_;
  std::unique_ptr<RdmaIngest> ingest_;
};

tl_scan small_scan(std::uint64_t scan_id = 1, std::uint32_t projections = 4) {
  tl_scan scan{};
  scan.scan_id = scan_id;
  scan.rows = kRows;
  scan.cols = kCols;
  scan.dtype = TL_UINT16;
  scan.num_projections = projections;
  scan.angle_step_deg = 180.0 / projections;
  return scan;
}

std::vector<std::uint16_t> frame_of(std::uint16_t value) { return std::vector<std::uint16_t>(kRows * kCols, value); }

// A peer that speaks the RDMA wire by hand, to break its rules on purpose.
class RawPeer {
 public:
  RawPeer(rdma::Transport& transport, std::uint16_t port, rdma::ConnectParameters parameters)
      : connection_(transport.open("10.0.0.1", port, 1s)), memory_(1 << 16) {
    region_ = connection_->register_memory(memory_);
    for (std::uint32_t i = 0; i < 8; ++i) {
      connection_->post_receive(i, *region_, std::span(memory_).subspan(i * 4096, 4096));
    }
    result_ = connection_->connect(rdma::encode(parameters), 2s);
    if (result_.accepted) ring_ = std::get<rdma::RingMessage>(next_message());
  }
  ~RawPeer() {
    region_.reset();
    connection_.reset();
  }

  bool accepted() const { return result_.accepted; }
  const rdma::RingMessage& ring() const { return ring_; }

  void send(const rdma::Message& message) {
    const auto bytes = rdma::encode(message);
    std::copy(bytes.begin(), bytes.end(), memory_.begin() + 0x8000);
    connection_->post_send(100, *region_, std::span(memory_).subspan(0x8000, bytes.size()));
  }
  void write(std::uint32_t slot, std::size_t bytes, std::uint32_t immediate, std::uint64_t offset = 0) {
    connection_->post_write_with_immediate(200, *region_, std::span(memory_).subspan(0xC000, bytes),
                                           {ring_.slots[slot].address + offset, ring_.slots[slot].remote_key},
                                           immediate);
  }
  static rdma::FrameMessage frame(std::uint32_t slot, std::uint64_t sequence, std::uint64_t frame_id,
                                  std::uint64_t payload = kFrameBytes) {
    protocol::FrameHeader header;
    header.scan_id = 1;
    header.frame_id = frame_id;
    header.rows = kRows;
    header.cols = kCols;
    return rdma::FrameMessage{slot, sequence, payload, protocol::encode(header)};
  }

  // The next message the daemon sent, skipping send/write completions; fails the test after 5 s.
  rdma::Message next_message() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::array<rdma::Completion, 8> completions;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = connection_->poll(completions, 100ms);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& c = completions[i];
        if (c.op == rdma::Completion::Op::receive && c.status == rdma::WorkStatus::success) {
          auto decoded = rdma::decode_message(std::span(memory_).subspan(c.work_id * 4096, c.byte_length));
          connection_->post_receive(c.work_id, *region_, std::span(memory_).subspan(c.work_id * 4096, 4096));
          return std::get<rdma::Message>(decoded);
        }
        if (c.status != rdma::WorkStatus::success) last_error_ = c.status;
      }
    }
    ADD_FAILURE() << "no message from the daemon";
    return rdma::ErrorMessage{};
  }
  // The first failed completion seen, waiting up to 5 s.
  std::optional<rdma::WorkStatus> wait_failure() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::array<rdma::Completion, 8> completions;
    while (!last_error_ && std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = connection_->poll(completions, 100ms);
      for (std::size_t i = 0; i < n; ++i) {
        if (completions[i].status != rdma::WorkStatus::success && !last_error_) last_error_ = completions[i].status;
      }
    }
    return last_error_;
  }

 private:
  std::unique_ptr<rdma::Connection> connection_;
  std::vector<std::byte> memory_;
  std::unique_ptr<rdma::MemoryRegion> region_;
  rdma::Connection::ConnectResult result_;
  rdma::RingMessage ring_;
  std::optional<rdma::WorkStatus> last_error_;
};

rdma::ConnectParameters parameters(std::uint32_t slots = 4) {
  return {rdma::kWireVersion, static_cast<std::uint32_t>(kFrameBytes), slots, 4096};
}

TEST(RdmaIngest, FramesLandInSlotsAndReachTheEngineQueue) {
  ReceiverRig rig;
  SenderPtr sender = rig.open();
  const tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  const auto pixels = frame_of(1234);
  ASSERT_EQ(tl_send_projection(sender.get(), 0, NAN, pixels.data(), kFrameBytes, 1000), TL_OK) << tl_last_error(sender.get());
  auto begin = rig.pop();
  ASSERT_TRUE(begin);
  EXPECT_EQ(std::get<protocol::ScanBegin>(begin->header).scan_id, 1u);
  auto frame = rig.pop();
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->landed);
  EXPECT_EQ(static_cast<const std::uint16_t*>(frame->pixels())[kRows * kCols - 1], 1234);
  EXPECT_EQ(std::get<protocol::FrameHeader>(frame->header).frame_id, 0u);
  EXPECT_EQ(rig.counters_.rdma_connections.load(), 1u);
  EXPECT_EQ(rig.ingest_->connections(), 1u);
}

// tl_scan's pixel size and half acquisition reach the daemon's begin (a recorded scan sent again keeps them); a pixel
// size of 0 means none.
TEST(RdmaIngest, BeginCarriesPixelSizeAndHalfAcquisition) {
  ReceiverRig rig;
  SenderPtr sender = rig.open();
  tl_scan scan = small_scan(1, 8);
  scan.angle_step_deg = 360.0 / 8;
  scan.center_offset_px = 3.0;
  scan.pixel_size_um = 0.65;
  scan.half_acquisition = 1;
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK) << tl_last_error(sender.get());
  ASSERT_EQ(tl_end_scan(sender.get(), 1000), TL_OK);
  auto begin = rig.pop();
  ASSERT_TRUE(begin);
  const auto& carried = std::get<protocol::ScanBegin>(begin->header);
  EXPECT_EQ(carried.pixel_size_um, std::optional<double>(0.65));
  EXPECT_TRUE(carried.half_acquisition);
  ASSERT_TRUE(rig.pop());  // end

  const tl_scan plain = small_scan(2);
  ASSERT_EQ(tl_begin_scan(sender.get(), &plain, 1000), TL_OK) << tl_last_error(sender.get());
  auto second = rig.pop();
  ASSERT_TRUE(second);
  EXPECT_FALSE(std::get<protocol::ScanBegin>(second->header).pixel_size_um);
  EXPECT_FALSE(std::get<protocol::ScanBegin>(second->header).half_acquisition);
}

TEST(RdmaIngest, ZeroCopySendReadsTheRegisteredBufferAndReleasesIt) {
  ReceiverRig rig;
  SenderPtr sender = rig.open();
  const tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  auto buffer = frame_of(77);
  std::uint32_t id = 0;
  ASSERT_EQ(tl_register_buffer(sender.get(), buffer.data(), kFrameBytes, &id), TL_OK);
  std::uint64_t ticket = 0;
  ASSERT_EQ(tl_send_registered(sender.get(), TL_PROJECTION, 0, NAN, id, 0, kFrameBytes, 1000, &ticket), TL_OK);
  EXPECT_EQ(tl_wait_released(sender.get(), ticket, 2000), TL_OK);
  ASSERT_TRUE(rig.pop());
  auto frame = rig.pop();
  ASSERT_TRUE(frame);
  EXPECT_EQ(static_cast<const std::uint16_t*>(frame->pixels())[0], 77);
  EXPECT_EQ(tl_send_registered(sender.get(), TL_PROJECTION, 1, NAN, id, 2, kFrameBytes, 0, nullptr),
            TL_UNKNOWN_BUFFER);
}

TEST(RdmaIngest, CreditsExhaustedBlockTheSenderUntilTheEngineReleasesASlot) {
  ReceiverRig rig;
  tl_options options{};
  options.slot_count = 2;
  SenderPtr sender = rig.open(options);
  const tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  ASSERT_TRUE(rig.pop());  // begin
  const auto first = frame_of(1), second = frame_of(2), third = frame_of(3);
  ASSERT_EQ(tl_send_projection(sender.get(), 0, NAN, first.data(), kFrameBytes, 1000), TL_OK);
  ASSERT_EQ(tl_send_projection(sender.get(), 1, NAN, second.data(), kFrameBytes, 1000), TL_OK);
  auto held0 = rig.pop(), held1 = rig.pop();  // the engine holds both slots
  ASSERT_TRUE(held0 && held1);
  EXPECT_EQ(tl_send_projection(sender.get(), 2, NAN, third.data(), kFrameBytes, 0), TL_WOULD_BLOCK);
  EXPECT_EQ(tl_send_projection(sender.get(), 2, NAN, third.data(), kFrameBytes, 50), TL_TIMED_OUT);
  EXPECT_NE(std::string(tl_last_error(sender.get())).find("no free slot"), std::string::npos);
  EXPECT_GE(tl_backpressure_waits(sender.get()), 1u);
  // Nothing was overwritten: the held frames still hold their pixels.
  EXPECT_EQ(static_cast<const std::uint16_t*>(held0->pixels())[0], 1);
  EXPECT_EQ(static_cast<const std::uint16_t*>(held1->pixels())[0], 2);
  held0.reset();  // the engine is done with frame 0: its slot goes back
  ASSERT_EQ(tl_send_projection(sender.get(), 2, NAN, third.data(), kFrameBytes, 2000), TL_OK);
  auto frame2 = rig.pop();
  ASSERT_TRUE(frame2);
  EXPECT_EQ(static_cast<const std::uint16_t*>(frame2->pixels())[0], 3);
  EXPECT_EQ(static_cast<const std::uint16_t*>(held1->pixels())[0], 2);
}

TEST(RdmaIngest, SlotSizeTheReceiverCannotAcceptIsRefusedOnBothSides) {
  RdmaLimits limits;
  limits.max_slot_bytes = 1 << 20;
  ReceiverRig rig(limits);
  tl_options options{};
  options.slot_bytes = 2 << 20;
  SenderPtr sender = rig.open(options, TL_REFUSED);
  EXPECT_FALSE(sender);
  const std::string error = tl_open_error();
  EXPECT_NE(error.find("slot_size_refused"), std::string::npos) << error;
  EXPECT_NE(error.find("1048576"), std::string::npos) << error;  // the receiver's limit
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_connections_refused, 1));
  EXPECT_TRUE(rig.sink_.wait_error("slot of 2097152 bytes asked"));
  EXPECT_EQ(rig.counters_.rejected_by_reason[static_cast<std::size_t>(protocol::ErrorCode::transport_error)].load(),
            1u);
  // The receiver still serves a sender that asks for what it can give.
  SenderPtr good = rig.open();
  EXPECT_TRUE(good);
}

TEST(RdmaIngest, FrameLargerThanASlotIsRefusedOnBothSides) {
  ReceiverRig rig;
  tl_options options{};
  options.slot_bytes = kFrameBytes / 2;
  SenderPtr sender = rig.open(options);
  const tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  const auto pixels = frame_of(1);
  EXPECT_EQ(tl_send_projection(sender.get(), 0, NAN, pixels.data(), kFrameBytes, 1000), TL_FRAME_TOO_LARGE);
  EXPECT_NE(std::string(tl_last_error(sender.get())).find("slots hold 128"), std::string::npos);
  // A sender that announces it anyway is cut off with the reason.
  RawPeer peer(rig.transport_, rig.ingest_->port(), parameters());
  ASSERT_TRUE(peer.accepted());
  peer.send(RawPeer::frame(0, 0, 0, std::uint64_t{peer.ring().slot_bytes} + 1));
  const auto error = std::get<rdma::ErrorMessage>(peer.next_message());
  EXPECT_EQ(error.error, rdma::WireError::frame_too_large);
  EXPECT_TRUE(rig.sink_.wait_error("frame_too_large"));
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_connection_errors, 1));
}

TEST(RdmaIngest, SequenceGapEndsTheConnectionWithTheReason) {
  ReceiverRig rig;
  RawPeer peer(rig.transport_, rig.ingest_->port(), parameters());
  ASSERT_TRUE(peer.accepted());
  peer.send(RawPeer::frame(0, 0, 0));
  peer.write(0, kFrameBytes, rdma::pack_immediate(0, 0));
  peer.send(RawPeer::frame(1, 2, 1));  // sequence 1 skipped
  const auto error = std::get<rdma::ErrorMessage>(peer.next_message());
  EXPECT_EQ(error.error, rdma::WireError::sequence_gap);
  EXPECT_NE(error.message.find("expected 1"), std::string::npos) << error.message;
  EXPECT_TRUE(rig.sink_.wait_error("sequence_gap"));
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_connection_errors, 1));
  ASSERT_TRUE(rig.pop());  // frame 0 arrived before the gap
}

TEST(RdmaIngest, WriteWithAWrongImmediateIsAnUnexpectedWrite) {
  ReceiverRig rig;
  RawPeer peer(rig.transport_, rig.ingest_->port(), parameters());
  ASSERT_TRUE(peer.accepted());
  peer.send(RawPeer::frame(0, 0, 0));
  peer.write(1, kFrameBytes, rdma::pack_immediate(1, 0));  // announced slot 0, wrote slot 1
  const auto error = std::get<rdma::ErrorMessage>(peer.next_message());
  EXPECT_EQ(error.error, rdma::WireError::unexpected_write);
  EXPECT_TRUE(rig.sink_.wait_error("unexpected_write"));
}

TEST(RdmaIngest, WritePastASlotIsRefusedByTheRegionAndEndsTheConnection) {
  ReceiverRig rig;
  RawPeer peer(rig.transport_, rig.ingest_->port(), parameters());
  ASSERT_TRUE(peer.accepted());
  peer.send(RawPeer::frame(0, 0, 0));
  peer.write(0, kFrameBytes, rdma::pack_immediate(0, 0), 16);  // 16 bytes past the end of slot 0
  EXPECT_EQ(peer.wait_failure(), rdma::WorkStatus::remote_access_error);
  EXPECT_TRUE(rig.sink_.wait_error("remote access error"));
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_connection_errors, 1));
}

TEST(RdmaIngest, SlotStillHeldByTheEngineIsRefused) {
  ReceiverRig rig;
  RawPeer peer(rig.transport_, rig.ingest_->port(), parameters());
  ASSERT_TRUE(peer.accepted());
  peer.send(RawPeer::frame(0, 0, 0));
  peer.write(0, kFrameBytes, rdma::pack_immediate(0, 0));
  auto held = rig.pop();
  ASSERT_TRUE(held);
  peer.send(RawPeer::frame(0, 1, 1));  // slot 0 again, no credit came back
  const auto error = std::get<rdma::ErrorMessage>(peer.next_message());
  EXPECT_EQ(error.error, rdma::WireError::slot_busy);
  EXPECT_EQ(static_cast<const std::uint16_t*>(held->pixels())[0], 0);
}

TEST(RdmaIngest, QueuePairErrorIsReportedOnBothSidesAndTheNextSenderIsServed) {
  ReceiverRig rig;
  SenderPtr sender = rig.open();
  const tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  ASSERT_TRUE(rig.pop());
  rig.transport_.break_connections(rdma::WorkStatus::retry_exceeded);
  const auto pixels = frame_of(1);
  tl_status status = TL_OK;
  for (int i = 0; i < 3 && status == TL_OK; ++i) {  // the first send may be posted before the error is seen
    status = tl_send_projection(sender.get(), static_cast<std::uint64_t>(i), NAN, pixels.data(), kFrameBytes, 1000);
    if (status == TL_OK) status = tl_wait_released(sender.get(), static_cast<std::uint64_t>(i + 1), 1000);
  }
  EXPECT_EQ(status, TL_DISCONNECTED) << tl_last_error(sender.get());
  EXPECT_TRUE(rig.sink_.wait_error("queue pair error"));
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_connection_errors, 1));
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_senders_lost, 1));  // it was inside scan 1
  SenderPtr next = rig.open();
  const tl_scan scan2 = small_scan(2);
  EXPECT_EQ(tl_begin_scan(next.get(), &scan2, 1000), TL_OK);
}

TEST(RdmaIngest, SenderThatDiesMidScanIsCountedAndTheNextScanIsServed) {
  ReceiverRig rig;
  {
    SenderPtr sender = rig.open();
    const tl_scan scan = small_scan();
    ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
    const auto pixels = frame_of(1);
    ASSERT_EQ(tl_send_projection(sender.get(), 0, NAN, pixels.data(), kFrameBytes, 1000), TL_OK);
  }  // gone without end
  EXPECT_TRUE(ReceiverRig::wait_count(rig.counters_.rdma_senders_lost, 1));
  const auto event = rig.sink_.wait_error("went away during scan 1 after 1 frames");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->error->code, protocol::ErrorCode::transport_error);
  SenderPtr next = rig.open();
  const tl_scan scan = small_scan(2);
  ASSERT_EQ(tl_begin_scan(next.get(), &scan, 1000), TL_OK);
  EXPECT_EQ(tl_end_scan(next.get(), 1000), TL_OK);
  EXPECT_EQ(rig.counters_.rdma_senders_lost.load(), 1u);
}

TEST(RdmaIngest, ReceiverRestartEndsTheSenderClearlyAndANewReceiverServes) {
  rdma::FakeTransport transport;
  DaemonCounters counters;
  RecordingSink sink;
  EventReporter reporter(counters, sink);
  EngineInbox inbox(16, QueuePolicy::block, counters, {});
  auto ingest = std::make_unique<RdmaIngest>(transport, RdmaIngest::Options{"10.0.0.1", 7471, {}},
                                             allocate_plain_buffer, inbox, reporter, counters);
  tl_options options{};
  options.slot_bytes = kFrameBytes;
  tl_sender* raw = nullptr;
  ASSERT_EQ(send::open_sender("rdma://10.0.0.1:7471", &options, transport, &raw), TL_OK);
  SenderPtr sender(raw);
  ingest.reset();  // the daemon's receiver stops
  const tl_scan scan = small_scan();
  tl_status status = tl_begin_scan(sender.get(), &scan, 1000);
  if (status == TL_OK) status = tl_end_scan(sender.get(), 1000);
  EXPECT_TRUE(status == TL_RECEIVER_ERROR || status == TL_DISCONNECTED) << tl_status_name(status);
  EXPECT_NE(std::string(tl_last_error(sender.get())).find("shutting_down"), std::string::npos)
      << tl_last_error(sender.get());
  ingest = std::make_unique<RdmaIngest>(transport, RdmaIngest::Options{"10.0.0.1", 7471, {}}, allocate_plain_buffer,
                                        inbox, reporter, counters);
  ASSERT_EQ(send::open_sender("rdma://10.0.0.1:7471", &options, transport, &raw), TL_OK);
  SenderPtr again(raw);
  EXPECT_EQ(tl_begin_scan(again.get(), &scan, 1000), TL_OK);
}

TEST(RdmaSender, PeerThatStopsReturningCreditsMakesTheSenderTimeOutNeverOverwrite) {
  rdma::FakeTransport transport;
  const auto listener = transport.listen("10.0.0.2", 7000);
  std::vector<std::byte> ring(2 * kFrameBytes), receives(8 * 4096), sends(4096);
  std::unique_ptr<rdma::Connection> receiver;
  std::vector<std::unique_ptr<rdma::MemoryRegion>> regions;
  std::thread accepting([&] {
    receiver = listener->next_request(5s);
    ASSERT_TRUE(receiver);
    regions.push_back(receiver->register_memory(std::span(ring).first(kFrameBytes)));
    regions.push_back(receiver->register_memory(std::span(ring).subspan(kFrameBytes)));
    regions.push_back(receiver->register_memory(receives));
    regions.push_back(receiver->register_memory(sends));
    for (std::uint32_t i = 0; i < 8; ++i) {
      receiver->post_receive(i, *regions[2], std::span(receives).subspan(i * 4096, 4096));
    }
    receiver->accept(rdma::encode(rdma::AcceptParameters{rdma::kWireVersion, rdma::WireError::none, kFrameBytes, 2, 4096}), 1s);
    const auto message = rdma::encode(rdma::RingMessage{
        kFrameBytes, {{regions[0]->remote_address(), regions[0]->remote_key()},
                      {regions[1]->remote_address(), regions[1]->remote_key()}}});
    std::copy(message.begin(), message.end(), sends.begin());
    receiver->post_send(1, *regions[3], std::span(sends).first(message.size()));
  });
  tl_options options{};
  options.slot_bytes = kFrameBytes;
  options.slot_count = 2;
  tl_sender* raw = nullptr;
  ASSERT_EQ(send::open_sender("rdma://10.0.0.2:7000", &options, transport, &raw), TL_OK) << tl_open_error();
  accepting.join();
  SenderPtr sender(raw);
  const tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  const auto a = frame_of(1), b = frame_of(2), c = frame_of(3);
  ASSERT_EQ(tl_send_projection(sender.get(), 0, NAN, a.data(), kFrameBytes, 1000), TL_OK);
  ASSERT_EQ(tl_send_projection(sender.get(), 1, NAN, b.data(), kFrameBytes, 1000), TL_OK);
  EXPECT_EQ(tl_send_projection(sender.get(), 2, NAN, c.data(), kFrameBytes, 100), TL_TIMED_OUT);
  EXPECT_NE(std::string(tl_last_error(sender.get())).find("no credit came back"), std::string::npos);
  EXPECT_EQ(tl_frames_sent(sender.get()), 2u);
  // The receiver's slots hold frames 0 and 1, untouched by the refused third.
  EXPECT_EQ(std::to_integer<int>(ring[0]), 1);
  EXPECT_EQ(std::to_integer<int>(ring[kFrameBytes]), 2);
  sender.reset();
  regions.clear();
}

TEST(RdmaSender, CallsOutOfOrderAndBadArgumentsAreNamed) {
  ReceiverRig rig;
  SenderPtr sender = rig.open();
  const auto pixels = frame_of(1);
  EXPECT_EQ(tl_send_dark(sender.get(), 0, pixels.data(), kFrameBytes, 0), TL_BAD_STATE);
  EXPECT_EQ(tl_end_scan(sender.get(), 0), TL_BAD_STATE);
  tl_scan scan = small_scan();
  ASSERT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_OK);
  EXPECT_EQ(tl_begin_scan(sender.get(), &scan, 1000), TL_BAD_STATE);
  EXPECT_EQ(tl_send_dark(sender.get(), 0, pixels.data(), kFrameBytes - 2, 0), TL_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tl_last_error(sender.get())).find("frames of 256 bytes"), std::string::npos);
  tl_sender* none = nullptr;
  EXPECT_EQ(tl_open("udp://x:1", nullptr, &none), TL_INVALID_ARGUMENT);
  EXPECT_EQ(none, nullptr);
  EXPECT_NE(std::string(tl_open_error()).find("rdma://HOST:PORT or tcp://HOST:PORT"), std::string::npos);
}

}  // namespace
}  // namespace tomolive::daemon
