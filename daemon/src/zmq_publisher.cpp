#include "tomolive/daemon/zmq_publisher.hpp"

#include <algorithm>
#include <memory>

#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/protocol/clock.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

zmq::message_t to_message(const protocol::Bytes& bytes) { return zmq::message_t(bytes.data(), bytes.size()); }

zmq::message_t topic(std::string_view name) { return zmq::message_t(name.data(), name.size()); }

// The values of a slice version as a message part, without copying them: the message holds the version until
// ZeroMQ has sent it.
zmq::message_t values_message(const SliceBoard::Version& version) {
  auto holder = std::make_unique<SliceBoard::Version>(version);
  const std::vector<float>& values = version->values;
  zmq::message_t message(const_cast<float*>(values.data()), values.size() * sizeof(float),
                         [](void*, void* hint) { delete static_cast<SliceBoard::Version*>(hint); }, holder.get());
  holder.release();  // now owned by the message
  return message;
}

}  // namespace

ZmqPublisher::ZmqPublisher(zmq::context_t& context, const Options& options, SliceBoard& board,
                           DaemonCounters& counters)
    : slice_socket_(context, zmq::socket_type::pub), event_socket_(context, zmq::socket_type::pub), board_(board),
      counters_(counters), event_capacity_(options.event_queue_capacity) {
  constexpr int kLingerMs = 200;  // to flush the last messages at shutdown
  slice_socket_.set(zmq::sockopt::sndhwm, options.slice_send_hwm);
  slice_socket_.set(zmq::sockopt::linger, kLingerMs);
  options.security.apply(slice_socket_);
  slice_socket_.bind(options.slices_endpoint);
  slices_endpoint_ = slice_socket_.get(zmq::sockopt::last_endpoint);
  event_socket_.set(zmq::sockopt::sndhwm, options.event_send_hwm);
  event_socket_.set(zmq::sockopt::linger, kLingerMs);
  options.security.apply(event_socket_);
  event_socket_.bind(options.events_endpoint);
  events_endpoint_ = event_socket_.get(zmq::sockopt::last_endpoint);
  thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("publisher");
    run(std::move(stop));
  });
}

ZmqPublisher::~ZmqPublisher() { stop(); }

void ZmqPublisher::stop() {
  thread_.request_stop();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ZmqPublisher::post_event(protocol::Event event) {
  bool dropped = false;
  {
    std::lock_guard lock(mutex_);
    if (events_.size() >= event_capacity_) {
      events_.pop_front();
      bump(counters_.events_dropped);
      dropped = true;
    }
    events_.push_back(std::move(event));
  }
  wake_.notify_one();
  if (dropped) {
    log_limiter_.log(spdlog::level::warn, "events_dropped", LogFields{"slow_consumer", std::nullopt},
                     "events socket: the oldest queued event dropped, " + std::to_string(event_capacity_) +
                         " were waiting to be sent");
  }
}

void ZmqPublisher::notify_slices() {
  {
    std::lock_guard lock(mutex_);
    slices_changed_ = true;
  }
  wake_.notify_one();
}

void ZmqPublisher::run(std::stop_token stop) {
  for (;;) {
    bool slices_changed = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, stop, [&] { return !events_.empty() || slices_changed_; });
      slices_changed = slices_changed_;
      slices_changed_ = false;
    }
    send_pending_events();
    if (slices_changed) send_new_slices();
    if (stop.stop_requested()) {
      // Final flush: whatever the engine published while we were stopping.
      send_pending_events();
      send_new_slices();
      return;
    }
  }
}

void ZmqPublisher::send_pending_events() {
  std::deque<protocol::Event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(events_);
  }
  for (const protocol::Event& event : events) {
    event_socket_.send(topic(protocol::kEventTopic), zmq::send_flags::sndmore);
    event_socket_.send(to_message(protocol::encode(event)), zmq::send_flags::none);
    bump(counters_.events_published);
  }
}

void ZmqPublisher::send_new_slices() {
  std::int64_t newest_received_ns = 0;
  for (const protocol::SliceKind kind : protocol::kSliceKinds) {
    auto& sent = sent_sequence_[static_cast<std::size_t>(kind)];
    const SliceBoard::Version version = board_.latest(kind);
    if (!version || version->header.sequence <= sent) continue;
    sent = version->header.sequence;
    if (version->header.scan_id != latency_scan_id_) {
      latency_scan_id_ = version->header.scan_id;
      latency_.clear();
    }
    protocol::SliceUpdate header = version->header;
    header.published_ns = protocol::unix_time_ns();
    slice_socket_.send(topic(protocol::kSliceTopic), zmq::send_flags::sndmore);
    slice_socket_.send(to_message(protocol::encode(header)), zmq::send_flags::sndmore);
    slice_socket_.send(values_message(version), zmq::send_flags::none);
    bump(counters_.slices_published);
    newest_received_ns = std::max(newest_received_ns, header.received_ns);
  }
  // The three slices of a snapshot share received_ns; measure once, when the last of them has gone out.
  if (newest_received_ns > newest_published_received_ns_) {
    newest_published_received_ns_ = newest_received_ns;
    latency_.add(static_cast<double>(protocol::unix_time_ns() - newest_received_ns) * 1e-3);
  }
}

}  // namespace tomolive::daemon
