// Device access to the cells of a ProjectionStore (layout in projection_store.hpp), one type per store precision, so
// that kernels are templated on the store type instead of being written twice.
#pragma once

#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>

namespace tomolive::kernels::cuda {

// float32 store: a cell is a float4, lanes x, y, z, w = rows 4q .. 4q + 3.
struct StoreF32 {
  using Cell = float4;
  static __device__ __forceinline__ Cell pack(float r0, float r1, float r2, float r3) {
    return make_float4(r0, r1, r2, r3);
  }
  static __device__ __forceinline__ void unpack(Cell cell, float (&rows)[4]) {
    rows[0] = cell.x;
    rows[1] = cell.y;
    rows[2] = cell.z;
    rows[3] = cell.w;
  }
  // Lane `lane` (0..3) of cell `index`.
  static __device__ __forceinline__ float lane(const Cell* cells, std::size_t index, std::uint32_t lane) {
    return reinterpret_cast<const float*>(cells)[index * 4 + lane];
  }
};

// float16 store: a cell is 4 halves in 8 bytes, row 4q in the low half of .x, 4q + 1 in its high half, 4q + 2 and
// 4q + 3 likewise in .y. Values are rounded to nearest when stored.
struct StoreF16 {
  using Cell = uint2;
  static __device__ __forceinline__ Cell pack(float r0, float r1, float r2, float r3) {
    const __half2 lo = __floats2half2_rn(r0, r1);
    const __half2 hi = __floats2half2_rn(r2, r3);
    return make_uint2(*reinterpret_cast<const unsigned*>(&lo), *reinterpret_cast<const unsigned*>(&hi));
  }
  static __device__ __forceinline__ void unpack(Cell cell, float (&rows)[4]) {
    const float2 lo = __half22float2(*reinterpret_cast<const __half2*>(&cell.x));
    const float2 hi = __half22float2(*reinterpret_cast<const __half2*>(&cell.y));
    rows[0] = lo.x;
    rows[1] = lo.y;
    rows[2] = hi.x;
    rows[3] = hi.y;
  }
  static __device__ __forceinline__ float lane(const Cell* cells, std::size_t index, std::uint32_t lane) {
    return __half2float(reinterpret_cast<const __half*>(cells)[index * 4 + lane]);
  }
};

}  // namespace tomolive::kernels::cuda
