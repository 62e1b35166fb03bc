// EngineInbox: the bounded queue between the ingest threads and the engine thread, plus an unbounded lane for
// control commands, which the engine thread always serves first (a user's click never waits behind a full queue).
//
// Data items are bounded by `capacity`. When full, the policy decides: `block` makes the ingest thread wait (the
// backpressure reaches the detector's PUSH socket; nothing is lost), `drop_oldest` drops the oldest queued
// *projection* and reports it through on_drop (counted in queue_dropped). Darks, flats, begins and ends are never
// dropped: when the full queue holds no projection, drop_oldest waits as block does. Every wait is counted in
// queue_full_waits.
// Thread-safe: any number of producers, one consumer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <variant>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/ingest_item.hpp"
#include "tomolive/daemon/log_limiter.hpp"

namespace tomolive::daemon {

enum class QueuePolicy { block, drop_oldest };

// A control command run on the engine thread; its future carries the reply.
using EngineCommand = std::packaged_task<protocol::Reply()>;

class EngineInbox {
 public:
  struct TimedOut {};
  struct Closed {};  // close() was called and every data item has been handed out
  using Next = std::variant<TimedOut, Closed, EngineCommand, IngestItem>;

  EngineInbox(std::size_t capacity, QueuePolicy policy, DaemonCounters& counters,
              std::function<void(const IngestItem&)> on_drop);

  // Ingest side. Returns false when the inbox is closed (the item is discarded: the daemon is shutting down).
  bool push_data(IngestItem item);
  // Control side. Commands posted after close() are answered by the engine thread's final drain or destroyed
  // (their future then reports a broken promise); commands posted after refuse_commands() are destroyed at once.
  void push_command(EngineCommand command);
  // Shutdown: the queued commands and every later one are destroyed instead of run, so their callers get a broken
  // promise at once and never wait for viewers' work (a command already running on the engine thread finishes).
  // Data is not affected: close() still lets the engine drain what is queued.
  void refuse_commands();

  // Engine side: the next command, else the next data item, waiting at most `timeout`.
  Next pop(std::chrono::steady_clock::duration timeout);

  // No more data will be accepted; pop() hands out what is queued, then Closed.
  void close();

  // The scan id of the first queued begin whose scan id is not `scan_id`, if any (the engine thread asks while it
  // computes a full volume, which gives way to the next scan).
  std::optional<std::uint64_t> pending_begin_other_than(std::uint64_t scan_id) const;

  std::size_t depth() const;
  std::size_t capacity() const { return capacity_; }

  // Data items queued now and every item (command or data) handed to the engine so far, read together: what the
  // service watchdog looks at to tell a busy engine from a stuck one (EngineStallCheck).
  struct Progress {
    std::size_t depth = 0;
    std::uint64_t handed_out = 0;
  };
  Progress progress() const;

 private:
  static bool is_projection(const IngestItem& item);

  const std::size_t capacity_;
  const QueuePolicy policy_;
  DaemonCounters& counters_;
  LogLimiter log_limiter_;  // waits for a full queue: one line per burst
  std::function<void(const IngestItem&)> on_drop_;

  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<IngestItem> data_;
  std::deque<EngineCommand> commands_;
  std::uint64_t handed_out_ = 0;
  bool closed_ = false;
  bool commands_refused_ = false;
};

}  // namespace tomolive::daemon
