// The native ZeroMQ path of the sender library: a PUSH socket connected to the daemon's --data endpoint; a frame is
// two parts, its msgpack header and its pixels (PROTOCOL.md 3). Back-pressure is the socket's high-water mark.
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <set>

#include <zmq.hpp>

#include "channel.hpp"

namespace tomolive::send {
namespace {

// Frames lent to ZeroMQ without a copy, until its I/O thread has sent them. Thread-safe; outlives the context.
class LentFrames {
 public:
  void lend(std::uint64_t ticket) {
    std::lock_guard lock(mutex_);
    lent_.insert(ticket);
  }
  static void release(void*, void* hint) {
    auto* entry = static_cast<Entry*>(hint);
    {
      std::lock_guard lock(entry->frames->mutex_);
      entry->frames->lent_.erase(entry->ticket);
    }
    entry->frames->returned_.notify_all();
    delete entry;
  }
  struct Entry {
    LentFrames* frames;
    std::uint64_t ticket;
  };
  bool wait(std::optional<std::uint64_t> ticket, const Deadline& deadline) {
    std::unique_lock lock(mutex_);
    const auto done = [&] { return ticket ? !lent_.contains(*ticket) : lent_.empty(); };
    if (!deadline) {
      returned_.wait(lock, done);
      return true;
    }
    return returned_.wait_until(lock, *deadline, done);
  }

 private:
  std::mutex mutex_;
  std::condition_variable returned_;
  std::set<std::uint64_t> lent_;
};

class ZmqChannel : public Channel {
 public:
  ZmqChannel(const std::string& endpoint, const ResolvedOptions& options)
      : context_(1), socket_(context_, zmq::socket_type::push) {
    socket_.set(zmq::sockopt::sndhwm, options.queue_frames);
    socket_.set(zmq::sockopt::linger, -1);
    socket_.connect(endpoint);
  }
  ~ZmqChannel() override {
    socket_.close();
    context_.close();  // delivers what is queued (linger -1), so lent frames are released before lent_ goes
  }

  Outcome send_header(std::span<const std::byte> header, Deadline deadline) override {
    zmq::message_t part(header.data(), header.size());
    return send_part(part, false, deadline);
  }

  Outcome send_frame(std::span<const std::byte> header, const FramePayload& payload, std::uint64_t ticket,
                     Deadline deadline) override {
    zmq::message_t head(header.data(), header.size());
    if (Outcome outcome = send_part(head, true, deadline); !outcome) return outcome;
    zmq::message_t pixels;
    if (payload.registered) {
      lent_.lend(ticket);
      pixels = zmq::message_t(const_cast<std::byte*>(payload.bytes.data()), payload.bytes.size(),
                              &LentFrames::release, new LentFrames::Entry{&lent_, ticket});
    } else {
      pixels = zmq::message_t(payload.bytes.data(), payload.bytes.size());
    }
    // Once the first part is queued the rest of the message never blocks (ZeroMQ queues messages whole).
    return send_part(pixels, false, std::nullopt);
  }

  Outcome register_buffer(std::span<std::byte>, std::uint32_t) override { return Outcome::ok(); }

  Outcome wait_released(std::optional<std::uint64_t> ticket, Deadline deadline) override {
    if (lent_.wait(ticket, deadline)) return Outcome::ok();
    return {TL_TIMED_OUT, "ZeroMQ has not sent the frame yet (the daemon is not reading)"};
  }

  std::uint64_t backpressure_waits() const override { return waits_; }

 private:
  Outcome send_part(zmq::message_t& part, bool more, const Deadline& deadline) {
    const auto flags = more ? zmq::send_flags::sndmore : zmq::send_flags::none;
    if (socket_.send(part, flags | zmq::send_flags::dontwait)) return Outcome::ok();
    ++waits_;
    for (;;) {
      int timeout_ms = -1;
      if (deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline -
                                                                                std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          return {TL_WOULD_BLOCK,
                  "the ZeroMQ queue is full (high-water mark reached: the daemon is not keeping up)"};
        }
        timeout_ms = static_cast<int>(left.count());
      }
      socket_.set(zmq::sockopt::sndtimeo, timeout_ms);
      try {
        if (socket_.send(part, flags)) return Outcome::ok();
      } catch (const zmq::error_t& error) {
        if (error.num() != EINTR) return {TL_INTERNAL, std::string("zmq send: ") + error.what()};
        continue;
      }
      return {TL_TIMED_OUT, "the ZeroMQ queue stayed full until the timeout (the daemon is not keeping up)"};
    }
  }

  LentFrames lent_;  // before the context: destroyed after it
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::uint64_t waits_ = 0;
};

}  // namespace

std::unique_ptr<Channel> make_zmq_channel(const std::string& endpoint, const ResolvedOptions& options,
                                          Outcome& outcome) {
  try {
    return std::make_unique<ZmqChannel>(endpoint, options);
  } catch (const zmq::error_t& error) {
    outcome = {TL_CONNECT_FAILED, "cannot connect to " + endpoint + ": " + error.what()};
    return nullptr;
  }
}

}  // namespace tomolive::send
