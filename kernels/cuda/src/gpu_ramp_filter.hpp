// GpuRampFilter: ramp-filters detector rows on the GPU, in place: batched cuFFT R2C over zero-padded rows, multiply by
// ramp_response() (ramp_filter.hpp, shared with the CPU engine, uploaded once), C2R. Row r of the buffer is
// padded() floats at r * padded(); its first cols values are the result, the rest is scratch.
//
// Device memory: the spectrum (rows x (padded / 2 + 1) complex floats), the cuFFT work area and the response, all
// allocated at construction. Thread safety: one owner; work is ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_resources.hpp"

namespace tomolive::kernels::cuda {

class GpuRampFilter {
 public:
  // Plans for `rows` rows of `cols` samples. Throws EngineError when planning or allocation fails.
  GpuRampFilter(std::uint32_t rows, std::uint32_t cols, cudaStream_t stream);

  // Device bytes a filter of this shape holds (spectrum, work area as cuFFT estimates it, response), without
  // allocating anything.
  static std::uint64_t estimate_bytes(std::uint32_t rows, std::uint32_t cols);

  std::uint32_t padded() const { return padded_; }
  std::uint64_t bytes() const { return spectrum_.bytes() + work_.bytes() + response_.bytes(); }

  // Filters rows x padded() floats at `rows_data` (zero beyond cols in each row) in place.
  void filter(float* rows_data);

 private:
  std::uint32_t rows_;
  std::uint32_t padded_;
  std::uint32_t bins_;
  cudaStream_t stream_;
  FftPlan forward_;
  FftPlan inverse_;
  DeviceArray<float2> spectrum_;
  DeviceArray<unsigned char> work_;
  DeviceArray<float> response_;
};

}  // namespace tomolive::kernels::cuda
