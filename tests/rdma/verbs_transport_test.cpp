// The verbs transport against the machine's real RDMA stack (ctest label "rdma"). Without a device: --rdma fails at
// start with "no RDMA device found" and what was looked for. With one: a loopback connection through rdma_cm moves
// a SEND and a write-with-immediate (needs an RDMA-capable interface with an IP address, TOMOLIVE_RDMA_ADDRESS).
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <thread>

#include "tomolive/daemon/daemon.hpp"
#include "tomolive/rdma/verbs_transport.hpp"

namespace tomolive::rdma {
namespace {

using namespace std::chrono_literals;

TEST(VerbsTransport, WithoutADeviceListenFailsNamingWhatWasLookedFor) {
  if (!list_rdma_devices().empty()) GTEST_SKIP() << "this machine has an RDMA device";
  VerbsTransport transport;
  try {
    transport.listen("0.0.0.0", 7471);
    FAIL() << "listen succeeded without a device";
  } catch (const TransportError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no RDMA device found"), std::string::npos) << what;
    EXPECT_NE(what.find("ibv_get_device_list"), std::string::npos) << what;
    EXPECT_NE(what.find("/sys/class/infiniband"), std::string::npos) << what;
  }
}

TEST(VerbsTransport, DaemonWithRdmaFailsAtStartWithoutADevice) {
  if (!list_rdma_devices().empty()) GTEST_SKIP() << "this machine has an RDMA device";
  daemon::DaemonConfig config;
  config.data_endpoints = {"tcp://127.0.0.1:*"};
  config.slices_endpoint = config.events_endpoint = config.control_endpoint = "tcp://127.0.0.1:*";
  config.http_enabled = false;
  config.engine.choice = daemon::EngineChoice::cpu;
  config.status_interval_s = 0;
  config.rdma_endpoints = {"127.0.0.1:7471"};
  try {
    daemon::Daemon daemon(config);
    FAIL() << "the daemon started with --rdma and no device";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("no RDMA device found"), std::string::npos) << e.what();
  }
}

TEST(VerbsTransport, LoopbackSendAndWriteWithImmediate) {
  const auto devices = list_rdma_devices();
  if (devices.empty()) GTEST_SKIP() << "no RDMA device (ibv_get_device_list lists none)";
  const char* address = std::getenv("TOMOLIVE_RDMA_ADDRESS");
  if (!address) GTEST_SKIP() << "set TOMOLIVE_RDMA_ADDRESS to an IP address of an RDMA interface (devices: "
                             << devices.front() << ")";
  VerbsTransport transport;
  const auto listener = transport.listen(address, 0);
  std::vector<std::byte> receive(4096), target(4096);
  std::unique_ptr<Connection> receiver;
  std::unique_ptr<MemoryRegion> receive_region, target_region;
  std::thread accepting([&] {
    receiver = listener->next_request(5s);
    ASSERT_TRUE(receiver);
    receive_region = receiver->register_memory(receive);
    target_region = receiver->register_memory(target);
    receiver->post_receive(1, *receive_region, std::span(receive).first(2048));
    receiver->post_receive(2, *receive_region, std::span(receive).subspan(2048));
    receiver->accept({}, 5s);
  });
  const auto sender = transport.open(address, listener->port(), 5s);
  std::vector<std::byte> data(64, std::byte{9});
  const auto source = sender->register_memory(data);
  ASSERT_TRUE(sender->connect({}, 5s).accepted);
  accepting.join();
  sender->post_send(1, *source, std::span(data).first(16));
  sender->post_write_with_immediate(2, *source, data, {target_region->remote_address(), target_region->remote_key()},
                                    77);
  std::array<Completion, 4> out;
  std::size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::vector<Completion> seen;
  while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    got = receiver->poll(out, 100ms);
    seen.insert(seen.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(got));
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].op, Completion::Op::receive);
  EXPECT_EQ(seen[0].byte_length, 16u);
  EXPECT_EQ(seen[1].op, Completion::Op::receive_write_immediate);
  EXPECT_EQ(seen[1].immediate, 77u);
  EXPECT_EQ(target[63], std::byte{9});
  receive_region.reset();
  target_region.reset();
}

}  // namespace
}  // namespace tomolive::rdma
