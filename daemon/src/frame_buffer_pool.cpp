#include "tomolive/daemon/frame_buffer_pool.hpp"

#include <algorithm>
#include <utility>

namespace tomolive::daemon {

FrameBufferPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), buffer_(std::move(other.buffer_)) {}

FrameBufferPool::Lease& FrameBufferPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    pool_ = std::exchange(other.pool_, nullptr);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

FrameBufferPool::Lease::~Lease() { give_back(); }

void FrameBufferPool::Lease::give_back() {
  if (pool_ && buffer_) pool_->put_back(std::move(buffer_));
  pool_ = nullptr;
}

FrameBufferPool::FrameBufferPool(Allocator allocate, std::size_t capacity, DaemonCounters& counters)
    : allocate_(std::move(allocate)), capacity_(std::max<std::size_t>(capacity, 1)), counters_(counters) {}

FrameBufferPool::Lease FrameBufferPool::acquire(std::size_t bytes) {
  std::unique_ptr<HostBuffer> buffer;
  {
    std::unique_lock lock(mutex_);
    if (free_.empty() && allocated_ >= capacity_) {
      bump(counters_.frame_buffer_waits);
      returned_.wait(lock, [&] { return !free_.empty() || allocated_ < capacity_; });
    }
    if (!free_.empty()) {
      buffer = std::move(free_.back());
      free_.pop_back();
    } else {
      ++allocated_;  // reserve the slot; allocate outside the lock (page-locked allocation is slow)
    }
  }
  if (!buffer || buffer->size() < bytes) {
    buffer.reset();
    try {
      buffer = allocate_(bytes);
    } catch (...) {
      std::lock_guard lock(mutex_);
      --allocated_;
      returned_.notify_one();
      throw;
    }
  }
  return Lease(this, std::move(buffer));
}

void FrameBufferPool::put_back(std::unique_ptr<HostBuffer> buffer) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(buffer));
  }
  returned_.notify_one();
}

}  // namespace tomolive::daemon
