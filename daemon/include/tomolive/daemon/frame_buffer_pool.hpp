// FrameBufferPool: host buffers that ingest threads copy received frames into, when the engine reads some memory
// faster than other (the CUDA engine copies page-locked memory to the GPU directly, but must first copy a pageable
// ZeroMQ message into its own staging buffer on the engine thread). With the pool, that copy happens on the ingest
// threads, in parallel, and the engine thread only starts the transfer.
//
// Buffers are allocated lazily by the allocator given at construction (at most `capacity` of them) and reused: a
// Lease returns its buffer when destroyed. acquire() waits while all buffers are leased: backpressure, like the
// engine queue's block policy. A pool whose allocations are costly (page-locked memory) allocates all `capacity`
// buffers when a scan begins instead (prepare_for), so that none is allocated while frames stream. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/protocol/messages.hpp"

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

  // When to allocate the buffers.
  enum class Growth {
    on_demand,  // acquire() allocates while fewer than `capacity` exist; prepare_for() does nothing
    // prepare_for() allocates all of them. For page-locked memory: cudaMallocHost takes about a millisecond per
    // frame and, by CUDA's implicit-synchronization rules, keeps the engine's copy and compute streams from
    // overlapping while it runs, so hundreds of buffers allocated on the decode threads while the engine queue first
    // fills would stall the engine just when it has most to do.
    at_scan_begin,
  };

  FrameBufferPool(Allocator allocate, std::size_t capacity, DaemonCounters& counters,
                  Growth growth = Growth::on_demand);

  // A buffer of at least `bytes`, waiting while all `capacity` buffers are leased (counted in frame_buffer_waits).
  // A free buffer that is too small is replaced. Throws what the allocator throws.
  Lease acquire(std::size_t bytes);

  // A scan of frames of `bytes` each begins. With Growth::at_scan_begin: allocates buffers of `bytes` until
  // `capacity` exist, replacing free ones that are too small (a leased one is replaced when next acquired), so that
  // acquire(bytes) allocates nothing afterwards; several threads may call it at once and share the work. Returns
  // the buffers this call allocated (0 with Growth::on_demand, or when the pool is already full of large enough
  // buffers). Throws what the allocator throws; the buffers allocated until then stay in the pool.
  std::size_t prepare_for(std::size_t bytes);

  std::size_t capacity() const { return capacity_; }

 private:
  void put_back(std::unique_ptr<HostBuffer> buffer);
  // Allocates a buffer of `bytes` for a slot the caller has reserved (allocated_ counted, outside the lock); when the
  // allocation throws, gives the slot back (waking a waiter) and rethrows.
  std::unique_ptr<HostBuffer> allocate_reserved(std::size_t bytes);

  const Allocator allocate_;
  const std::size_t capacity_;
  const Growth growth_;
  DaemonCounters& counters_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<HostBuffer>> free_;
  std::size_t allocated_ = 0;  // buffers in existence (free or leased)
};

// What a data socket's receive thread does when a scan begins on it: pool->prepare_for(the begin's frame bytes),
// when there is a pool. An allocation that fails is logged and ignored: acquire() will try again for each frame and
// its failure refuses that frame.
void prepare_frame_buffers(FrameBufferPool* pool, const protocol::ScanBegin& begin);

}  // namespace tomolive::daemon
