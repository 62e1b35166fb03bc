// ZmqPublisher: the PUB socket for programs. One thread sends events as they are posted and, when woken, the
// newest version of each slice from the SliceBoard. Slow subscribers get the newest slice, never a backlog: the
// board holds one version per slice and the socket's send high-water mark is small, so ZeroMQ drops for a
// subscriber that does not keep up. Events are queued (bounded; on overflow the oldest is dropped and counted).
//
// Message form (see PROTOCOL.md): slices are [topic "slice", header, float32 payload]; events [topic "event",
// header]. Thread-safe: post_event and notify_slices may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/slice_board.hpp"

namespace tomolive::daemon {

class ZmqPublisher : public EventSink {
 public:
  struct Options {
    std::string endpoint = "tcp://*:5556";
    int send_hwm = 16;                      // messages queued per subscriber before ZeroMQ drops for it
    std::size_t event_queue_capacity = 1024;
  };

  // Binds at once; throws zmq::error_t if the endpoint is unusable.
  ZmqPublisher(zmq::context_t& context, const Options& options, SliceBoard& board, DaemonCounters& counters);
  // Sends what is pending, then stops and joins.
  ~ZmqPublisher() override;
  ZmqPublisher(const ZmqPublisher&) = delete;
  ZmqPublisher& operator=(const ZmqPublisher&) = delete;

  void post_event(protocol::Event event) override;
  void notify_slices();
  void stop();
  const std::string& endpoint() const { return endpoint_; }

 private:
  void run(std::stop_token stop);
  void send_pending_events();
  void send_new_slices();

  zmq::socket_t socket_;
  std::string endpoint_;
  SliceBoard& board_;
  DaemonCounters& counters_;
  const std::size_t event_capacity_;

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<protocol::Event> events_;
  bool slices_changed_ = false;

  // Publisher-thread state.
  std::uint64_t sent_sequence_[3] = {0, 0, 0};
  SliceSnapshot scratch_;

  std::jthread thread_;  // last member
};

}  // namespace tomolive::daemon
