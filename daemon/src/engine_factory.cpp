#include "tomolive/daemon/engine_factory.hpp"

#include <stdexcept>

#include "tomolive/kernels/cpu_engine.hpp"
#if TOMOLIVE_WITH_CUDA
#include "tomolive/kernels/cuda_engine.hpp"
#endif

namespace tomolive::daemon {
namespace {

class PlainBuffer final : public HostBuffer {
 public:
  explicit PlainBuffer(std::size_t bytes) : storage_(std::make_unique<std::byte[]>(bytes)), size_(bytes) {}
  std::byte* data() override { return storage_.get(); }
  std::size_t size() const override { return size_; }

 private:
  std::unique_ptr<std::byte[]> storage_;  // new[] memory is aligned for every fundamental type
  std::size_t size_;
};

#if TOMOLIVE_WITH_CUDA
class PageLockedBuffer final : public HostBuffer {
 public:
  explicit PageLockedBuffer(std::size_t bytes) : buffer_(bytes) {}
  std::byte* data() override { return static_cast<std::byte*>(buffer_.data()); }
  std::size_t size() const override { return buffer_.size(); }

 private:
  kernels::PinnedHostBuffer buffer_;
};
#endif

std::unique_ptr<kernels::Engine> make_cpu(const EngineOptions& options) {
  kernels::CpuEngineOptions cpu;
  cpu.memory_limit_bytes = options.cpu_memory_limit_bytes;
  cpu.threads = options.cpu_threads;
  return kernels::make_cpu_engine(cpu);
}

// Why the CUDA engine cannot be used, or "" when it can.
std::string cuda_unusable_reason() {
#if TOMOLIVE_WITH_CUDA
  return kernels::cuda_unavailable_reason().value_or("");
#else
  return "this build has no CUDA engine (configured without a CUDA compiler)";
#endif
}

}  // namespace

EngineSelection select_engine(const EngineOptions& options) {
  if (options.choice == EngineChoice::cpu) return {make_cpu(options), "cpu engine: chosen with --engine cpu", nullptr};
  const std::string unusable = cuda_unusable_reason();
  if (unusable.empty()) {
#if TOMOLIVE_WITH_CUDA
    return {kernels::make_cuda_engine({}), "cuda engine: a usable CUDA device was found",
            [](std::size_t bytes) -> std::unique_ptr<HostBuffer> { return std::make_unique<PageLockedBuffer>(bytes); }};
#endif
  }
  if (options.choice == EngineChoice::cuda) {
    throw std::runtime_error("--engine cuda was asked for, but " + unusable);
  }
  return {make_cpu(options), "cpu engine: no usable CUDA device (" + unusable + ")", nullptr};
}

std::unique_ptr<HostBuffer> allocate_plain_buffer(std::size_t bytes) { return std::make_unique<PlainBuffer>(bytes); }

}  // namespace tomolive::daemon
