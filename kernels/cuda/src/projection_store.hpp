// ProjectionStore: every filtered projection of a scan (or of its sliding window), resident in GPU memory.
//
// Layout (slot-major). Inside a slot, detector rows are grouped in quads of 4 consecutive rows (the last quad padded
// with zero rows); a cell holds the 4 rows' values at one detector column:
//   cell (slot, quad, col) is at index (slot * quads + quad) * pitch + col,
//   pitch = cols rounded up to a multiple of 4; cells at col >= cols are zero.
// A vertical slice reads one quad row (pitch contiguous cells) per projection and shares the interpolation position
// between the 4 rows of a cell; the axial slice reads one lane of one quad row. A cell is a float4 (float32 store) or
// 4 halves in 8 bytes (float16 store, rounded to nearest); a quad row is a multiple of 16 bytes, 16-byte aligned.
//
// Thread safety: one owner (the engine); GPU work is ordered by the stream passed in.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_resources.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels::cuda {

enum class StoreType : std::uint8_t { float32, float16 };

const char* store_type_name(StoreType type);

struct StoreLayout {
  std::uint32_t slots = 0;
  std::uint32_t rows = 0;   // detector rows
  std::uint32_t cols = 0;   // detector columns
  std::uint32_t quads = 0;  // ceil(rows / 4)
  std::uint32_t pitch = 0;  // cells per quad row

  static StoreLayout make(std::uint32_t slots, std::uint32_t rows, std::uint32_t cols);
  std::uint64_t cells() const { return std::uint64_t{slots} * quads * pitch; }
  std::uint64_t bytes(StoreType type) const { return cells() * cell_bytes(type); }
  static std::uint32_t cell_bytes(StoreType type) { return type == StoreType::float32 ? 16u : 8u; }
};

// The slots of a batch of frames (stacked as processing_frame.hpp says: frame f's rows after frame f - 1's): frame f
// belongs to slot list[f] (device memory, `frames` entries), or, without a list, to slot first + f.
struct SlotBatch {
  const std::uint32_t* list = nullptr;
  std::uint32_t first = 0;
  std::uint32_t frames = 1;

  static SlotBatch one(std::uint32_t slot) { return {nullptr, slot, 1}; }
  TOMOLIVE_HD std::uint32_t slot(std::uint32_t frame) const { return list != nullptr ? list[frame] : first + frame; }
};

class ProjectionStore {
 public:
  ProjectionStore() = default;
  // Allocates layout.bytes(type) of device memory, zeroed. Throws EngineError when that fails.
  ProjectionStore(const StoreLayout& layout, StoreType type);

  const StoreLayout& layout() const { return layout_; }
  StoreType type() const { return type_; }
  const void* cells() const { return cells_.get(); }
  std::uint64_t bytes() const { return cells_.bytes(); }
  // The first cell of `slot` (quads x pitch cells). Precondition: slot < layout().slots (not checked).
  void* slot_cells(std::uint32_t slot) {
    return cells_.get() + std::uint64_t{slot} * layout_.quads * layout_.pitch * StoreLayout::cell_bytes(type_);
  }
  const void* slot_cells(std::uint32_t slot) const {
    return cells_.get() + std::uint64_t{slot} * layout_.quads * layout_.pitch * StoreLayout::cell_bytes(type_);
  }

  // Converts the first cols values of each of the `rows` filtered rows (row r at filtered + r * row_pitch floats)
  // into `slot`, replacing what the slot held.
  void write(std::uint32_t slot, const float* filtered, std::uint32_t row_pitch, cudaStream_t stream) {
    write(SlotBatch::one(slot), filtered, row_pitch, stream);
  }
  // The same for every frame of a batch, in one launch: frame f (row r at filtered + (f * rows + r) * row_pitch) into
  // slot slots.slot(f). Precondition (not checked): distinct slots, each < layout().slots.
  void write(const SlotBatch& slots, const float* filtered, std::uint32_t row_pitch, cudaStream_t stream);

  // Converts `slot` back to float: rows x cols values, row r at out + r * row_pitch (device memory). Precondition:
  // slot < layout().slots (not checked).
  void read(std::uint32_t slot, float* out, std::uint32_t row_pitch, cudaStream_t stream) const {
    read(SlotBatch::one(slot), out, row_pitch, stream);
  }
  // The same for every frame of a batch, in one launch: slot slots.slot(f) into frame f (row r at
  // out + (f * rows + r) * row_pitch).
  void read(const SlotBatch& slots, float* out, std::uint32_t row_pitch, cudaStream_t stream) const;

 private:
  StoreLayout layout_;
  StoreType type_ = StoreType::float32;
  DeviceArray<unsigned char> cells_;
};

}  // namespace tomolive::kernels::cuda
