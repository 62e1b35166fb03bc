#include "frame_preprocess.hpp"

#include "block_count.cuh"
#include "cuda_check.hpp"
#include "tomolive/kernels/pixel_dispatch.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/preprocess.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kPixelsPerThread = 4;  // preprocess_rows_kernel
constexpr unsigned kColumnsPerBlock = kThreads * kPixelsPerThread;

// Mapping: one thread per pixel, grid-stride. Reads raw (itemsize bytes), sum and squares (8 + 8 bytes), writes sum
// and squares.
template <class Raw>
__global__ void __launch_bounds__(kThreads) accumulate_reference_kernel(const Raw* __restrict__ raw,
                                                                        std::size_t pixels, double* __restrict__ sum,
                                                                        double* __restrict__ squares) {
  for (std::size_t k = blockIdx.x * std::size_t{kThreads} + threadIdx.x; k < pixels;
       k += std::size_t{gridDim.x} * kThreads) {
    const auto value = static_cast<double>(raw[k]);
    sum[k] += value;
    squares[k] += value * value;
  }
}

// Mapping: one thread per pixel, grid-stride. Reads sum and squares unless count < 2, writes variance (4 bytes).
__global__ void __launch_bounds__(kThreads) reference_variance_kernel(const double* __restrict__ sum,
                                                                      const double* __restrict__ squares,
                                                                      std::size_t pixels, std::uint32_t count,
                                                                      float* __restrict__ variance) {
  const double n = count;
  for (std::size_t k = blockIdx.x * std::size_t{kThreads} + threadIdx.x; k < pixels;
       k += std::size_t{gridDim.x} * kThreads) {
    variance[k] = count < 2 ? 0.f : static_cast<float>(fmax(0.0, (squares[k] - sum[k] * sum[k] / n) / (n - 1.0)));
  }
}

// Mapping: one thread per repair. Reads the pixel's and its two neighbours' raw values and levels; writes one float
// and adds its clamp change with one 64-bit atomic (a repair list is short: the detector's defective pixels).
template <class Raw>
__global__ void __launch_bounds__(kThreads) repair_pixels_kernel(const Raw* __restrict__ raw,
                                                                 const PixelRepair* __restrict__ repairs,
                                                                 std::uint32_t count, std::uint32_t cols,
                                                                 std::uint32_t padded, const float* __restrict__ dark,
                                                                 const float* __restrict__ flat,
                                                                 float* __restrict__ out, RowRange counted,
                                                                 unsigned long long* __restrict__ clamped) {
  const std::uint32_t k = blockIdx.x * kThreads + threadIdx.x;
  if (k >= count) return;
  const PixelRepair r = repairs[k];
  bool was_clamped = false, now_clamped = false;
  attenuation(static_cast<float>(raw[r.pixel]), dark[r.pixel], flat[r.pixel], kMinTransmission, was_clamped);
  const float value = repaired_attenuation(static_cast<float>(raw[r.left]), dark[r.left], flat[r.left],
                                           static_cast<float>(raw[r.right]), dark[r.right], flat[r.right],
                                           r.right_weight, kMinTransmission, now_clamped);
  out[std::size_t{r.pixel / cols} * padded + r.pixel % cols] = value;
  if (now_clamped != was_clamped && counted.contains(r.pixel / cols)) {
    // -1 as two's complement: the running total stays exact modulo 2^64.
    atomicAdd(clamped, now_clamped ? 1ull : ~0ull);
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

// Mapping: grid (ceil(cols / 1024), rows), 256 threads; thread t of block (x, r) handles row r, columns
// 1024 x + t + 256 k (k < 4): coalesced, its 4 pixels' loads issued before the first use. Reads raw (itemsize bytes),
// dark and flat (4 + 4 bytes) per pixel; writes 4 bytes per pixel, the first cols of padded row r (the padding is
// never written: GpuRampFilter keeps it zero). Clamped pixels of the counted rows are counted per warp (shuffles), per
// block (shared memory), then one 64-bit atomic per block (add_block_count).
template <class Raw>
__global__ void __launch_bounds__(kThreads) preprocess_rows_kernel(const Raw* __restrict__ raw,
                                                                   std::uint32_t cols, std::uint32_t padded,
                                                                   const float* __restrict__ dark,
                                                                   const float* __restrict__ flat,
                                                                   float* __restrict__ out, RowRange counted,
                                                                   unsigned long long* __restrict__ clamped) {
  const std::uint32_t row = blockIdx.y;
  const bool counts = counted.contains(row);
  const std::uint32_t col0 = blockIdx.x * kColumnsPerBlock + threadIdx.x;
  float raw_value[kPixelsPerThread], dark_value[kPixelsPerThread], flat_value[kPixelsPerThread];
#pragma unroll
  for (unsigned k = 0; k < kPixelsPerThread; ++k) {
    const std::uint32_t col = col0 + kThreads * k;
    const std::size_t pixel = std::size_t{row} * cols + col;
    const bool in = col < cols;
    raw_value[k] = in ? static_cast<float>(raw[pixel]) : 0.f;
    dark_value[k] = in ? dark[pixel] : 0.f;
    flat_value[k] = in ? flat[pixel] : 1.f;
  }
  unsigned clamped_here = 0;
#pragma unroll
  for (unsigned k = 0; k < kPixelsPerThread; ++k) {
    const std::uint32_t col = col0 + kThreads * k;
    bool was_clamped = false;
    const float value = attenuation(raw_value[k], dark_value[k], flat_value[k], kMinTransmission, was_clamped);
    if (col < cols) {
      out[std::size_t{row} * padded + col] = value;
      clamped_here += was_clamped && counts ? 1u : 0u;
    }
  }
  add_block_count<kThreads>(clamped_here, clamped);
}

unsigned grid_stride_blocks(std::size_t pixels) {
  const std::size_t blocks = (pixels + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

}  // namespace

void accumulate_reference(const void* raw, PixelType type, std::size_t pixels, double* sum, double* squares,
                          cudaStream_t stream) {
  if (pixels == 0) return;
  visit_pixel_type(type, [&]<class Raw>(std::type_identity<Raw>) {
    accumulate_reference_kernel<Raw>
        <<<grid_stride_blocks(pixels), kThreads, 0, stream>>>(static_cast<const Raw*>(raw), pixels, sum, squares);
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

void reference_variance(const double* sum, const double* squares, std::size_t pixels, std::uint32_t count,
                        float* variance, cudaStream_t stream) {
  if (pixels == 0) return;
  reference_variance_kernel<<<grid_stride_blocks(pixels), kThreads, 0, stream>>>(sum, squares, pixels, count,
                                                                                  variance);
  TOMOLIVE_CUDA_CHECK_LAUNCH("reference_variance");
}

void repair_pixels(const void* raw, PixelType type, const PixelRepair* repairs, std::uint32_t count,
                   std::uint32_t cols, std::uint32_t padded, const float* dark, const float* flat, float* out,
                   unsigned long long* clamped, RowRange counted, cudaStream_t stream) {
  if (count == 0) return;
  visit_pixel_type(type, [&]<class Raw>(std::type_identity<Raw>) {
    repair_pixels_kernel<Raw><<<(count + kThreads - 1) / kThreads, kThreads, 0, stream>>>(
        static_cast<const Raw*>(raw), repairs, count, cols, padded, dark, flat, out, counted, clamped);
    TOMOLIVE_CUDA_CHECK_LAUNCH("repair_pixels");
  });
}

void preprocess_rows(const void* raw, PixelType type, std::uint32_t rows, std::uint32_t cols, std::uint32_t padded,
                     const float* dark, const float* flat, float* out, unsigned long long* clamped,
                     RowRange counted, cudaStream_t stream) {
  if (rows == 0) return;
  const dim3 grid((cols + kColumnsPerBlock - 1) / kColumnsPerBlock, rows);
  visit_pixel_type(type, [&]<class Raw>(std::type_identity<Raw>) {
    preprocess_rows_kernel<Raw><<<grid, kThreads, 0, stream>>>(static_cast<const Raw*>(raw), cols, padded, dark, flat,
                                                                out, counted, clamped);
    TOMOLIVE_CUDA_CHECK_LAUNCH("preprocess_rows");
  });
}

}  // namespace tomolive::kernels::cuda
