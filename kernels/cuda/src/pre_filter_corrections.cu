#include "pre_filter_corrections.hpp"

#include "cuda_check.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;

// Mapping: grid (ceil(cols / 256), rows, frames), one thread per pixel (row blockIdx.y of frame blockIdx.z): reads
// the value, its offset (by frame row) and its column's weight (L1/L2: shared by every row and frame), writes the
// result.
__global__ void __launch_bounds__(kThreads) pre_filter_corrections_kernel(const float* in, float* out,
                                                                          FrameShape shape,
                                                                          PreFilterCorrections corrections) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t row = blockIdx.y;
  if (col >= shape.cols) return;
  const std::size_t pixel = blockIdx.z * shape.frame_stride() + std::size_t{row} * shape.pitch + col;
  float value = in[pixel];
  if (corrections.ring_offsets != nullptr) value += corrections.ring_offsets[std::size_t{row} * shape.cols + col];
  if (corrections.column_weights != nullptr) value *= corrections.column_weights[col];
  out[pixel] = value;
}

}  // namespace

void apply_pre_filter_corrections(const float* in, float* out, const FrameShape& shape,
                                  const PreFilterCorrections& corrections, cudaStream_t stream) {
  if (shape.rows == 0 || shape.cols == 0 || shape.frames == 0) return;
  const dim3 grid((shape.cols + kThreads - 1) / kThreads, shape.rows, shape.frames);
  pre_filter_corrections_kernel<<<grid, kThreads, 0, stream>>>(in, out, shape, corrections);
  TOMOLIVE_CUDA_CHECK_LAUNCH("pre_filter_corrections");
}

}  // namespace tomolive::kernels::cuda
