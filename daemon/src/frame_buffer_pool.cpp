#include "tomolive/daemon/frame_buffer_pool.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

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

FrameBufferPool::FrameBufferPool(Allocator allocate, std::size_t capacity, DaemonCounters& counters, Growth growth)
    : allocate_(std::move(allocate)), capacity_(std::max<std::size_t>(capacity, 1)), growth_(growth),
      counters_(counters) {}

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
    buffer = allocate_reserved(bytes);
  }
  return Lease(this, std::move(buffer));
}

std::unique_ptr<HostBuffer> FrameBufferPool::allocate_reserved(std::size_t bytes) {
  try {
    return allocate_(bytes);
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      --allocated_;
    }
    returned_.notify_one();
    throw;
  }
}

std::size_t FrameBufferPool::prepare_for(std::size_t bytes) {
  if (growth_ != Growth::at_scan_begin) return 0;
  std::size_t allocated = 0;
  for (;;) {
    std::unique_ptr<HostBuffer> too_small;
    {
      std::lock_guard lock(mutex_);
      const auto small = std::ranges::find_if(free_, [bytes](const auto& buffer) { return buffer->size() < bytes; });
      if (small != free_.end()) {
        too_small = std::move(*small);  // its slot is taken over by the replacement
        free_.erase(small);
      } else if (allocated_ < capacity_) {
        ++allocated_;  // reserve the slot; allocate outside the lock, as acquire() does
      } else {
        return allocated;
      }
    }
    too_small.reset();
    put_back(allocate_reserved(bytes));
    ++allocated;
  }
}

void FrameBufferPool::put_back(std::unique_ptr<HostBuffer> buffer) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(buffer));
  }
  returned_.notify_one();
}

void prepare_frame_buffers(FrameBufferPool* pool, const protocol::ScanBegin& begin) {
  if (pool == nullptr) return;
  const std::size_t bytes = std::size_t{begin.rows} * begin.cols * protocol::itemsize(begin.dtype);
  try {
    const std::size_t allocated = pool->prepare_for(bytes);
    if (allocated > 0) {
      spdlog::info("scan {}: {} frame buffers of {} bytes allocated for its frames", begin.scan_id, allocated, bytes);
    }
  } catch (const std::exception& e) {
    spdlog::warn("scan {}: frame buffers of {} bytes could not all be allocated at its begin ({}); the rest will be "
                 "allocated as frames arrive",
                 begin.scan_id, bytes, e.what());
  }
}

}  // namespace tomolive::daemon
