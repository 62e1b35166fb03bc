// How the tools send a scan to the daemon over the native protocol, as a detector would (PROTOCOL.md 5): a PUSH
// socket that lingers without limit (every queued frame reaches the daemon before the program exits), a sender that
// notices a stop request (Ctrl-C / SIGTERM) while the peer is absent or slow, a pacer on an absolute schedule, and
// one progress line per second on stderr. Shared by tomolive-sim, tomolive-replay and tomolive-send.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <zmq.hpp>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::stream {

inline constexpr int kExitInterrupted = 130;

// The first SIGINT/SIGTERM asks to stop (stop_requested() turns true); a second one aborts at once.
void install_stop_handlers();
bool stop_requested();

// The send high-water mark, in messages, that queues about 512 MB of frames of `frame_bytes` (4 to 1000): what
// the tools' PUSH sockets use, and what tomolive-send gives the sender library.
int send_queue_frames(std::size_t frame_bytes);

// A PUSH socket connected to `endpoint`, or bound to it when `bind`, with a send high-water mark of
// send_queue_frames(frame_bytes). Throws std::runtime_error naming the endpoint when it cannot connect or bind.
zmq::socket_t open_push_socket(zmq::context_t& context, const std::string& endpoint, bool bind,
                               std::size_t frame_bytes);

// A message holding a copy of an encoded header.
zmq::message_t header_message(const protocol::Bytes& bytes);

// Sends on a PUSH socket with a short send timeout, so that a stop request is noticed while the peer is absent or
// slow. ZeroMQ delivers a multipart message whole or not at all; once its first part is queued, the rest never blocks.
class Sender {
 public:
  explicit Sender(zmq::socket_t& socket) : socket_(socket) {}

  // Sends one part. With `interruptible`, gives up (returns false, nothing sent) when a stop is requested while
  // waiting; otherwise waits until the part is queued.
  bool send(zmq::message_t& part, bool more, bool interruptible);

 private:
  zmq::socket_t& socket_;
};

// Paces frames on an absolute schedule: frame i is due at start + i / rate (so the rate does not drift).
class Pacer {
 public:
  // `frames_per_second` <= 0: as fast as possible.
  explicit Pacer(double frames_per_second);

  // Waits until frame `index` is due; returns false if a stop was requested meanwhile.
  bool wait_for(std::size_t index) const;

 private:
  double rate_;
  std::chrono::steady_clock::time_point start_;
};

// One line per second on stderr ("<program>: scan <id>: <n>/<total> frames sent, <rate> frames/s, <MB/s>"), and a
// summary at the end.
class Progress {
 public:
  Progress(std::string program, std::uint64_t scan_id, std::size_t total, bool quiet);

  void frame_sent(std::size_t bytes);
  std::size_t frames() const { return frames_; }
  // `complete`: every frame was sent (else: interrupted); quiet and complete prints nothing.
  void finish(bool complete) const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string program_;
  std::uint64_t scan_id_;
  std::size_t total_;
  bool quiet_;
  Clock::time_point start_, last_;
  std::size_t frames_ = 0, bytes_ = 0, last_frames_ = 0, last_bytes_ = 0;
};

}  // namespace tomolive::stream
