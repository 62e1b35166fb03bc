// FrameBufferPool: host buffers that ingest threads copy received frames into, when the engine reads some memory
// faster than other (the CUDA engine copies page-locked memory to the GPU directly, but must first copy a pageable
// ZeroMQ message into its own staging buffer on the engine thread). With the pool, that copy happens on the ingest
// threads, in parallel, and the engine thread only starts the transfer.
//
// Buffers are allocated lazily by the allocator given at construction (at most `capacity` of them) and reused: a
// Lease returns its buffer when destroyed. acquire() waits while all buffers are leased: backpressure, like the
// engine queue's block policy. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "tomolive/daemon/counters.hpp"

namespace tomolive::daemon {

// Host memory owned by some allocator (e.g. page-locked by CUDA).
class HostBuffer {
 public:
  virtual ~HostBuffer() = default;
  virtual std::byte* data() = 0;
  virtual std::size_t size() const = 0;
};

class FrameBufferPool {
 public:
  using Allocator = std::function<std::unique_ptr<HostBuffer>(std::size_t bytes)>;

  // A leased buffer; gives it back to the pool when destroyed. Movable.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    explicit operator bool() const { return buffer_ != nullptr; }
    std::byte* data() const { return buffer_->data(); }

   private:
    friend class FrameBufferPool;
    Lease(FrameBufferPool* pool, std::unique_ptr<HostBuffer> buffer) : pool_(pool), buffer_(std::move(buffer)) {}
    void give_back();
    FrameBufferPool* pool_ = nullptr;
    std::unique_ptr<HostBuffer> buffer_;
  };

  FrameBufferPool(Allocator allocate, std::size_t capacity, DaemonCounters& counters);

  // A buffer of at least `bytes`, waiting while all `capacity` buffers are leased (counted in frame_buffer_waits).
  // A free buffer that is too small is replaced. Throws what the allocator throws.
  Lease acquire(std::size_t bytes);

  std::size_t capacity() const { return capacity_; }

 private:
  void put_back(std::unique_ptr<HostBuffer> buffer);

  const Allocator allocate_;
  const std::size_t capacity_;
  DaemonCounters& counters_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<HostBuffer>> free_;
  std::size_t allocated_ = 0;  // buffers in existence (free or leased)
};

}  // namespace tomolive::daemon
