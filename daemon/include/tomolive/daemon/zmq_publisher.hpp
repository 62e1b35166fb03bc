// ZmqPublisher: the two PUB sockets for programs, one for slices and one for events, served by one thread that
// sends events as they are posted and, when woken, the newest version of each slice from the SliceBoard.
//
// Slow subscribers never cause a growing queue: the board holds one version per slice, slices are published at most
// --publish-hz times per second, and the slice socket's send high-water mark is small, so ZeroMQ drops slices for a
// subscriber that does not keep up (it then misses versions; get_slice always returns the newest). Events
// are small and must not be lost in a burst of rejections, so they have their own socket with a large high-water
// mark; before the socket they wait in a bounded queue (on overflow the oldest is dropped and counted).
// A subscriber may connect one SUB socket to both endpoints; the topic part tells the messages apart.
//
// Message form (see PROTOCOL.md): slices are [topic "slice", header, float32 payload]; events [topic "event",
// header]. Thread-safe: post_event and notify_slices may be called from any thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/output_fanout.hpp"
#include "tomolive/daemon/latency_recorder.hpp"
#include "tomolive/daemon/log_limiter.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/daemon/socket_security.hpp"

namespace tomolive::daemon {

class ZmqPublisher : public DaemonOutput {
 public:
  struct Options {
    std::string slices_endpoint = "tcp://127.0.0.1:5556";
    std::string events_endpoint = "tcp://127.0.0.1:5558";
    SocketSecurity security;  // applied to both sockets before they bind
    int slice_send_hwm = 16;       // slice messages queued per subscriber; beyond, ZeroMQ drops new ones for it
    int event_send_hwm = 100000;   // event messages (a few hundred bytes each) queued per subscriber
    std::size_t event_queue_capacity = 100000;
  };

  // Binds both sockets at once; throws zmq::error_t if an endpoint is unusable.
  ZmqPublisher(zmq::context_t& context, const Options& options, SliceBoard& board, DaemonCounters& counters);
  // Sends what is pending, then stops and joins.
  ~ZmqPublisher() override;
  ZmqPublisher(const ZmqPublisher&) = delete;
  ZmqPublisher& operator=(const ZmqPublisher&) = delete;

  void post_event(protocol::Event event) override;
  void notify_slices() override;
  void stop();
  // Projection received -> its slices published, for every newly received projection's slices (not recomputes),
  // over the current scan (the statistics restart with each scan).
  LatencyRecorder::Summary publish_latency() const { return latency_.summary(); }
  // Every T4 latency since start, in seconds (/metrics).
  prometheus::ClientMetric publish_latency_histogram() const { return latency_.histogram(); }
  // Endpoints as bound (ports resolved).
  const std::string& slices_endpoint() const { return slices_endpoint_; }
  const std::string& events_endpoint() const { return events_endpoint_; }

 private:
  void run(std::stop_token stop);
  void send_pending_events();
  void send_new_slices();

  zmq::socket_t slice_socket_;
  zmq::socket_t event_socket_;
  std::string slices_endpoint_;
  std::string events_endpoint_;
  SliceBoard& board_;
  DaemonCounters& counters_;
  const std::size_t event_capacity_;

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<protocol::Event> events_;
  bool slices_changed_ = false;

  LatencyRecorder latency_;
  LogLimiter log_limiter_;  // events dropped: one line per burst

  // Publisher-thread state.
  std::array<std::uint64_t, protocol::kSliceKinds.size()> sent_sequence_{};
  std::int64_t newest_published_received_ns_ = 0;  // received_ns of the newest projection already measured
  std::uint64_t latency_scan_id_ = 0;               // the scan the latency statistics belong to

  std::jthread thread_;  // last member
};

}  // namespace tomolive::daemon
