// FilterResponseTable: filter_response(padded, window) (ramp_filter.hpp, shared with the CPU engine) in device memory,
// the padded / 2 + 1 real bins that the ramp filters (GpuRampFilter, FusedRampFilter) multiply spectra by.
//
// Device memory: (padded / 2 + 1) floats. Thread safety: one owner; the upload is ordered by the stream passed in.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_resources.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels::cuda {

class FilterResponseTable {
 public:
  // Allocates the table and uploads the Ram-Lak response (waits for the upload). Throws EngineError when a CUDA call
  // fails, std::invalid_argument for an odd or < 2 padded length (as ramp_response).
  explicit FilterResponseTable(std::uint32_t padded);

  static std::uint64_t bytes(std::uint32_t padded) { return (std::uint64_t{padded} / 2 + 1) * sizeof(float); }

  // Enqueues on `stream` the upload of filter_response(padded, window): work enqueued on `stream` after this call
  // reads the new response, work before it the previous one. Nothing happens when `window` is already the table's.
  void set_window(FilterWindow window, cudaStream_t stream);

  FilterWindow window() const { return window_; }
  const float* get() const { return values_.get(); }

 private:
  std::uint32_t padded_;
  FilterWindow window_ = FilterWindow::ram_lak;
  DeviceArray<float> values_;
};

}  // namespace tomolive::kernels::cuda
