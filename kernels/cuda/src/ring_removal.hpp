// RingRemoval: the sorting pass of ring removal on the GPU (processing.hpp step 3; Vo, Atwood & Drakopoulos 2018,
// algorithm 3) over every stored projection. Per detector row r, with N stored projections (slots in increasing
// order) and the detector columns c:
//   1. gather: the sinogram of row r from the store, column by column (a segment of N values per column, with each
//      value's position k = 0..N-1 in slot order);
//   2. sort each segment by value, stable (cub::DeviceSegmentedSort::StableSortPairs: ties keep slot order);
//   3. median-filter each rank's row of the sorted sinogram across `size` columns (indices clamped at the detector's
//      edges), one thread per rank sliding a sorted window along a chunk of columns;
//   4. the ring offset of (r, c): the mean over the N projections of (median - sorted value), for projections that
//      arrive after the pass;
//   5. scatter: each median back into the store, at the slot its value came from.
// Rows go through in batches (several rows per sort) whose work buffers fit kWorkBudgetBytes (at least one row).
//
// Device memory (allocated at construction, sized for every slot of the store in use): per batch element 16 bytes
// (keys and positions, before and after the sort), the segment offsets, CUB's work area, the slot table.
// Thread safety: one owner; work is ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>

#include "device_resources.hpp"
#include "processing_frame.hpp"
#include "projection_store.hpp"

namespace tomolive::kernels::cuda {

class RingRemoval {
 public:
  static constexpr std::uint64_t kWorkBudgetBytes = std::uint64_t{256} << 20;

  // Work memory for passes over stores of `layout`. Throws EngineError when allocation fails or one row's sinogram
  // has more values than a sort can take.
  RingRemoval(const StoreLayout& layout, cudaStream_t stream);

  // Device bytes an instance for `layout` holds, without allocating.
  static std::uint64_t estimate_bytes(const StoreLayout& layout);

  // Enqueues the pass over `slots` (host memory, increasing, each < layout.slots) of `store`, whose slots hold the
  // projections after the phase step: replaces their values in the detector columns (detector.count >= 1) by the
  // ring-corrected ones, and writes `offsets` (rows x cols floats, row-major, device memory): the mean change of
  // each pixel, zero outside the detector columns and when `slots` is empty. `size`: the median window, odd,
  // 3..kMaxRingSize. The slot table is copied before the call returns.
  void run(ProjectionStore& store, std::span<const std::uint32_t> slots, const DetectorColumns& detector,
           std::uint32_t size, float* offsets);

 private:
  struct Sizes {
    std::uint32_t batch_rows;  // detector rows per sort
    std::uint64_t items;       // values per batch at most
    std::uint64_t segments;    // columns per batch at most
    std::uint64_t sort_work;   // CUB's work area, bytes
  };
  static Sizes sizes(const StoreLayout& layout);

  StoreLayout layout_;
  cudaStream_t stream_;
  Sizes sizes_;
  DeviceArray<std::uint32_t> slots_;
  DeviceArray<float> keys_, sorted_keys_;  // keys_ holds the medians after the sort
  DeviceArray<std::uint32_t> positions_, sorted_positions_;
  DeviceArray<std::int64_t> segment_offsets_;
  DeviceArray<unsigned char> sort_work_;
};

}  // namespace tomolive::kernels::cuda
