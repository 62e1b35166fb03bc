// RAII owners of CUDA resources: device arrays, streams, events and cuFFT plans. Each is movable, not copyable,
// and releases its resource in the destructor (errors there are ignored: nothing could be done about them).
// Private to tomolive_cuda_engine.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

#include <algorithm>
#include <cstddef>
#include <utility>

#include "cuda_check.hpp"

namespace tomolive::kernels::cuda {

// `count` elements of T in device memory, uninitialised.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t count) : count_(count) {
    if (count != 0) TOMOLIVE_CUDA_CHECK(cudaMalloc(&data_, count * sizeof(T)));
  }
  ~DeviceArray() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceArray(DeviceArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    if (this != &other) {
      if (data_ != nullptr) cudaFree(data_);
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

// A non-blocking stream (does not synchronise with the legacy default stream).
class Stream {
 public:
  Stream() { TOMOLIVE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&&) = delete;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// An event; `timing` events can measure elapsed time, the others only order work (cheaper to record).
class Event {
 public:
  explicit Event(bool timing = false) {
    TOMOLIVE_CUDA_CHECK(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming));
  }
  ~Event() {
    if (event_ != nullptr) cudaEventDestroy(event_);
  }
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&&) = delete;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// A cuFFT plan handle (cufftCreate); the plan itself is made by the owner with cufftMakePlan*.
class FftPlan {
 public:
  FftPlan() { TOMOLIVE_CUFFT_CHECK(cufftCreate(&plan_)); }
  ~FftPlan() {
    if (owned_) cufftDestroy(plan_);
  }
  FftPlan(FftPlan&& other) noexcept : plan_(other.plan_), owned_(std::exchange(other.owned_, false)) {}
  FftPlan& operator=(FftPlan&&) = delete;
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  cufftHandle get() const { return plan_; }

 private:
  cufftHandle plan_ = 0;
  bool owned_ = true;
};

// A forward and an inverse plan (made with auto-allocation off, needing `forward_bytes` and `inverse_bytes` of work
// area as cufftMakePlan* reported) given one work area, the larger of the two, and the stream they run on. Returns the
// area, which must outlive the plans' use.
inline DeviceArray<unsigned char> share_work_area(const FftPlan& forward, std::size_t forward_bytes,
                                                  const FftPlan& inverse, std::size_t inverse_bytes,
                                                  cudaStream_t stream) {
  DeviceArray<unsigned char> work(std::max(forward_bytes, inverse_bytes));
  for (const cufftHandle plan : {forward.get(), inverse.get()}) {
    if (work.size() != 0) TOMOLIVE_CUFFT_CHECK(cufftSetWorkArea(plan, work.get()));
    TOMOLIVE_CUFFT_CHECK(cufftSetStream(plan, stream));
  }
  return work;
}

}  // namespace tomolive::kernels::cuda
