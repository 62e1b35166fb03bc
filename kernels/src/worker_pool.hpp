// WorkerPool: a fixed set of threads that split an index range [0, count) into one contiguous chunk per worker
// and run a task on each chunk. Private to the kernels library (the CPU engine's parallel loops).
//
// Chunk w of T is [count * w / T, count * (w + 1) / T); the calling thread runs chunk 0, so a pool of size 1 has no
// threads at all. Which indices a worker gets depends only on count and size(), never on timing.
// Thread safety: run() is called by one thread at a time (the engine's owner). Threads are std::jthreads, stopped
// and joined by the destructor.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace tomolive::kernels::detail {

// A non-owning reference to a callable void(unsigned worker, std::size_t begin, std::size_t end). Unlike
// std::function it never allocates, so the engine's per-projection loops stay allocation-free.
class TaskRef {
 public:
  template <class F>
  explicit TaskRef(F& f)
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* object, unsigned worker, std::size_t begin, std::size_t end) {
          (*static_cast<F*>(object))(worker, begin, end);
        }) {}
  void operator()(unsigned worker, std::size_t begin, std::size_t end) const { call_(object_, worker, begin, end); }

 private:
  void* object_;
  void (*call_)(void*, unsigned, std::size_t, std::size_t);
};

class WorkerPool {
 public:
  explicit WorkerPool(unsigned size);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return size_; }

  // Runs task(worker, begin, end) over [0, count) split among the workers (only for non-empty chunks) and returns
  // when all chunks are done. If a chunk throws, the first exception is rethrown here after every chunk finished.
  template <class F>
  void run(std::size_t count, F&& task) {
    run_task(count, TaskRef(task));
  }

 private:
  void run_task(std::size_t count, TaskRef task);
  void run_chunk(unsigned worker, std::size_t count, TaskRef task);
  void serve(const std::stop_token& stop, unsigned worker);

  const unsigned size_;
  std::mutex mutex_;
  std::condition_variable_any wake_;  // workers wait here for a new generation (or a stop request)
  std::condition_variable done_;      // run() waits here for pending_ to reach zero
  std::uint64_t generation_ = 0;
  unsigned pending_ = 0;
  const TaskRef* task_ = nullptr;
  std::size_t count_ = 0;
  std::exception_ptr error_;
  std::vector<std::jthread> threads_;  // last member: stopped and joined before the rest is destroyed
};

}  // namespace tomolive::kernels::detail
