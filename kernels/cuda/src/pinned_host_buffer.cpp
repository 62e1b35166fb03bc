#include <cuda_runtime.h>

#include <utility>

#include "cuda_check.hpp"
#include "tomolive/kernels/cuda_engine.hpp"

namespace tomolive::kernels {

PinnedHostBuffer::PinnedHostBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes != 0) TOMOLIVE_CUDA_CHECK(cudaMallocHost(&data_, bytes));
}

PinnedHostBuffer::~PinnedHostBuffer() {
  if (data_ != nullptr) cudaFreeHost(data_);
}

PinnedHostBuffer::PinnedHostBuffer(PinnedHostBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

PinnedHostBuffer& PinnedHostBuffer::operator=(PinnedHostBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) cudaFreeHost(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace tomolive::kernels
