#include "axis_tilt_rotation.hpp"

#include "cuda_check.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;

// Mapping: grid (ceil(cols / 256), rows, frames), one thread per output pixel of frame blockIdx.z: the cubic
// kernel's neighbouring input pixels of the same frame (L1/L2: shared by the neighbouring threads), one write.
__global__ void __launch_bounds__(kThreads) rotate_frame_kernel(const float* in, float* out, FrameShape shape,
                                                                AxisTiltRotation rotation) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t row = blockIdx.y;
  if (col >= shape.cols) return;
  const std::size_t frame = blockIdx.z * shape.frame_stride();
  out[frame + std::size_t{row} * shape.pitch + col] =
      rotated_pixel(rotation, in + frame, shape.rows, shape.cols, shape.pitch, row, col);
}

}  // namespace

void rotate_frame(const float* in, float* out, const FrameShape& shape, const AxisTiltRotation& rotation,
                  cudaStream_t stream) {
  if (shape.rows == 0 || shape.cols == 0 || shape.frames == 0) return;
  const dim3 grid((shape.cols + kThreads - 1) / kThreads, shape.rows, shape.frames);
  rotate_frame_kernel<<<grid, kThreads, 0, stream>>>(in, out, shape, rotation);
  TOMOLIVE_CUDA_CHECK_LAUNCH("rotate_frame");
}

}  // namespace tomolive::kernels::cuda
