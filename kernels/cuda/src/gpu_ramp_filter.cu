#include "gpu_ramp_filter.hpp"

#include <cufft.h>

#include <algorithm>

#include "cuda_check.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;

// Mapping: grid (ceil(bins / 256), rows); thread (m, r) scales bin m of row r by the real response. Reads 8 + 4 bytes
// (the response is shared by all rows and stays in L1/L2), writes 8 bytes.
__global__ void __launch_bounds__(kThreads) multiply_response(float2* __restrict__ spectrum,
                                                              const float* __restrict__ response,
                                                              std::uint32_t bins) {
  const std::uint32_t bin = blockIdx.x * kThreads + threadIdx.x;
  if (bin >= bins) return;
  const std::size_t k = std::size_t{blockIdx.y} * bins + bin;
  const float h = response[bin];
  float2 value = spectrum[k];
  value.x *= h;
  value.y *= h;
  spectrum[k] = value;
}

// One plan of `rows` transforms of length `padded` in the basic batched layout (rows contiguous: padded reals or
// padded / 2 + 1 complex values), work area supplied by the caller. Returns the work area size, bytes.
std::size_t make_plan(cufftHandle plan, cufftType type, std::uint32_t rows, std::uint32_t padded) {
  TOMOLIVE_CUFFT_CHECK(cufftSetAutoAllocation(plan, 0));
  int n = static_cast<int>(padded);
  std::size_t work = 0;
  TOMOLIVE_CUFFT_CHECK(cufftMakePlanMany(plan, 1, &n, nullptr, 1, 0, nullptr, 1, 0, type, static_cast<int>(rows),
                                         &work));
  return work;
}

}  // namespace

GpuRampFilter::GpuRampFilter(std::uint32_t rows, std::uint32_t cols, cudaStream_t stream)
    : rows_(rows), padded_(padded_length(cols)), bins_(padded_ / 2 + 1), stream_(stream), response_(padded_) {
  const std::size_t forward_work = make_plan(forward_.get(), CUFFT_R2C, rows_, padded_);
  const std::size_t inverse_work = make_plan(inverse_.get(), CUFFT_C2R, rows_, padded_);
  work_ = share_work_area(forward_, forward_work, inverse_, inverse_work, stream_);
  input_ = DeviceArray<float>(std::size_t{rows_} * padded_);
  output_ = DeviceArray<float>(std::size_t{rows_} * padded_);
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(input_.get(), 0, input_.bytes(), stream_));
  spectrum_ = DeviceArray<float2>(std::size_t{rows_} * bins_);
}

std::uint64_t GpuRampFilter::estimate_bytes(std::uint32_t rows, std::uint32_t cols) {
  const std::uint32_t padded = padded_length(cols);
  const std::uint32_t bins = padded / 2 + 1;
  int n = static_cast<int>(padded);
  std::size_t forward_work = 0, inverse_work = 0;
  TOMOLIVE_CUFFT_CHECK(
      cufftEstimateMany(1, &n, nullptr, 1, 0, nullptr, 1, 0, CUFFT_R2C, static_cast<int>(rows), &forward_work));
  TOMOLIVE_CUFFT_CHECK(
      cufftEstimateMany(1, &n, nullptr, 1, 0, nullptr, 1, 0, CUFFT_C2R, static_cast<int>(rows), &inverse_work));
  return 2 * std::uint64_t{rows} * padded * sizeof(float) + std::uint64_t{rows} * bins * sizeof(float2) +
         std::max(forward_work, inverse_work) + FilterResponseTable::bytes(padded);
}

void GpuRampFilter::filter() {
  auto* spectrum = reinterpret_cast<cufftComplex*>(spectrum_.get());
  TOMOLIVE_CUFFT_CHECK(cufftExecR2C(forward_.get(), input_.get(), spectrum));
  const dim3 grid((bins_ + kThreads - 1) / kThreads, rows_);
  multiply_response<<<grid, kThreads, 0, stream_>>>(spectrum_.get(), response_.get(), bins_);
  TOMOLIVE_CUDA_CHECK_LAUNCH("multiply_response");
  TOMOLIVE_CUFFT_CHECK(cufftExecC2R(inverse_.get(), spectrum, output_.get()));
}

}  // namespace tomolive::kernels::cuda
