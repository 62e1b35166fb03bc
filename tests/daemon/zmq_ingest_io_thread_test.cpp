// ZmqIngest::Options::io_thread: which ZeroMQ I/O thread reads a data socket's connection, observed through the
// kernel: each I/O thread polls its connections with an epoll instance of its own, whose registered descriptors
// /proc/self/fdinfo lists ("tfd:" lines).
#include "tomolive/daemon/zmq_ingest.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "captured_log.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_decode_pool.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

// The TCP port a socket descriptor is connected to, or 0.
int peer_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  return 0;
}

// For each peer port in `ports`: the epoll descriptors of this process that poll a connection to it.
std::map<int, std::set<int>> epolls_by_peer_port(const std::set<int>& ports) {
  std::map<int, std::set<int>> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(entry.path(), error);
    if (error || target.string() != "anon_inode:[eventpoll]") continue;
    const int epoll = std::stoi(entry.path().filename().string());
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(epoll));
    for (std::string line; std::getline(info, line);) {
      std::istringstream fields(line);
      std::string key;
      int fd = -1;
      if (!(fields >> key >> fd) || key != "tfd:") continue;
      if (const int port = peer_port(fd); ports.contains(port)) found[port].insert(epoll);
    }
  }
  return found;
}

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
    ports.insert(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
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

  const std::map<int, std::set<int>> epolls = epolls_by_peer_port(ports);
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
