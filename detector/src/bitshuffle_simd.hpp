// The SIMD unshuffle, written once over a vector-operations policy (Sse2Ops in bitshuffle_sse2.cpp, Avx2Ops in
// bitshuffle_avx2.cpp). Two passes over an L1-sized block:
//   1. per byte plane b, Ops::kBytes groups of eight elements at a time: gather the eight bit rows' bytes of each
//      group into one 64-bit lane (three rounds of byte/word/dword unpacks), transpose each lane's 8x8 bit matrix,
//      and store: the result is plane b's byte of every element, in element order (`planes`, count bytes a plane);
//   2. interleave the planes into elements (unpacks again). For one-byte elements pass 1 writes the output.
// Policies provide: V, kBytes, load, the unpack{lo,hi}{8,16,32} family, transpose_bits (per 64-bit lane), and
// store_lane_major(out, v, n) which stores n vectors as if lane 0 of all of them came first, then lane 1, ...
// (the unpacks work within 128-bit lanes). Internal linkage only: see bitshuffle_kernels.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bitshuffle_kernels.hpp"

namespace tomolive::detector::bitshuffle {
namespace {

template <typename Ops>
void unshuffle_planes(const std::uint8_t* in, std::uint8_t* planes, std::size_t count, std::size_t elem_size) {
  using V = typename Ops::V;
  const std::size_t row_bytes = count / 8;
  for (std::size_t b = 0; b < elem_size; ++b) {
    const std::uint8_t* rows = in + b * 8 * row_bytes;
    std::uint8_t* plane = planes + b * count;
    std::size_t g = 0;
    for (; g + Ops::kBytes <= row_bytes; g += Ops::kBytes) {
      V r[8];
      for (std::size_t k = 0; k < 8; ++k) r[k] = Ops::load(rows + k * row_bytes + g);
      const V a0 = Ops::unpacklo8(r[0], r[1]), a1 = Ops::unpackhi8(r[0], r[1]);
      const V a2 = Ops::unpacklo8(r[2], r[3]), a3 = Ops::unpackhi8(r[2], r[3]);
      const V a4 = Ops::unpacklo8(r[4], r[5]), a5 = Ops::unpackhi8(r[4], r[5]);
      const V a6 = Ops::unpacklo8(r[6], r[7]), a7 = Ops::unpackhi8(r[6], r[7]);
      const V b0 = Ops::unpacklo16(a0, a2), b1 = Ops::unpackhi16(a0, a2);
      const V b2 = Ops::unpacklo16(a1, a3), b3 = Ops::unpackhi16(a1, a3);
      const V b4 = Ops::unpacklo16(a4, a6), b5 = Ops::unpackhi16(a4, a6);
      const V b6 = Ops::unpacklo16(a5, a7), b7 = Ops::unpackhi16(a5, a7);
      V words[8] = {Ops::unpacklo32(b0, b4), Ops::unpackhi32(b0, b4), Ops::unpacklo32(b1, b5),
                    Ops::unpackhi32(b1, b5), Ops::unpacklo32(b2, b6), Ops::unpackhi32(b2, b6),
                    Ops::unpacklo32(b3, b7), Ops::unpackhi32(b3, b7)};
      for (V& w : words) w = Ops::transpose_bits(w);
      Ops::store_lane_major(plane + 8 * g, words, 8);
    }
    for (; g < row_bytes; ++g) {
      std::uint64_t word = unshuffle_group(rows, row_bytes, g);
      for (std::size_t j = 0; j < 8; ++j, word >>= 8) plane[8 * g + j] = static_cast<std::uint8_t>(word);
    }
  }
}

template <typename Ops>
void interleave_planes(const std::uint8_t* planes, std::uint8_t* out, std::size_t count, std::size_t elem_size) {
  using V = typename Ops::V;
  std::size_t i = 0;
  if (elem_size == 2) {
    for (; i + Ops::kBytes <= count; i += Ops::kBytes) {
      const V p0 = Ops::load(planes + i), p1 = Ops::load(planes + count + i);
      const V v[2] = {Ops::unpacklo8(p0, p1), Ops::unpackhi8(p0, p1)};
      Ops::store_lane_major(out + 2 * i, v, 2);
    }
  } else if (elem_size == 4) {
    for (; i + Ops::kBytes <= count; i += Ops::kBytes) {
      const V p0 = Ops::load(planes + i), p1 = Ops::load(planes + count + i);
      const V p2 = Ops::load(planes + 2 * count + i), p3 = Ops::load(planes + 3 * count + i);
      const V lo01 = Ops::unpacklo8(p0, p1), hi01 = Ops::unpackhi8(p0, p1);
      const V lo23 = Ops::unpacklo8(p2, p3), hi23 = Ops::unpackhi8(p2, p3);
      const V v[4] = {Ops::unpacklo16(lo01, lo23), Ops::unpackhi16(lo01, lo23), Ops::unpacklo16(hi01, hi23),
                      Ops::unpackhi16(hi01, hi23)};
      Ops::store_lane_major(out + 4 * i, v, 4);
    }
  }
  for (; i < count; ++i) {
    for (std::size_t b = 0; b < elem_size; ++b) out[i * elem_size + b] = planes[b * count + i];
  }
}

template <typename Ops>
void unshuffle_simd(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
                    std::uint8_t* scratch) {
  if (elem_size == 1) {
    unshuffle_planes<Ops>(in, out, count, 1);
    return;
  }
  unshuffle_planes<Ops>(in, scratch, count, elem_size);
  interleave_planes<Ops>(scratch, out, count, elem_size);
}

}  // namespace
}  // namespace tomolive::detector::bitshuffle
