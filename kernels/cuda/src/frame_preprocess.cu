#include "frame_preprocess.hpp"

#include "cuda_check.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/preprocess.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kWarps = kThreads / 32;

// Calls f(T{}) with T the C++ type of the pixels of `type`.
template <class F>
void visit_pixel_type(PixelType type, F&& f) {
  switch (type) {
    case PixelType::uint8: f(std::uint8_t{}); return;
    case PixelType::uint16: f(std::uint16_t{}); return;
    case PixelType::uint32: f(std::uint32_t{}); return;
    case PixelType::float32: f(float{}); return;
  }
  throw EngineError("unknown pixel type " + std::to_string(static_cast<int>(type)));
}

// Mapping: one thread per pixel, grid-stride. Reads raw (itemsize bytes) and sum (8 bytes), writes sum.
template <class Raw>
__global__ void __launch_bounds__(kThreads) accumulate_reference_kernel(const Raw* __restrict__ raw,
                                                                        std::size_t pixels, double* __restrict__ sum) {
  for (std::size_t k = blockIdx.x * std::size_t{kThreads} + threadIdx.x; k < pixels;
       k += std::size_t{gridDim.x} * kThreads) {
    sum[k] += static_cast<double>(raw[k]);
  }
}

// Mapping: one thread per pixel, grid-stride. Reads sum (8 bytes) unless `empty`, writes level (4 bytes).
__global__ void __launch_bounds__(kThreads) average_reference_kernel(const double* __restrict__ sum,
                                                                     std::size_t pixels, bool empty, double scale,
                                                                     float level_if_empty,
                                                                     float* __restrict__ level) {
  for (std::size_t k = blockIdx.x * std::size_t{kThreads} + threadIdx.x; k < pixels;
       k += std::size_t{gridDim.x} * kThreads) {
    level[k] = empty ? level_if_empty : static_cast<float>(sum[k] * scale);
  }
}

// Mapping: grid (ceil(padded / 256), rows); thread (c, r) writes padded row r, column c. Reads raw (itemsize bytes),
// dark and flat (4 + 4 bytes) for c < cols; writes 4 bytes. Clamped pixels are counted per warp (ballot), per block
// (shared memory), then one 64-bit atomic per block.
template <class Raw>
__global__ void __launch_bounds__(kThreads) preprocess_rows_kernel(const Raw* __restrict__ raw,
                                                                   std::uint32_t cols, std::uint32_t padded,
                                                                   const float* __restrict__ dark,
                                                                   const float* __restrict__ flat,
                                                                   float* __restrict__ out,
                                                                   unsigned long long* __restrict__ clamped) {
  __shared__ unsigned warp_counts[kWarps];
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  const std::size_t row = blockIdx.y;
  bool was_clamped = false;
  if (col < cols) {
    const std::size_t k = row * cols + col;
    out[row * padded + col] =
        attenuation(static_cast<float>(raw[k]), dark[k], flat[k], kMinTransmission, was_clamped);
  } else if (col < padded) {
    out[row * padded + col] = 0.f;
  }
  const unsigned warp_count = __popc(__ballot_sync(0xffffffffu, was_clamped));
  if (threadIdx.x % 32 == 0) warp_counts[threadIdx.x / 32] = warp_count;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned block_count = 0;
    for (unsigned w = 0; w < kWarps; ++w) block_count += warp_counts[w];
    if (block_count != 0) atomicAdd(clamped, static_cast<unsigned long long>(block_count));
  }
}

unsigned grid_stride_blocks(std::size_t pixels) {
  const std::size_t blocks = (pixels + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

}  // namespace

void accumulate_reference(const void* raw, PixelType type, std::size_t pixels, double* sum, cudaStream_t stream) {
  if (pixels == 0) return;
  visit_pixel_type(type, [&]<class Raw>(Raw) {
    accumulate_reference_kernel<Raw>
        <<<grid_stride_blocks(pixels), kThreads, 0, stream>>>(static_cast<const Raw*>(raw), pixels, sum);
    TOMOLIVE_CUDA_CHECK_LAUNCH("accumulate_reference");
  });
}

void average_reference(const double* sum, std::size_t pixels, std::uint32_t count, float level_if_empty, float* level,
                       cudaStream_t stream) {
  if (pixels == 0) return;
  const double scale = count != 0 ? 1.0 / count : 0.0;
  average_reference_kernel<<<grid_stride_blocks(pixels), kThreads, 0, stream>>>(sum, pixels, count == 0, scale,
                                                                                 level_if_empty, level);
  TOMOLIVE_CUDA_CHECK_LAUNCH("average_reference");
}

void preprocess_rows(const void* raw, PixelType type, std::uint32_t rows, std::uint32_t cols, std::uint32_t padded,
                     const float* dark, const float* flat, float* out, unsigned long long* clamped,
                     cudaStream_t stream) {
  if (rows == 0) return;
  const dim3 grid((padded + kThreads - 1) / kThreads, rows);
  visit_pixel_type(type, [&]<class Raw>(Raw) {
    preprocess_rows_kernel<Raw>
        <<<grid, kThreads, 0, stream>>>(static_cast<const Raw*>(raw), cols, padded, dark, flat, out, clamped);
    TOMOLIVE_CUDA_CHECK_LAUNCH("preprocess_rows");
  });
}

}  // namespace tomolive::kernels::cuda
