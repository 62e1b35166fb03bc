#include "ring_removal.hpp"

#include <cub/device/device_segmented_sort.cuh>

#include <algorithm>
#include <limits>
#include <string>

#include "cuda_check.hpp"
#include "store_cell.cuh"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMedianThreads = 32;  // one warp: thread t's window is column t of the shared array (no conflicts)
constexpr std::uint32_t kMedianChunk = 64;  // columns a median thread slides its window over
constexpr std::uint32_t kMaxGridY = 65535;
constexpr std::uint64_t kMaxGridStrideBlocks = 1u << 20;

unsigned grid_stride_blocks(std::uint64_t items) {
  return static_cast<unsigned>(std::min<std::uint64_t>((items + kThreads - 1) / kThreads, kMaxGridStrideBlocks));
}

std::uint32_t median_chunks(std::uint32_t columns) { return (columns + kMedianChunk - 1) / kMedianChunk; }

// Where batch element i lives: position k (slot order) of the segment of batch row b and detector column c, segments
// ordered (b, c), each `count` long.
struct Element {
  std::uint32_t k, c, b;
};
__device__ __forceinline__ Element element(std::uint64_t i, std::uint32_t count, std::uint32_t columns) {
  const std::uint64_t segment = i / count;
  return {static_cast<std::uint32_t>(i % count), static_cast<std::uint32_t>(segment % columns),
          static_cast<std::uint32_t>(segment / columns)};
}

__device__ __forceinline__ std::uint64_t cell_index(const StoreLayout& layout, std::uint32_t slot, std::uint32_t row,
                                                    std::uint32_t col) {
  return (std::uint64_t{slot} * layout.quads + row / 4) * layout.pitch + col;
}

// Mapping: grid-stride, one thread per element (k fastest: coalesced writes; the store reads are scattered, one lane
// of a cell each). -0 is stored as +0, so that the sort's order agrees with the comparison of values (ties in slot
// order).
template <class Store>
__global__ void __launch_bounds__(kThreads) gather_sinograms(const typename Store::Cell* __restrict__ cells,
                                                             StoreLayout layout, const std::uint32_t* __restrict__ slots,
                                                             std::uint32_t count, std::uint32_t row0,
                                                             DetectorColumns detector, std::uint64_t items,
                                                             float* __restrict__ keys,
                                                             std::uint32_t* __restrict__ positions) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t{kThreads} + threadIdx.x; i < items;
       i += std::uint64_t{gridDim.x} * kThreads) {
    const Element e = element(i, count, detector.count);
    const std::uint32_t row = row0 + e.b;
    const float value = Store::lane(cells, cell_index(layout, slots[e.k], row, detector.first + e.c), row % 4);
    keys[i] = value == 0.f ? 0.f : value;
    positions[i] = e.k;
  }
}

// Mapping: grid-stride, one thread per element: the median of rank k goes to the slot its sorted value came from.
template <class Store>
__global__ void __launch_bounds__(kThreads) scatter_sinograms(typename Store::Cell* __restrict__ cells,
                                                              StoreLayout layout,
                                                              const std::uint32_t* __restrict__ slots,
                                                              std::uint32_t count, std::uint32_t row0,
                                                              DetectorColumns detector, std::uint64_t items,
                                                              const float* __restrict__ medians,
                                                              const std::uint32_t* __restrict__ positions) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t{kThreads} + threadIdx.x; i < items;
       i += std::uint64_t{gridDim.x} * kThreads) {
    const Element e = element(i, count, detector.count);
    const std::uint32_t row = row0 + e.b;
    Store::set_lane(cells, cell_index(layout, slots[positions[i]], row, detector.first + e.c), row % 4, medians[i]);
  }
}

// Mapping: grid-stride over segments + 1 offsets: offsets[s] = s * count.
__global__ void __launch_bounds__(kThreads) fill_segment_offsets(std::int64_t* __restrict__ offsets,
                                                                 std::uint64_t segments, std::uint32_t count) {
  for (std::uint64_t s = blockIdx.x * std::uint64_t{kThreads} + threadIdx.x; s <= segments;
       s += std::uint64_t{gridDim.x} * kThreads) {
    offsets[s] = static_cast<std::int64_t>(s * count);
  }
}

// Mapping: grid (ceil(count / 32), batch rows x chunks), 32 threads; thread k of block (x, (b, chunk)) takes rank
// k = 32 x + t of batch row b and slides a sorted window of `size` values (shared memory, value j of thread t at
// windows[32 j + t]) over the chunk's columns: per column one binary search for the value leaving, one move of the
// value entering to its place. Reads are coalesced along k.
__global__ void __launch_bounds__(kMedianThreads) median_across_columns(const float* __restrict__ sorted,
                                                                        float* __restrict__ medians,
                                                                        std::uint32_t count, std::uint32_t columns,
                                                                        std::uint32_t chunks, std::uint32_t size) {
  extern __shared__ float windows[];
  const std::uint32_t k = blockIdx.x * kMedianThreads + threadIdx.x;
  if (k >= count) return;
  const std::uint32_t b = blockIdx.y / chunks;
  const std::uint32_t c_begin = (blockIdx.y % chunks) * kMedianChunk;
  const std::uint32_t c_end = min(c_begin + kMedianChunk, columns);
  const std::size_t base = std::size_t{b} * columns * count + k;
  const int last = static_cast<int>(columns) - 1;
  auto value = [&](int c) { return sorted[base + static_cast<std::size_t>(min(max(c, 0), last)) * count]; };
  float* const w = windows + threadIdx.x;  // w[kMedianThreads * j]: value j of this thread's window
  auto at = [&](std::uint32_t j) -> float& { return w[kMedianThreads * j]; };
  const int half = static_cast<int>(size / 2);

  // The first column's window, by insertion.
  for (std::uint32_t j = 0; j < size; ++j) {
    const float x = value(static_cast<int>(c_begin) - half + static_cast<int>(j));
    std::uint32_t p = j;
    for (; p > 0 && at(p - 1) > x; --p) at(p) = at(p - 1);
    at(p) = x;
  }
  medians[base + std::size_t{c_begin} * count] = at(size / 2);

  for (std::uint32_t c = c_begin + 1; c < c_end; ++c) {
    const float leaving = value(static_cast<int>(c) - 1 - half);
    const float entering = value(static_cast<int>(c) + half);
    // The first window position holding `leaving` (it is there: it entered earlier).
    std::uint32_t lo = 0, hi = size;
    while (lo < hi) {
      const std::uint32_t mid = (lo + hi) / 2;
      if (at(mid) < leaving) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    std::uint32_t p = lo;
    // Replace it by `entering` and move that to its place: values after p are >= leaving, values before it < leaving.
    if (entering > leaving) {
      for (; p + 1 < size && at(p + 1) < entering; ++p) at(p) = at(p + 1);
    } else {
      for (; p > 0 && at(p - 1) > entering; --p) at(p) = at(p - 1);
    }
    at(p) = entering;
    medians[base + std::size_t{c} * count] = at(size / 2);
  }
}

// Mapping: one warp per segment (batch row b, detector column c), 8 warps a block: the mean of (median - sorted)
// over the segment's `count` values (lanes stride over them, sums in double, then a shuffle reduction) into
// offsets[(row0 + b) * cols + detector.first + c].
__global__ void __launch_bounds__(kThreads) mean_ring_offsets(const float* __restrict__ sorted,
                                                              const float* __restrict__ medians, std::uint32_t count,
                                                              std::uint64_t segments, std::uint32_t row0,
                                                              DetectorColumns detector, std::uint32_t cols,
                                                              float* __restrict__ offsets) {
  const std::uint64_t segment = (blockIdx.x * std::uint64_t{kThreads} + threadIdx.x) / 32;
  const unsigned lane = threadIdx.x % 32;
  if (segment >= segments) return;  // whole warps: segment is uniform within a warp
  double sum = 0.0;
  for (std::uint32_t k = lane; k < count; k += 32) {
    const std::size_t i = segment * count + k;
    sum += static_cast<double>(medians[i]) - static_cast<double>(sorted[i]);
  }
#pragma unroll
  for (unsigned offset = 16; offset != 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (lane == 0) {
    const std::uint64_t b = segment / detector.count;
    const std::uint32_t c = static_cast<std::uint32_t>(segment % detector.count);
    offsets[(row0 + b) * cols + detector.first + c] = static_cast<float>(sum / count);
  }
}

// CUB's work area for a stable segmented sort of `items` (key, position) pairs in `segments` segments, bytes.
std::size_t sort_work_bytes(std::uint64_t items, std::uint64_t segments, cudaStream_t stream) {
  std::size_t bytes = 0;
  TOMOLIVE_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(
      nullptr, bytes, static_cast<const float*>(nullptr), static_cast<float*>(nullptr),
      static_cast<const std::uint32_t*>(nullptr), static_cast<std::uint32_t*>(nullptr),
      static_cast<std::int64_t>(items), static_cast<std::int64_t>(segments),
      static_cast<const std::int64_t*>(nullptr), static_cast<const std::int64_t*>(nullptr), stream));
  return bytes;
}

}  // namespace

RingRemoval::Sizes RingRemoval::sizes(const StoreLayout& layout) {
  const std::uint64_t row_items = std::uint64_t{layout.slots} * layout.cols;
  if (row_items > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    throw EngineError("ring removal: one detector row holds " + std::to_string(row_items) + " values (" +
                      std::to_string(layout.slots) + " slots x " + std::to_string(layout.cols) +
                      " columns), more than a sort takes (2^31 - 1)");
  }
  Sizes s{};
  const std::uint64_t by_budget = kWorkBudgetBytes / std::max<std::uint64_t>(1, row_items * 16);
  const std::uint64_t by_grid = kMaxGridY / std::max<std::uint32_t>(1, median_chunks(layout.cols));
  s.batch_rows = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, std::min<std::uint64_t>({by_budget, by_grid, std::max(layout.rows, 1u)})));
  s.items = row_items * s.batch_rows;
  s.segments = std::uint64_t{layout.cols} * s.batch_rows;
  s.sort_work = sort_work_bytes(s.items, s.segments, nullptr);
  return s;
}

std::uint64_t RingRemoval::estimate_bytes(const StoreLayout& layout) {
  const Sizes s = sizes(layout);
  return s.items * 4 * sizeof(float) + (s.segments + 1) * sizeof(std::int64_t) + s.sort_work +
         std::uint64_t{layout.slots} * sizeof(std::uint32_t);
}

RingRemoval::RingRemoval(const StoreLayout& layout, cudaStream_t stream)
    : layout_(layout),
      stream_(stream),
      sizes_(sizes(layout)),
      slots_(layout.slots),
      keys_(sizes_.items),
      sorted_keys_(sizes_.items),
      positions_(sizes_.items),
      sorted_positions_(sizes_.items),
      segment_offsets_(sizes_.segments + 1),
      sort_work_(sizes_.sort_work) {}

void RingRemoval::run(ProjectionStore& store, std::span<const std::uint32_t> slots, const DetectorColumns& detector,
                      std::uint32_t size, float* offsets) {
  const std::uint32_t rows = layout_.rows, cols = layout_.cols;
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(offsets, 0, std::size_t{rows} * cols * sizeof(float), stream_));
  const auto count = static_cast<std::uint32_t>(slots.size());
  if (count == 0 || detector.count == 0 || rows == 0) return;
  if (count > layout_.slots || detector.first + detector.count > cols || size % 2 == 0) {
    throw EngineError("ring removal: " + std::to_string(count) + " slots of " + std::to_string(layout_.slots) +
                      ", detector columns [" + std::to_string(detector.first) + ", " +
                      std::to_string(detector.first + detector.count) + ") of " + std::to_string(cols) +
                      ", window " + std::to_string(size) + " (must be odd)");
  }
  // From pageable memory: staged before the call returns, ordered on the stream.
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(slots_.get(), slots.data(), slots.size_bytes(), cudaMemcpyHostToDevice, stream_));
  const std::uint64_t max_segments = std::uint64_t{sizes_.batch_rows} * detector.count;
  const std::size_t work = sort_work_bytes(max_segments * count, max_segments, stream_);
  if (work > sort_work_.size()) {
    throw EngineError("ring removal: the sort needs " + std::to_string(work) + " bytes of work memory, " +
                      std::to_string(sort_work_.size()) + " were planned");
  }
  fill_segment_offsets<<<grid_stride_blocks(max_segments + 1), kThreads, 0, stream_>>>(segment_offsets_.get(),
                                                                                       max_segments, count);
  TOMOLIVE_CUDA_CHECK_LAUNCH("fill_segment_offsets");

  const std::uint32_t chunks = median_chunks(detector.count);
  const std::size_t median_shared = std::size_t{size} * kMedianThreads * sizeof(float);  // <= 32 640 bytes
  visit_store_type(store.type(), [&]<class Store>(Store) {
    auto* cells = static_cast<typename Store::Cell*>(store.slot_cells(0));
    for (std::uint32_t row0 = 0; row0 < rows; row0 += sizes_.batch_rows) {
      const std::uint32_t batch_rows = std::min(sizes_.batch_rows, rows - row0);
      const std::uint64_t segments = std::uint64_t{batch_rows} * detector.count;
      const std::uint64_t items = segments * count;
      gather_sinograms<Store><<<grid_stride_blocks(items), kThreads, 0, stream_>>>(
          cells, layout_, slots_.get(), count, row0, detector, items, keys_.get(), positions_.get());
      TOMOLIVE_CUDA_CHECK_LAUNCH("gather_sinograms");

      std::size_t work_bytes = sort_work_.size();
      TOMOLIVE_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(
          sort_work_.get(), work_bytes, keys_.get(), sorted_keys_.get(), positions_.get(), sorted_positions_.get(),
          static_cast<std::int64_t>(items), static_cast<std::int64_t>(segments), segment_offsets_.get(),
          segment_offsets_.get() + 1, stream_));

      const dim3 median_grid((count + kMedianThreads - 1) / kMedianThreads, batch_rows * chunks);
      median_across_columns<<<median_grid, kMedianThreads, median_shared, stream_>>>(
          sorted_keys_.get(), keys_.get(), count, detector.count, chunks, size);
      TOMOLIVE_CUDA_CHECK_LAUNCH("median_across_columns");

      mean_ring_offsets<<<static_cast<unsigned>((segments * 32 + kThreads - 1) / kThreads), kThreads, 0, stream_>>>(
          sorted_keys_.get(), keys_.get(), count, segments, row0, detector, cols, offsets);
      TOMOLIVE_CUDA_CHECK_LAUNCH("mean_ring_offsets");

      scatter_sinograms<Store><<<grid_stride_blocks(items), kThreads, 0, stream_>>>(
          cells, layout_, slots_.get(), count, row0, detector, items, keys_.get(), sorted_positions_.get());
      TOMOLIVE_CUDA_CHECK_LAUNCH("scatter_sinograms");
    }
  });
}

}  // namespace tomolive::kernels::cuda
