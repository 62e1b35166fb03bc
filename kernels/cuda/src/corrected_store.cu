#include "corrected_store.hpp"

#include <cuda_fp16.h>

#include <utility>

#include "cuda_check.hpp"
#include "store_cell.cuh"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;

// Mapping: grid (ceil(cols / 256), rows), one thread per value; frame row r at r * pitch.
template <class Value>
__global__ void __launch_bounds__(kThreads) write_kernel(const float* __restrict__ frame, std::uint32_t pitch,
                                                         std::uint32_t cols, Value* __restrict__ slot_values) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  if (col >= cols) return;
  set_value(slot_values, std::size_t{blockIdx.y} * cols + col, frame[std::size_t{blockIdx.y} * pitch + col]);
}

// Mapping: grid (ceil(cols / 256), rows, frames), one thread per value: row blockIdx.y of slot slots.slot(blockIdx.z)
// into the same row of frame blockIdx.z (at frame + (blockIdx.z * rows + row) * pitch).
template <class Value>
__global__ void __launch_bounds__(kThreads) read_kernel(const Value* __restrict__ values, SlotBatch slots,
                                                        std::uint32_t rows, std::uint32_t cols,
                                                        float* __restrict__ frame, std::uint32_t pitch) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  if (col >= cols) return;
  const std::size_t source = (std::size_t{slots.slot(blockIdx.z)} * rows + blockIdx.y) * cols + col;
  frame[(std::size_t{blockIdx.z} * rows + blockIdx.y) * pitch + col] = get_value(values, source);
}

// Calls f(V{}) with V the element type of a corrected store of `type`: float or __half.
template <class F>
void visit_value_type(StoreType type, F&& f) {
  visit_by_store_type<float, __half>(type, std::forward<F>(f));
}

}  // namespace

CorrectedStore::CorrectedStore(std::uint32_t slots, std::uint32_t rows, std::uint32_t cols, StoreType type)
    : rows_(rows), cols_(cols), type_(type), values_(bytes(slots, rows, cols, type)) {}

std::uint64_t CorrectedStore::bytes(std::uint32_t slots, std::uint32_t rows, std::uint32_t cols, StoreType type) {
  return std::uint64_t{slots} * rows * cols * (type == StoreType::float32 ? sizeof(float) : sizeof(__half));
}

void* CorrectedStore::slot_data(std::uint32_t slot) {
  void* data = nullptr;
  visit_value_type(type_, [&]<class Value>(Value) { data = slot_values<Value>(slot); });
  return data;
}

void CorrectedStore::write(std::uint32_t slot, const float* frame, std::uint32_t pitch, cudaStream_t stream) {
  if (rows_ == 0 || cols_ == 0) return;
  const dim3 grid((cols_ + kThreads - 1) / kThreads, rows_);
  visit_value_type(type_, [&]<class Value>(Value) {
    write_kernel<Value><<<grid, kThreads, 0, stream>>>(frame, pitch, cols_, slot_values<Value>(slot));
    TOMOLIVE_CUDA_CHECK_LAUNCH("corrected_store_write");
  });
}

void CorrectedStore::copy_rows_to(CorrectedStore& band, std::uint32_t row0, std::uint32_t slots,
                                  cudaStream_t stream) const {
  if (slots == 0 || band.rows_ == 0 || cols_ == 0) return;
  const std::size_t value_bytes = type_ == StoreType::float32 ? sizeof(float) : sizeof(__half);
  const std::size_t slot_bytes = std::size_t{rows_} * cols_ * value_bytes;
  const std::size_t band_bytes = std::size_t{band.rows_} * cols_ * value_bytes;
  const unsigned char* source = values_.get() + std::size_t{row0} * cols_ * value_bytes;
  TOMOLIVE_CUDA_CHECK(cudaMemcpy2DAsync(band.values_.get(), band_bytes, source, slot_bytes, band_bytes, slots,
                                        cudaMemcpyDeviceToDevice, stream));
}

void CorrectedStore::read(const SlotBatch& slots, float* frame, std::uint32_t pitch, cudaStream_t stream) const {
  if (rows_ == 0 || cols_ == 0 || slots.frames == 0) return;
  const dim3 grid((cols_ + kThreads - 1) / kThreads, rows_, slots.frames);
  visit_value_type(type_, [&]<class Value>(Value) {
    read_kernel<Value><<<grid, kThreads, 0, stream>>>(slot_values<Value>(), slots, rows_, cols_, frame, pitch);
    TOMOLIVE_CUDA_CHECK_LAUNCH("corrected_store_read");
  });
}

}  // namespace tomolive::kernels::cuda
