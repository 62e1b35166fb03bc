// The fake transport behaves as an RC queue pair: SENDs land in posted receives in order, writes land in registered
// memory and consume a receive with their immediate, a write outside a region breaks the connection on both sides,
// and a destroyed endpoint shows as a disconnect with flushed receives.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "tomolive/rdma/fake_transport.hpp"

namespace tomolive::rdma {
namespace {

using namespace std::chrono_literals;

struct Pair {
  FakeTransport transport;
  std::unique_ptr<Listener> listener = transport.listen("10.0.0.1", 0);
  std::unique_ptr<Connection> sender = transport.open("10.0.0.1", listener->port(), 1s);
  std::unique_ptr<Connection> receiver;
  std::vector<std::byte> receive_memory = std::vector<std::byte>(256);
  std::unique_ptr<MemoryRegion> receive_region;

  // Connects; the receiver posts one receive of 64 bytes first.
  void connect() {
    std::thread accepting([&] {
      receiver = listener->next_request(5s);
      ASSERT_TRUE(receiver);
      receive_region = receiver->register_memory(receive_memory);
      receiver->post_receive(1, *receive_region, std::span(receive_memory).first(64));
      receiver->accept({}, 1s);
    });
    const auto result = sender->connect(std::vector<std::byte>{std::byte{42}}, 5s);
    accepting.join();
    ASSERT_TRUE(result.accepted);
    EXPECT_EQ(receiver->request_parameters(), std::vector<std::byte>{std::byte{42}});
  }
};

Completion next(Connection& connection) {
  std::array<Completion, 1> out;
  EXPECT_EQ(connection.poll(out, 2s), 1u);
  return out[0];
}

TEST(FakeTransport, SendLandsInThePostedReceive) {
  Pair pair;
  pair.connect();
  std::vector<std::byte> message(10, std::byte{7});
  const auto region = pair.sender->register_memory(message);
  pair.sender->post_send(5, *region, message);
  const Completion received = next(*pair.receiver);
  EXPECT_EQ(received.op, Completion::Op::receive);
  EXPECT_EQ(received.work_id, 1u);
  EXPECT_EQ(received.byte_length, 10u);
  EXPECT_EQ(pair.receive_memory[9], std::byte{7});
  const Completion sent = next(*pair.sender);
  EXPECT_EQ(sent.op, Completion::Op::send);
  EXPECT_EQ(sent.status, WorkStatus::success);
}

TEST(FakeTransport, WriteWithImmediateLandsInTheRegionAndConsumesAReceive) {
  Pair pair;
  pair.connect();
  std::vector<std::byte> target(32);
  const auto target_region = pair.receiver->register_memory(target);
  std::vector<std::byte> data(8, std::byte{3});
  const auto source = pair.sender->register_memory(data);
  pair.sender->post_write_with_immediate(9, *source, data,
                                         {target_region->remote_address() + 4, target_region->remote_key()}, 0xABCD);
  const Completion received = next(*pair.receiver);
  EXPECT_EQ(received.op, Completion::Op::receive_write_immediate);
  EXPECT_EQ(received.immediate, 0xABCDu);
  EXPECT_EQ(received.byte_length, 8u);
  EXPECT_EQ(target[4], std::byte{3});
  EXPECT_EQ(target[11], std::byte{3});
  EXPECT_EQ(target[12], std::byte{0});
}

TEST(FakeTransport, WriteOutsideTheRegionBreaksBothSides) {
  Pair pair;
  pair.connect();
  std::vector<std::byte> target(32);
  const auto target_region = pair.receiver->register_memory(target);
  std::vector<std::byte> data(8);
  const auto source = pair.sender->register_memory(data);
  pair.sender->post_write_with_immediate(9, *source, data,
                                         {target_region->remote_address() + 30, target_region->remote_key()}, 0);
  EXPECT_EQ(next(*pair.sender).status, WorkStatus::remote_access_error);
  EXPECT_EQ(next(*pair.receiver).status, WorkStatus::remote_access_error);
  EXPECT_EQ(target[30], std::byte{0});  // nothing was written
}

TEST(FakeTransport, DestroyedPeerIsADisconnectWithFlushedReceives) {
  Pair pair;
  pair.connect();
  pair.sender.reset();
  const Completion flushed = next(*pair.receiver);
  EXPECT_EQ(flushed.status, WorkStatus::flushed);
  EXPECT_TRUE(pair.receiver->disconnected());
}

TEST(FakeTransport, RejectionCarriesTheReply) {
  FakeTransport transport;
  const auto listener = transport.listen("10.0.0.1", 7471);
  const auto sender = transport.open("10.0.0.1", 7471, 1s);
  std::thread rejecting([&] {
    const auto request = listener->next_request(5s);
    ASSERT_TRUE(request);
    request->reject(std::vector<std::byte>{std::byte{1}, std::byte{2}});
  });
  const auto result = sender->connect({}, 5s);
  rejecting.join();
  EXPECT_FALSE(result.accepted);
  EXPECT_EQ(result.reply.size(), 2u);
}

TEST(FakeTransport, NoListenerIsAConnectError) {
  FakeTransport transport;
  const auto sender = transport.open("10.0.0.9", 1, 1s);
  EXPECT_THROW(sender->connect({}, 100ms), TransportError);
}

}  // namespace
}  // namespace tomolive::rdma
