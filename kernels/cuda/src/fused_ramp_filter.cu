#include "fused_ramp_filter.hpp"

#include <string>

#include "block_count.cuh"
#include "cuda_check.hpp"
#include "fft4096.hpp"
#include "tomolive/kernels/pixel_dispatch.hpp"
#include "store_cell.cuh"
#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/preprocess.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

namespace fft = fft4096;

// A quad's two transforms: p = 0 holds rows 4q (real part) and 4q + 1 (imaginary part), p = 1 rows 4q + 2 and 4q + 3.
// Thread p * 256 + t is thread t of transform p. (One thread per value set of each transform rather than one for both:
// the two would need about 160 registers, and at 128 ptxas spills.)
constexpr unsigned kTransforms = 2;
constexpr unsigned kThreads = kTransforms * fft::kThreads;
constexpr std::size_t kSharedBytes = std::size_t{kTransforms} * fft::kSlots * sizeof(Complex);  // 69 632

using Values = Complex[fft::kValues];

// Moves the values of every thread of the block from pattern `from` to pattern `to` through the shared array
// `transform` (this thread's transform's kSlots). The leading barrier lets every thread finish reading the previous
// exchange before the array is overwritten.
__device__ __forceinline__ void exchange(Complex* transform, std::uint32_t t, Values& v, fft::Pattern from,
                                         fft::Pattern to) {
  __syncthreads();
#pragma unroll
  for (unsigned j = 0; j < fft::kValues; ++j) transform[fft::slot(fft::logical_index(from, t, j))] = v[j];
  __syncthreads();
#pragma unroll
  for (unsigned j = 0; j < fft::kValues; ++j) v[j] = transform[fft::slot(fft::logical_index(to, t, j))];
}

// Mapping: grid (quads), 512 threads, 68 KiB of dynamic shared memory; block q filters detector rows 4q .. 4q + 3
// into cell row q of the slot. Thread (p, t) reads columns 256 a + t (a < 8) of rows 4q + 2p and 4q + 2p + 1, and
// writes the cells of columns 256 a + t for a = 4p .. 4p + 3: coalesced. Per pixel: raw (itemsize bytes), dark and
// flat (4 + 4 bytes) read, its attenuation written to `corrected` (the slot's values in the corrected store, row-major
// rows x cols: 4 or 2 bytes, coalesced like the reads) and a quarter of a cell (4 or 2 bytes) written; columns past
// cols and rows past `rows` read as zero attenuation and are stored as zeros (in the cells only). A quad's repairs are
// spread over the block's threads (one each; a quad has a handful): 3 pixels' raw values and levels read, one value
// written to shared memory and to `corrected`, a clamp change added by one 64-bit atomic.
template <class Raw, class Store>
__global__ void __launch_bounds__(kThreads)
    fused_ramp_filter_kernel(const Raw* __restrict__ raw, std::uint32_t rows, std::uint32_t cols, std::uint32_t pitch,
                             const float* __restrict__ dark, const float* __restrict__ flat,
                             const float* __restrict__ response, typename Store::Value* __restrict__ corrected,
                             typename Store::Cell* __restrict__ slot_cells, RowRange counted,
                             unsigned long long* __restrict__ clamped, QuadRepairs repairs) {
  extern __shared__ Complex shared[];
  const std::uint32_t p = threadIdx.x / fft::kThreads;
  const std::uint32_t t = threadIdx.x % fft::kThreads;
  const std::uint32_t quad = blockIdx.x;
  Complex* const transform = shared + p * fft::kSlots;
  Values v;
  unsigned clamped_here = 0;
  // Rows 4q + 2p (real parts) and 4q + 2p + 1 (imaginary parts); a row's 8 loads are in flight together.
#pragma unroll
  for (unsigned h = 0; h < 2; ++h) {
    const std::uint32_t row = 4 * quad + 2 * p + h;
    float raw_value[fft::kHalfValues], dark_value[fft::kHalfValues], flat_value[fft::kHalfValues];
#pragma unroll
    for (unsigned a = 0; a < fft::kHalfValues; ++a) {
      const std::uint32_t col = 256 * a + t;
      const bool in = row < rows && col < cols;
      const std::size_t pixel = std::size_t{row} * cols + col;
      raw_value[a] = in ? static_cast<float>(raw[pixel]) : 0.f;
      dark_value[a] = in ? dark[pixel] : 0.f;
      flat_value[a] = in ? flat[pixel] : 1.f;
    }
#pragma unroll
    for (unsigned a = 0; a < fft::kHalfValues; ++a) {
      const std::uint32_t col = 256 * a + t;
      const bool in = row < rows && col < cols;
      bool was_clamped = false;
      const float value = attenuation(raw_value[a], dark_value[a], flat_value[a], kMinTransmission, was_clamped);
      if (in) set_value(corrected, std::size_t{row} * cols + col, value);
      (h == 0 ? v[a].re : v[a].im) = in ? value : 0.f;
      clamped_here += in && was_clamped && counted.contains(row) ? 1u : 0u;
    }
  }

  // The quad's defective pixels (a block-uniform branch, taken by the few quads that have any): the values through
  // shared memory in natural order (by_column: column 256 a + t of this transform), each repair's value written over
  // its pixel's there and in the corrected store, then back into registers.
  const std::uint32_t first_repair = repairs.begin != nullptr ? repairs.begin[quad] : 0;
  const std::uint32_t end_repair = repairs.begin != nullptr ? repairs.begin[quad + 1] : 0;
  if (first_repair != end_repair) {
#pragma unroll
    for (unsigned a = 0; a < fft::kHalfValues; ++a) transform[fft::slot(fft::logical_index(fft::Pattern::by_column, t, a))] = v[a];
    __syncthreads();
    for (std::uint32_t k = first_repair + threadIdx.x; k < end_repair; k += kThreads) {
      const PixelRepair r = repairs.list[k];
      const std::uint32_t row = r.pixel / cols, col = r.pixel % cols, local = row - 4 * quad;
      bool was_clamped = false, now_clamped = false;
      attenuation(static_cast<float>(raw[r.pixel]), dark[r.pixel], flat[r.pixel], kMinTransmission, was_clamped);
      const float value = repaired_attenuation(static_cast<float>(raw[r.left]), dark[r.left], flat[r.left],
                                               static_cast<float>(raw[r.right]), dark[r.right], flat[r.right],
                                               r.right_weight, kMinTransmission, now_clamped);
      Complex& cell = shared[(local / 2) * fft::kSlots + fft::slot(col)];
      (local % 2 == 0 ? cell.re : cell.im) = value;
      set_value(corrected, r.pixel, value);
      if (now_clamped != was_clamped && counted.contains(row)) {
        atomicAdd(clamped, now_clamped ? 1ull : ~0ull);  // -1 as two's complement: the total stays exact mod 2^64
      }
    }
    __syncthreads();
#pragma unroll
    for (unsigned a = 0; a < fft::kHalfValues; ++a) v[a] = transform[fft::slot(fft::logical_index(fft::Pattern::by_column, t, a))];
  }

  fft::forward_pass1(t, v);
  exchange(transform, t, v, fft::Pattern::by_column, fft::Pattern::by_middle);
  fft::forward_pass2(t, v);
  exchange(transform, t, v, fft::Pattern::by_middle, fft::Pattern::by_inner);
  fft::forward_pass3(v);
  // The response is real and even: bins k and N - k share response[min(k, N - k)].
#pragma unroll
  for (unsigned j = 0; j < fft::kValues; ++j) {
    const std::uint32_t k = fft::spectrum_bin(t, j);
    v[j] = v[j] * __ldg(response + (k <= fft::kLength / 2 ? k : fft::kLength - k));
  }
  fft::inverse_pass1(t, v);
  exchange(transform, t, v, fft::Pattern::by_inner, fft::Pattern::by_middle);
  fft::inverse_pass2(t, v);
  exchange(transform, t, v, fft::Pattern::by_middle, fft::Pattern::by_column);
  fft::inverse_pass3(v);

  // A cell holds all 4 rows, i.e. both transforms: through shared memory once more (natural order, by_column).
  __syncthreads();
#pragma unroll
  for (unsigned a = 0; a < fft::kHalfValues; ++a) {
    transform[fft::slot(fft::logical_index(fft::Pattern::by_column, t, a))] = v[a];
  }
  __syncthreads();
  const bool row_in[4] = {4 * quad < rows, 4 * quad + 1 < rows, 4 * quad + 2 < rows, 4 * quad + 3 < rows};
#pragma unroll
  for (unsigned k = 0; k < fft::kHalfValues / kTransforms; ++k) {
    const std::uint32_t a = p * (fft::kHalfValues / kTransforms) + k;
    const std::uint32_t col = 256 * a + t;
    if (col >= pitch) continue;
    const std::uint32_t s = fft::slot(fft::logical_index(fft::Pattern::by_column, t, a));
    const Complex low = shared[s], high = shared[fft::kSlots + s];  // rows 4q, 4q + 1 and 4q + 2, 4q + 3
    const bool in = col < cols;
    slot_cells[std::size_t{quad} * pitch + col] =
        Store::pack(in && row_in[0] ? low.re : 0.f, in && row_in[1] ? low.im : 0.f, in && row_in[2] ? high.re : 0.f,
                    in && row_in[3] ? high.im : 0.f);
  }
  add_block_count<kThreads>(clamped_here, clamped);
}

}  // namespace

bool FusedRampFilter::handles(std::uint32_t cols) { return cols != 0 && padded_length(cols) == fft::kLength; }

// The padded length of the detectors the fused kernel takes, after checking that it takes `cols`.
static std::uint32_t checked_padded_length(std::uint32_t cols) {
  if (!FusedRampFilter::handles(cols)) {
    throw EngineError("FusedRampFilter: " + std::to_string(cols) + " columns pad to " +
                      std::to_string(padded_length(cols)) + ", not " + std::to_string(fft::kLength));
  }
  return fft::kLength;
}

FusedRampFilter::FusedRampFilter(std::uint32_t cols) : cols_(cols), response_(checked_padded_length(cols)) {
  for (const PixelType pixels : {PixelType::uint8, PixelType::uint16, PixelType::uint32, PixelType::float32}) {
    for (const StoreType store : {StoreType::float32, StoreType::float16}) {
      visit_pixel_type(pixels, [&]<class Raw>(std::type_identity<Raw>) {
        visit_store_type(store, [&]<class Store>(Store) {
          TOMOLIVE_CUDA_CHECK(cudaFuncSetAttribute(fused_ramp_filter_kernel<Raw, Store>,
                                                   cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                   static_cast<int>(kSharedBytes)));
        });
      });
    }
  }
}

std::uint64_t FusedRampFilter::estimate_bytes() { return FilterResponseTable::bytes(fft::kLength); }

void FusedRampFilter::filter_into(const void* raw, PixelType type, const float* dark, const float* flat,
                                  CorrectedStore& corrected, ProjectionStore& store, std::uint32_t slot,
                                  unsigned long long* clamped, RowRange counted, const QuadRepairs& repairs,
                                  cudaStream_t stream) const {
  const StoreLayout& layout = store.layout();
  if (layout.cols != cols_) {
    throw EngineError("FusedRampFilter: made for " + std::to_string(cols_) + " columns, the store has " +
                      std::to_string(layout.cols));
  }
  if (corrected.type() != store.type()) {
    throw EngineError("FusedRampFilter: the corrected store's precision differs from the projection store's");
  }
  if (layout.quads == 0) return;
  void* cells = store.slot_cells(slot);
  void* values = corrected.slot_data(slot);
  visit_pixel_type(type, [&]<class Raw>(std::type_identity<Raw>) {
    visit_store_type(store.type(), [&]<class Store>(Store) {
      fused_ramp_filter_kernel<Raw, Store><<<layout.quads, kThreads, kSharedBytes, stream>>>(
          static_cast<const Raw*>(raw), layout.rows, layout.cols, layout.pitch, dark, flat, response_.get(),
          static_cast<typename Store::Value*>(values), static_cast<typename Store::Cell*>(cells), counted, clamped, repairs);
      TOMOLIVE_CUDA_CHECK_LAUNCH("fused_ramp_filter");
    });
  });
}

}  // namespace tomolive::kernels::cuda
