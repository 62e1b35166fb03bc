// FrameDecodePool: the worker threads that decompress and decode detector images (bitshuffle/LZ4, LZ4, copies)
// beside the data sockets' receive threads, so that one socket's decode rate is not one core's. Jobs run in any
// order on any worker; whoever needs order (OrderedRelease) restores it. The queue is unbounded: each data socket
// bounds its own jobs in flight. The destructor runs the jobs already queued, then joins the workers.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tomolive::daemon {

class FrameDecodePool {
 public:
  using Job = std::function<void()>;  // must not throw

  // `threads` >= 1 workers.
  explicit FrameDecodePool(std::size_t threads);
  ~FrameDecodePool();
  FrameDecodePool(const FrameDecodePool&) = delete;
  FrameDecodePool& operator=(const FrameDecodePool&) = delete;

  void submit(Job job);
  std::size_t threads() const { return workers_.size(); }

 private:
  void run(std::stop_token stop);

  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<Job> jobs_;
  std::vector<std::jthread> workers_;  // last: started after the queue exists
};

// The default worker count: the machine's cores minus the few the receive, engine and publishing threads use,
// at least 1.
std::size_t default_decode_threads();

}  // namespace tomolive::daemon
