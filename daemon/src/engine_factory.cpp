#include "tomolive/daemon/engine_factory.hpp"

#include <stdexcept>

#include "tomolive/kernels/cpu_engine.hpp"
#if TOMOLIVE_WITH_CUDA
#include "tomolive/kernels/cuda_engine.hpp"
#endif

namespace tomolive::daemon {
namespace {

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
  if (options.choice == EngineChoice::cpu) return {make_cpu(options), "cpu engine: chosen with --engine cpu"};
  const std::string unusable = cuda_unusable_reason();
  if (unusable.empty()) {
#if TOMOLIVE_WITH_CUDA
    return {kernels::make_cuda_engine({}), "cuda engine: a usable CUDA device was found"};
#endif
  }
  if (options.choice == EngineChoice::cuda) {
    throw std::runtime_error("--engine cuda was asked for, but " + unusable);
  }
  return {make_cpu(options), "cpu engine: no usable CUDA device (" + unusable + ")"};
}

}  // namespace tomolive::daemon
