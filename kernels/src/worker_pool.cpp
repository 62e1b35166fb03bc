#include "worker_pool.hpp"

#include <utility>

namespace tomolive::kernels::detail {

WorkerPool::WorkerPool(unsigned size) : size_(size == 0 ? 1 : size) {
  threads_.reserve(size_ - 1);
  for (unsigned w = 1; w < size_; ++w) {
    threads_.emplace_back([this, w](const std::stop_token& stop) { serve(stop, w); });
  }
}

WorkerPool::~WorkerPool() {
  for (auto& thread : threads_) thread.request_stop();
  // std::jthread's destructor joins.
}

void WorkerPool::run_chunk(unsigned worker, std::size_t count, TaskRef task) {
  const std::size_t begin = count * worker / size_;
  const std::size_t end = count * (worker + 1) / size_;
  if (begin == end) return;
  try {
    task(worker, begin, end);
  } catch (...) {
    const std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void WorkerPool::run_task(std::size_t count, TaskRef task) {
  if (count == 0) return;
  if (size_ == 1) {
    task(0, 0, count);
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    task_ = &task;
    count_ = count;
    pending_ = size_ - 1;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  run_chunk(0, count, task);
  std::exception_ptr error;
  {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

void WorkerPool::serve(const std::stop_token& stop, unsigned worker) {
  std::uint64_t seen = 0;
  for (;;) {
    const TaskRef* task = nullptr;
    std::size_t count = 0;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [&] { return generation_ != seen; })) return;  // stop requested
      seen = generation_;
      task = task_;
      count = count_;
    }
    run_chunk(worker, count, *task);
    {
      const std::lock_guard lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace tomolive::kernels::detail
