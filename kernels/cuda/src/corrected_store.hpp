// CorrectedStore: every projection of a scan (or of its sliding window) as corrected attenuation, resident in GPU
// memory: per slot, A = -ln T of the flat-field-corrected transmission, clamped as attenuation() (preprocess.hpp),
// before any processing step (processing.hpp). Re-filters (Engine::set_processing) start from here, so that nothing
// the detector sent has to be asked for again.
//
// Layout: slot-major, each slot rows x cols values row-major (value (slot, r, c) at (slot * rows + r) * cols + c), in
// the precision of the filtered store (StoreType): float, or IEEE half rounded to nearest.
// Thread safety: one owner (the engine); GPU work is ordered by the stream passed in.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "device_resources.hpp"
#include "projection_store.hpp"

namespace tomolive::kernels::cuda {

class CorrectedStore {
 public:
  CorrectedStore() = default;
  // Allocates bytes(slots, rows, cols, type) of device memory (contents undefined: a slot is read only once written).
  // Throws EngineError when that fails.
  CorrectedStore(std::uint32_t slots, std::uint32_t rows, std::uint32_t cols, StoreType type);

  // Device bytes of a store of this shape.
  static std::uint64_t bytes(std::uint32_t slots, std::uint32_t rows, std::uint32_t cols, StoreType type);

  StoreType type() const { return type_; }
  std::uint32_t rows() const { return rows_; }
  std::uint32_t cols() const { return cols_; }

  // Every value (device memory; float or __half as type() says; value (slot, r, c) at (slot * rows + r) * cols + c),
  // for kernels that read or write slots in their own way (a processing sweep's phase rows, phase_sweep_rows.hpp).
  void* values() { return values_.get(); }
  const void* values() const { return values_.get(); }

  // The first value of `slot` (device memory; float or __half as type() says), for kernels that write a slot while
  // doing other work (the fused filter writes the attenuation it computes).
  void* slot_data(std::uint32_t slot);

  // Enqueues: slot `slot` = the first cols values of each of the rows rows of `frame` (row r at frame + r * pitch).
  void write(std::uint32_t slot, const float* frame, std::uint32_t pitch, cudaStream_t stream);

  // Enqueues: rows [row0, row0 + band.rows) of every slot of this store into the same slot of `band`, a store of the
  // same slots, cols and type with fewer rows (a processing sweep's band, processing_sweep.hpp). Precondition (not
  // checked): row0 + band's rows <= rows, band's slots <= this store's.
  void copy_rows_to(CorrectedStore& band, std::uint32_t row0, std::uint32_t slots, cudaStream_t stream) const;

  // Enqueues: the first cols values of row r of `frame` (row r at frame + r * pitch, device memory) = row r of slot
  // `slot`, as float.
  void read(std::uint32_t slot, float* frame, std::uint32_t pitch, cudaStream_t stream) const {
    read(SlotBatch::one(slot), frame, pitch, stream);
  }
  // The same for every frame of a batch, in one launch: frame f (row r at frame + (f * rows + r) * pitch) = slot
  // slots.slot(f).
  void read(const SlotBatch& slots, float* frame, std::uint32_t pitch, cudaStream_t stream) const;

 private:
  // The first value of `slot`, as the store's element type Value (float or __half; the .cu's kernels only).
  template <class Value>
  Value* slot_values(std::uint32_t slot = 0) const {
    return reinterpret_cast<Value*>(values_.get()) + std::size_t{slot} * rows_ * cols_;
  }

  std::uint32_t rows_ = 0;
  std::uint32_t cols_ = 0;
  StoreType type_ = StoreType::float32;
  DeviceArray<unsigned char> values_;
};

}  // namespace tomolive::kernels::cuda
