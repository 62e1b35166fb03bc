#include "tomolive/daemon/frame_decode_pool.hpp"

#include <algorithm>

#include "tomolive/daemon/thread_name.hpp"

namespace tomolive::daemon {
namespace {

constexpr unsigned kCoresLeftToOtherThreads = 4;  // receive, engine, publisher, control

}  // namespace

FrameDecodePool::FrameDecodePool(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    workers_.emplace_back([this, name = indexed_thread_name("decode", i)](std::stop_token stop) {
      name_this_thread(name);
      run(std::move(stop));
    });
  }
}

FrameDecodePool::~FrameDecodePool() {
  for (auto& worker : workers_) worker.request_stop();
  ready_.notify_all();
  workers_.clear();  // joins; each worker empties the queue before it leaves
}

void FrameDecodePool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void FrameDecodePool::run(std::stop_token stop) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, stop, [this] { return !jobs_.empty(); });
      if (jobs_.empty()) return;  // stop requested and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

std::size_t default_decode_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > kCoresLeftToOtherThreads ? cores - kCoresLeftToOtherThreads : 1;
}

}  // namespace tomolive::daemon
