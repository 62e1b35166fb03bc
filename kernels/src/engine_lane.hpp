// EngineLane: the thread of one engine inside a SlabEngine (slab_engine.hpp). It runs the tasks handed to it one
// after the other, in the order given; each task's exception travels back through its future.
// Thread safety: submit may be called from any thread. The destructor runs what is queued, then joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace tomolive::kernels {

class EngineLane {
 public:
  EngineLane();
  ~EngineLane();
  EngineLane(const EngineLane&) = delete;
  EngineLane& operator=(const EngineLane&) = delete;

  std::future<void> submit(std::function<void()> task);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace tomolive::kernels
