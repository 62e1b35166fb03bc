// add_block_count: adds per-thread counts (e.g. clamped pixels) of one block to a 64-bit counter in device memory
// with one atomic per block: a warp sum (shuffles), a block sum (shared memory), then one atomicAdd by thread 0 when
// the sum is not zero. Must be called by every thread of the block (it has a __syncthreads). Private to
// tomolive_cuda_engine.
#pragma once

#include <cstdint>

namespace tomolive::kernels::cuda {

template <unsigned kThreads>
__device__ __forceinline__ void add_block_count(unsigned count, unsigned long long* total) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps");
  constexpr unsigned kWarps = kThreads / 32;
  __shared__ unsigned warp_counts[kWarps];
#pragma unroll
  for (unsigned offset = 16; offset != 0; offset /= 2) count += __shfl_xor_sync(0xffffffffu, count, offset);
  if (threadIdx.x % 32 == 0) warp_counts[threadIdx.x / 32] = count;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned block_count = 0;
    for (unsigned w = 0; w < kWarps; ++w) block_count += warp_counts[w];
    if (block_count != 0) atomicAdd(total, static_cast<unsigned long long>(block_count));
  }
}

}  // namespace tomolive::kernels::cuda
