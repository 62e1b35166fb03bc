#include "zinger_filter.hpp"

#include "block_count.cuh"
#include "cuda_check.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;

__device__ __forceinline__ std::uint32_t clamp_index(int index, std::uint32_t first, std::uint32_t count) {
  return static_cast<std::uint32_t>(min(max(index, static_cast<int>(first)), static_cast<int>(first + count) - 1));
}

// The median of 9 values: the values sorted by odd-even transposition (9 rounds of compare-exchanges of neighbours
// sort 9 values), all indices constant, so the array stays in registers.
__device__ __forceinline__ float median_of_9(float (&v)[9]) {
#pragma unroll
  for (unsigned round = 0; round < 9; ++round) {
#pragma unroll
    for (unsigned i = round % 2; i + 1 < 9; i += 2) {
      const float low = fminf(v[i], v[i + 1]);
      v[i + 1] = fmaxf(v[i], v[i + 1]);
      v[i] = low;
    }
  }
  return v[4];
}

// Mapping: grid (ceil(cols / 256), rows, frames), one thread per pixel (row blockIdx.y of frame blockIdx.z); 9 reads
// (from L1/L2: neighbours are shared by neighbouring threads and rows), one write. Replacements are counted per block
// (add_block_count).
__global__ void __launch_bounds__(kThreads) zinger_kernel(const float* __restrict__ in, float* __restrict__ out,
                                                          FrameShape shape, DetectorColumns detector, float threshold,
                                                          RowRange counted,
                                                          unsigned long long* __restrict__ replaced) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t row = blockIdx.y;
  const std::size_t frame = blockIdx.z * shape.frame_stride();
  in += frame;
  out += frame;
  unsigned replaced_here = 0;
  if (col < shape.cols) {
    const float value = in[std::size_t{row} * shape.pitch + col];
    float result = value;
    if (detector.contains(col)) {
      float neighbourhood[9];
#pragma unroll
      for (int dr = -1; dr <= 1; ++dr) {
        const std::size_t r = clamp_index(static_cast<int>(row) + dr, 0, shape.rows);
#pragma unroll
        for (int dc = -1; dc <= 1; ++dc) {
          const std::uint32_t c = clamp_index(static_cast<int>(col) + dc, detector.first, detector.count);
          neighbourhood[(dr + 1) * 3 + (dc + 1)] = in[r * shape.pitch + c];
        }
      }
      const float median = median_of_9(neighbourhood);
      if (zinger_replaces(value, median, threshold)) {
        result = median;
        replaced_here = counted.contains(row) ? 1 : 0;
      }
    }
    out[std::size_t{row} * shape.pitch + col] = result;
  }
  add_block_count<kThreads>(replaced_here, replaced);
}

}  // namespace

void remove_zingers(const float* in, float* out, const FrameShape& shape, const DetectorColumns& detector,
                    float threshold, unsigned long long* replaced, RowRange counted, cudaStream_t stream) {
  if (shape.rows == 0 || shape.cols == 0 || shape.frames == 0) return;
  const dim3 grid((shape.cols + kThreads - 1) / kThreads, shape.rows, shape.frames);
  zinger_kernel<<<grid, kThreads, 0, stream>>>(in, out, shape, detector, threshold, counted, replaced);
  TOMOLIVE_CUDA_CHECK_LAUNCH("remove_zingers");
}

}  // namespace tomolive::kernels::cuda
