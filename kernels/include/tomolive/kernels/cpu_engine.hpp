// The CPU engine: a real reconstruction engine for machines without a GPU, and the reference the CUDA engine is
// tested against. Filtering uses FFTW (single precision); backprojection uses the shared slice_geometry core.
#pragma once

#include <cstdint>
#include <memory>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

struct CpuEngineOptions {
  // Largest scan memory the engine may use, bytes; 0 = half of the machine's physical memory.
  std::uint64_t memory_limit_bytes = 0;
  // Worker threads for filtering and backprojection; 0 = std::thread::hardware_concurrency().
  unsigned threads = 0;
};

std::unique_ptr<Engine> make_cpu_engine(const CpuEngineOptions& options = {});

}  // namespace tomolive::kernels
