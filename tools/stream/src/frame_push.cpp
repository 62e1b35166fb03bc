#include "tomolive/stream/frame_push.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <utility>

namespace tomolive::stream {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(100);  // how soon a stop request is noticed while waiting
constexpr std::size_t kQueueBytes = std::size_t{512} << 20;     // frames ZeroMQ may queue (the send high-water mark)

volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void request_stop(int) { g_stop_requested = 1; }

}  // namespace

bool stop_requested() { return g_stop_requested != 0; }

// The handler resets to the default action (SA_RESETHAND), so a second signal aborts.
void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int send_queue_frames(std::size_t frame_bytes) {
  return static_cast<int>(std::clamp<std::size_t>(kQueueBytes / std::max<std::size_t>(frame_bytes, 1), 4, 1000));
}

zmq::socket_t open_push_socket(zmq::context_t& context, const std::string& endpoint, bool bind,
                               std::size_t frame_bytes) {
  zmq::socket_t socket(context, zmq::socket_type::push);
  socket.set(zmq::sockopt::linger, -1);
  socket.set(zmq::sockopt::sndhwm, send_queue_frames(frame_bytes));
  socket.set(zmq::sockopt::sndtimeo, static_cast<int>(kPollInterval.count()));
  try {
    if (bind) {
      socket.bind(endpoint);
    } else {
      socket.connect(endpoint);
    }
  } catch (const zmq::error_t& error) {
    throw std::runtime_error(std::string("cannot ") + (bind ? "bind " : "connect to ") + endpoint + ": " +
                             error.what());
  }
  return socket;
}

zmq::message_t header_message(const protocol::Bytes& bytes) { return zmq::message_t(bytes.data(), bytes.size()); }

bool Sender::send(zmq::message_t& part, bool more, bool interruptible) {
  const auto flags = more ? zmq::send_flags::sndmore : zmq::send_flags::none;
  while (true) {
    if (interruptible && stop_requested()) return false;
    try {
      if (socket_.send(part, flags)) return true;
    } catch (const zmq::error_t& error) {
      if (error.num() != EINTR) throw;
    }
  }
}

Pacer::Pacer(double frames_per_second) : rate_(frames_per_second), start_(Clock::now()) {}

bool Pacer::wait_for(std::size_t index) const {
  if (rate_ <= 0.0) return !stop_requested();
  const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(static_cast<double>(index) / rate_));
  while (!stop_requested()) {
    const auto now = Clock::now();
    if (now >= due) return true;
    std::this_thread::sleep_until(std::min(due, now + kPollInterval));
  }
  return false;
}

Progress::Progress(std::string program, std::uint64_t scan_id, std::size_t total, bool quiet)
    : program_(std::move(program)), scan_id_(scan_id), total_(total), quiet_(quiet), start_(Clock::now()),
      last_(start_) {}

void Progress::frame_sent(std::size_t bytes) {
  ++frames_;
  bytes_ += bytes;
  const auto now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  if (quiet_ || seconds < 1.0) return;
  std::fprintf(stderr, "%s: scan %llu: %zu/%zu frames sent, %.1f frames/s, %.1f MB/s\n", program_.c_str(),
               static_cast<unsigned long long>(scan_id_), frames_, total_,
               static_cast<double>(frames_ - last_frames_) / seconds,
               static_cast<double>(bytes_ - last_bytes_) / seconds * 1e-6);
  last_ = now;
  last_frames_ = frames_;
  last_bytes_ = bytes_;
}

void Progress::finish(bool complete) const {
  if (quiet_ && complete) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(stderr, "%s: scan %llu: %s after %zu/%zu frames in %.2f s (%.1f frames/s, %.1f MB/s)\n",
               program_.c_str(), static_cast<unsigned long long>(scan_id_),
               complete ? "end sent" : "interrupted, end sent", frames_, total_, seconds,
               static_cast<double>(frames_) / seconds, static_cast<double>(bytes_) / seconds * 1e-6);
}

}  // namespace tomolive::stream
