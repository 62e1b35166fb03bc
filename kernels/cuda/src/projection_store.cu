#include "projection_store.hpp"

#include "store_cell.cuh"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kStoreThreads = 256;

// Mapping: one thread per cell of a slot, grid (ceil(pitch / 256), quads, frames); thread (k, q, f) packs column k of
// detector rows 4q .. 4q + 3 of frame f into slot slots.slot(f). Reads 4 filtered floats (coalesced along k; rows past
// `rows` and columns past `cols` read as 0), writes one cell (16 or 8 bytes).
template <class Store>
__global__ void __launch_bounds__(kStoreThreads) store_projection(const float* __restrict__ filtered,
                                                                  std::uint32_t row_pitch, std::uint32_t rows,
                                                                  std::uint32_t cols, std::uint32_t quads,
                                                                  std::uint32_t pitch, SlotBatch slots,
                                                                  typename Store::Cell* __restrict__ cells) {
  const std::uint32_t col = blockIdx.x * kStoreThreads + threadIdx.x;
  const std::uint32_t quad = blockIdx.y;
  if (col >= pitch) return;
  filtered += std::size_t{blockIdx.z} * rows * row_pitch;
  typename Store::Cell* const slot_cells = cells + std::size_t{slots.slot(blockIdx.z)} * quads * pitch;
  float values[4];
#pragma unroll
  for (std::uint32_t lane = 0; lane < 4; ++lane) {
    const std::uint32_t row = 4 * quad + lane;
    values[lane] = (row < rows && col < cols) ? filtered[std::size_t{row} * row_pitch + col] : 0.f;
  }
  slot_cells[std::size_t{quad} * pitch + col] = Store::pack(values[0], values[1], values[2], values[3]);
}

// Mapping: one thread per value of a slot, grid (ceil(cols / 256), rows, frames); thread (k, r, f) reads lane r % 4
// of cell (r / 4, k) of slot slots.slot(f) and writes float (r, k) of frame f at out + (f * rows + r) * row_pitch + k
// (coalesced along k).
template <class Store>
__global__ void __launch_bounds__(kStoreThreads) load_projection(const typename Store::Cell* __restrict__ cells,
                                                                 std::uint32_t rows, std::uint32_t cols,
                                                                 std::uint32_t quads, std::uint32_t pitch,
                                                                 SlotBatch slots, float* __restrict__ out,
                                                                 std::uint32_t row_pitch) {
  const std::uint32_t col = blockIdx.x * kStoreThreads + threadIdx.x;
  const std::uint32_t row = blockIdx.y;
  if (col >= cols) return;
  const typename Store::Cell* const slot_cells = cells + std::size_t{slots.slot(blockIdx.z)} * quads * pitch;
  out[(std::size_t{blockIdx.z} * rows + row) * row_pitch + col] =
      Store::lane(slot_cells, std::size_t{row / 4} * pitch + col, row % 4);
}

}  // namespace

const char* store_type_name(StoreType type) { return type == StoreType::float32 ? "float32" : "float16"; }

StoreLayout StoreLayout::make(std::uint32_t slots, std::uint32_t rows, std::uint32_t cols) {
  StoreLayout layout;
  layout.slots = slots;
  layout.rows = rows;
  layout.cols = cols;
  layout.quads = (rows + 3) / 4;
  layout.pitch = (cols + 3) / 4 * 4;
  return layout;
}

ProjectionStore::ProjectionStore(const StoreLayout& layout, StoreType type)
    : layout_(layout), type_(type), cells_(layout.bytes(type)) {
  // Zero: padding rows and columns must read as 0, and so must slots never written.
  TOMOLIVE_CUDA_CHECK(cudaMemset(cells_.get(), 0, cells_.bytes()));
}

void ProjectionStore::write(const SlotBatch& slots, const float* filtered, std::uint32_t row_pitch,
                            cudaStream_t stream) {
  if (layout_.quads == 0 || layout_.pitch == 0 || slots.frames == 0) return;
  const dim3 grid((layout_.pitch + kStoreThreads - 1) / kStoreThreads, layout_.quads, slots.frames);
  visit_store_type(type_, [&]<class Store>(Store) {
    store_projection<Store><<<grid, kStoreThreads, 0, stream>>>(
        filtered, row_pitch, layout_.rows, layout_.cols, layout_.quads, layout_.pitch, slots,
        static_cast<typename Store::Cell*>(slot_cells(0)));
    TOMOLIVE_CUDA_CHECK_LAUNCH("store_projection");
  });
}

void ProjectionStore::read(const SlotBatch& slots, float* out, std::uint32_t row_pitch, cudaStream_t stream) const {
  if (layout_.rows == 0 || layout_.cols == 0 || slots.frames == 0) return;
  const dim3 grid((layout_.cols + kStoreThreads - 1) / kStoreThreads, layout_.rows, slots.frames);
  visit_store_type(type_, [&]<class Store>(Store) {
    load_projection<Store><<<grid, kStoreThreads, 0, stream>>>(
        static_cast<const typename Store::Cell*>(slot_cells(0)), layout_.rows,
        layout_.cols, layout_.quads, layout_.pitch, slots, out, row_pitch);
    TOMOLIVE_CUDA_CHECK_LAUNCH("load_projection");
  });
}

}  // namespace tomolive::kernels::cuda
