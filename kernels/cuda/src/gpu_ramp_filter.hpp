// GpuRampFilter: ramp-filters detector rows on the GPU, out of place: batched cuFFT R2C from the input rows, multiply
// by filter_response(padded, window) (ramp_filter.hpp, shared with the CPU engine), C2R into the output rows. Both are
// rows x padded() floats, row r at r * padded(). The caller writes the first cols values of each input row; the rest
// of the row was zeroed at construction and stays zero (R2C reads its input, never writes it), so that the padding is
// written once per scan instead of once per projection. The first cols values of each output row are the result, the
// rest is scratch.
//
// Device memory: input and output rows, the spectrum (rows x (padded / 2 + 1) complex floats), the cuFFT work area and
// the response, all allocated at construction. Thread safety: one owner; work is ordered by the stream given at
// construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_resources.hpp"
#include "filter_response_table.hpp"

namespace tomolive::kernels::cuda {

class GpuRampFilter {
 public:
  // Plans for `rows` rows of `cols` samples. Throws EngineError when planning or allocation fails.
  GpuRampFilter(std::uint32_t rows, std::uint32_t cols, cudaStream_t stream);

  // Device bytes a filter of this shape holds (input and output rows, spectrum, work area as cuFFT estimates it,
  // response), without allocating anything.
  static std::uint64_t estimate_bytes(std::uint32_t rows, std::uint32_t cols);

  std::uint32_t padded() const { return padded_; }
  float* input() const { return input_.get(); }
  const float* output() const { return output_.get(); }

  // Filters input() into output().
  void filter();

  // Enqueues the upload of the window's response: filter() calls after this one use it (Ram-Lak until then).
  void set_window(FilterWindow window) { response_.set_window(window, stream_); }

 private:
  std::uint32_t rows_;
  std::uint32_t padded_;
  std::uint32_t bins_;
  cudaStream_t stream_;
  FftPlan forward_;
  FftPlan inverse_;
  DeviceArray<float> input_;
  DeviceArray<float> output_;
  DeviceArray<float2> spectrum_;
  DeviceArray<unsigned char> work_;
  FilterResponseTable response_;
};

}  // namespace tomolive::kernels::cuda
