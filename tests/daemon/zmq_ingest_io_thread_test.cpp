// ZmqIngest::Options::io_thread: which ZeroMQ I/O thread reads a data socket's connection, observed through the
// kernel (io_thread_probe.hpp).
#include "tomolive/daemon/zmq_ingest.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "captured_log.hpp"
#include "io_thread_probe.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_decode_pool.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

TEST(ZmqIngestIoThread, ConnectingDataSocketsAreReadByTheIoThreadsTheyAreGiven) {
  constexpr int kSockets = 2;
  zmq::context_t context(kSockets);  // the daemon's: one I/O thread per data socket
  DaemonCounters counters;
  testing::NullEventSink sink;
  EventReporter reporter(counters, sink);
  EngineInbox inbox(16, QueuePolicy::block, counters, {});
  FrameDecodePool decoders(1);
  ScanPlanBoard plans;
  const ZmqIngest::Sinks sinks{inbox, reporter, counters, nullptr, decoders, plans};

  zmq::context_t detector(1);
  std::vector<zmq::socket_t> pushes;
  std::vector<std::unique_ptr<ZmqIngest>> ingests;
  std::set<int> ports;
  for (int k = 0; k < kSockets; ++k) {
    pushes.emplace_back(detector, zmq::socket_type::push);
    pushes.back().set(zmq::sockopt::linger, 0);
    pushes.back().bind("tcp://127.0.0.1:*");
    const std::string endpoint = pushes.back().get(zmq::sockopt::last_endpoint);
    ports.insert(testing::endpoint_port(endpoint));
    ZmqIngest::Options options;
    options.endpoint = endpoint;
    options.connect = true;
    options.io_thread = static_cast<unsigned>(k);
    ingests.push_back(std::make_unique<ZmqIngest>(context, options, sinks));
  }
  // A message through each (refused: it is no data message) shows that its connection is up and polled.
  for (auto& push : pushes) push.send(zmq::str_buffer("not a data message"), zmq::send_flags::none);
  for (const auto& ingest : ingests) {
    for (int i = 0; i < 1000 && ingest->status().messages == 0; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(ingest->status().messages, 1u);
  }

  const std::map<int, std::set<int>> epolls = testing::epolls_by_port(ports, testing::ConnectionEnd::peer);
  ASSERT_EQ(epolls.size(), ports.size()) << "each data connection is polled by an I/O thread";
  std::set<int> io_threads;
  for (const auto& [port, polling] : epolls) {
    ASSERT_EQ(polling.size(), 1u) << "port " << port;
    io_threads.insert(*polling.begin());
  }
  EXPECT_EQ(io_threads.size(), ports.size()) << "every data socket has an I/O thread of its own";
  for (auto& ingest : ingests) ingest->stop();
}

}  // namespace
}  // namespace tomolive::daemon
