// Device access to the cells of a ProjectionStore (layout in projection_store.hpp), one type per store precision, so
// that kernels are templated on the store type instead of being written twice.
#pragma once

#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "detector_cells.hpp"
#include "projection_store.hpp"

namespace tomolive::kernels::cuda {

// Loads from a 32-bit shared-memory address (__cvta_generic_to_shared): the kernels compute cell addresses as
// base + cell bytes * bits(v + kRoundMagic), one LEA, with the constant part of the key folded into the base.
__device__ __forceinline__ float2 load_shared_f2(std::uint32_t address) {
  float2 v;
  asm volatile("ld.shared.v2.f32 {%0, %1}, [%2];\n" : "=f"(v.x), "=f"(v.y) : "r"(address));
  return v;
}

__device__ __forceinline__ float4 load_shared_f4(std::uint32_t address) {
  float4 v;
  asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];\n"
               : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w)
               : "r"(address));
  return v;
}

__device__ __forceinline__ uint2 load_shared_u2(std::uint32_t address) {
  uint2 v;
  asm volatile("ld.shared.v2.u32 {%0, %1}, [%2];\n" : "=r"(v.x), "=r"(v.y) : "r"(address));
  return v;
}

// The same value, opaque to the compiler: keeps a base address with a folded-in constant in one register (otherwise
// the constant is split off again and costs an add per load).
__device__ __forceinline__ std::uint32_t opaque(std::uint32_t x) {
  std::uint32_t y;
  asm("mov.b32 %0, %1;\n" : "=r"(y) : "r"(x));
  return y;
}

// Element k of a corrected store (corrected_store.hpp: float, or half rounded to nearest), written and read as float.
__device__ __forceinline__ void set_value(float* out, std::size_t k, float value) { out[k] = value; }
__device__ __forceinline__ void set_value(__half* out, std::size_t k, float value) { out[k] = __float2half_rn(value); }
__device__ __forceinline__ float get_value(const float* in, std::size_t k) { return in[k]; }
__device__ __forceinline__ float get_value(const __half* in, std::size_t k) { return __half2float(in[k]); }

// The vertical kernel's interpolation, per store type: kEntriesPerStep entries are added at once; Sign holds an entry's
// sign (+1 add, -1 remove, 0 for a missing entry of the last step) as the weights need it (computed once per entry);
// weights(offset, sign, on) gives the weights of a position's cell (zero off the detector, on false: a select, no
// branch); accumulate(left, weights, acc) adds, for each entry k of the step, the interpolated 4 rows of the cell at
// shared address left[k] and the next one.

// float32 store: a cell is a float4, lanes x, y, z, w = rows 4q .. 4q + 3.
struct StoreF32 {
  using Cell = float4;
  using Value = float;  // an element of the corrected store of this precision (corrected_store.hpp)
  static constexpr unsigned kEntriesPerStep = 1;
  static __device__ __forceinline__ Cell pack(float r0, float r1, float r2, float r3) {
    return make_float4(r0, r1, r2, r3);
  }
  // Lane `lane` (0..3) of cell `index`.
  static __device__ __forceinline__ float lane(const Cell* cells, std::size_t index, std::uint32_t lane) {
    return reinterpret_cast<const float*>(cells)[index * 4 + lane];
  }
  static __device__ __forceinline__ void set_lane(Cell* cells, std::size_t index, std::uint32_t lane, float value) {
    reinterpret_cast<float*>(cells)[index * 4 + lane] = value;
  }
  struct Sign {
    float sign;
    float half;  // sign / 2
  };
  using Weights = CellWeights;
  static __device__ __forceinline__ Sign entry_sign(float sign) { return {sign, 0.5f * sign}; }
  // cell_weights(): 1 FFMA, 1 FADD, 2 selects.
  static __device__ __forceinline__ Weights weights(float offset, const Sign& s, bool on) {
    const float right = fmaf(s.sign, offset, s.half);
    return {on ? s.sign - right : 0.f, on ? right : 0.f};
  }
  // acc[lane] += w.left * left[lane] + w.right * right[lane]: 2 LDS.128 and 8 FFMA.
  static __device__ __forceinline__ void accumulate(const std::uint32_t (&left)[kEntriesPerStep],
                                                    const Weights (&weights)[kEntriesPerStep], float (&acc)[4]) {
    const Weights& w = weights[0];
    const float4 l = load_shared_f4(left[0]);
    const float4 r = load_shared_f4(left[0] + sizeof(Cell));
    acc[0] = fmaf(w.right, r.x, fmaf(w.left, l.x, acc[0]));
    acc[1] = fmaf(w.right, r.y, fmaf(w.left, l.y, acc[1]));
    acc[2] = fmaf(w.right, r.z, fmaf(w.left, l.z, acc[2]));
    acc[3] = fmaf(w.right, r.w, fmaf(w.left, l.w, acc[3]));
  }
};

// float16 store: a cell is 4 halves in 8 bytes, row 4q in the low half of .x, 4q + 1 in its high half, 4q + 2 and
// 4q + 3 likewise in .y. Values are rounded to nearest when stored.
struct StoreF16 {
  using Cell = uint2;
  using Value = __half;  // an element of the corrected store of this precision (corrected_store.hpp)
  static constexpr unsigned kEntriesPerStep = 2;
  static __device__ __forceinline__ Cell pack(float r0, float r1, float r2, float r3) {
    const __half2 lo = __floats2half2_rn(r0, r1);
    const __half2 hi = __floats2half2_rn(r2, r3);
    return make_uint2(*reinterpret_cast<const unsigned*>(&lo), *reinterpret_cast<const unsigned*>(&hi));
  }
  static __device__ __forceinline__ float lane(const Cell* cells, std::size_t index, std::uint32_t lane) {
    return __half2float(reinterpret_cast<const __half*>(cells)[index * 4 + lane]);
  }
  static __device__ __forceinline__ void set_lane(Cell* cells, std::size_t index, std::uint32_t lane, float value) {
    reinterpret_cast<__half*>(cells)[index * 4 + lane] = __float2half_rn(value);
  }
  // The interpolation in half2: weights (left, right) in one register, two rows per HMUL2 / HFMA2, the two entries of a
  // step summed in half2, then converted and accumulated in float (the conversions and float adds are half of the
  // work of one entry: this halves them). Rounding: the offset, the weights, the interpolated values and their sum to
  // half (relative 2^-11 each, unbiased), like the store itself.
  struct Sign {
    __half2 slope;   // (-sign, sign)
    __half2 centre;  // (sign / 2, sign / 2)
  };
  using Weights = __half2;
  static __device__ __forceinline__ Sign entry_sign(float sign) {
    return {__floats2half2_rn(-sign, sign), __float2half2_rn(0.5f * sign)};
  }
  // (sign (0.5 - offset), sign (0.5 + offset)) = cell_weights() in half: 1 F2FP, 1 HFMA2, 1 select.
  static __device__ __forceinline__ Weights weights(float offset, const Sign& s, bool on) {
    const __half2 w = __hfma2(__float2half2_rn(offset), s.slope, s.centre);
    return on ? w : __float2half2_rn(0.f);
  }
  // Per entry 2 LDS.64 and 4 HMUL2 / HFMA2; per step 4 conversions and 4 FADD.
  static __device__ __forceinline__ void accumulate(const std::uint32_t (&left)[kEntriesPerStep],
                                                    const Weights (&weights)[kEntriesPerStep], float (&acc)[4]) {
    __half2 lo = __float2half2_rn(0.f), hi = lo;
#pragma unroll
    for (unsigned k = 0; k < kEntriesPerStep; ++k) {
      const uint2 l = load_shared_u2(left[k]);
      const uint2 r = load_shared_u2(left[k] + sizeof(Cell));
      const __half2 w_left = __low2half2(weights[k]);
      const __half2 w_right = __high2half2(weights[k]);
      const __half2 lo_left = k == 0 ? __hmul2(w_left, as_half2(l.x)) : __hfma2(w_left, as_half2(l.x), lo);
      const __half2 hi_left = k == 0 ? __hmul2(w_left, as_half2(l.y)) : __hfma2(w_left, as_half2(l.y), hi);
      lo = __hfma2(w_right, as_half2(r.x), lo_left);
      hi = __hfma2(w_right, as_half2(r.y), hi_left);
    }
    acc[0] += __low2float(lo);
    acc[1] += __high2float(lo);
    acc[2] += __low2float(hi);
    acc[3] += __high2float(hi);
  }

 private:
  static __device__ __forceinline__ __half2 as_half2(unsigned bits) { return *reinterpret_cast<const __half2*>(&bits); }
};

// Calls f(Float32{}) or f(Float16{}) as `type` says, so that launchers pick the kernel instantiation of a store
// precision in one way.
template <class Float32, class Float16, class F>
void visit_by_store_type(StoreType type, F&& f) {
  if (type == StoreType::float32) {
    f(Float32{});
  } else {
    f(Float16{});
  }
}

// Calls f(S{}) with S the cell access type of a projection store of `type` (StoreF32 or StoreF16).
template <class F>
void visit_store_type(StoreType type, F&& f) {
  visit_by_store_type<StoreF32, StoreF16>(type, std::forward<F>(f));
}

}  // namespace tomolive::kernels::cuda
