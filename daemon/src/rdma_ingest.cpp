#include "tomolive/daemon/rdma_ingest.hpp"

#include <spdlog/spdlog.h>

#include "tomolive/daemon/thread_name.hpp"

namespace tomolive::daemon {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};  // how often the listener checks for a stop request

}  // namespace

RdmaIngest::RdmaIngest(rdma::Transport& transport, const Options& options, FrameBufferPool::Allocator allocate,
                       EngineInbox& inbox, EventReporter& reporter, DaemonCounters& counters)
    : options_(options), allocate_(std::move(allocate)), inbox_(inbox), reporter_(reporter), counters_(counters),
      listener_(transport.listen(options.address, options.port)) {
  thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("rdma-cm");
    run(std::move(stop));
  });
}

RdmaIngest::~RdmaIngest() { stop(); }

void RdmaIngest::stop() {
  thread_.request_stop();
  listener_->wake();
  if (thread_.joinable()) thread_.join();
  for (Connection& connection : serving_) connection.thread.request_stop();
  serving_.clear();  // joins
}

std::string RdmaIngest::endpoint() const {
  return options_.address + ":" + std::to_string(listener_->port()) + " on " + listener_->device_name();
}

void RdmaIngest::run(std::stop_token stop) {
  std::size_t accepted = 0;  // senders served so far: names their threads rdma-recv/<k>
  while (!stop.stop_requested()) {
    std::unique_ptr<rdma::Connection> request;
    try {
      request = listener_->next_request(kPollInterval);
    } catch (const rdma::TransportError& e) {
      spdlog::error("RDMA listener {}: {}", endpoint(), e.what());
      return;
    }
    reap_ended();
    if (!request) continue;
    Connection& connection = serving_.emplace_back();
    connections_.fetch_add(1, std::memory_order_relaxed);
    auto receiver = std::make_shared<RdmaReceiver>(std::move(request), options_.limits, allocate_, inbox_, reporter_,
                                                   counters_);
    connection.thread = std::jthread([this, receiver, &connection, name = indexed_thread_name("rdma-recv", accepted++)](
                                         std::stop_token connection_stop) {
      name_this_thread(name);
      receiver->serve(std::move(connection_stop));
      connections_.fetch_sub(1, std::memory_order_relaxed);
      connection.done.store(true, std::memory_order_release);
    });
  }
}

void RdmaIngest::reap_ended() {
  serving_.remove_if([](const Connection& connection) { return connection.done.load(std::memory_order_acquire); });
}

}  // namespace tomolive::daemon
