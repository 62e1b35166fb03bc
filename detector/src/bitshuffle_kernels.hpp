// The per-instruction-set entry points behind bitshuffle::unshuffle, and the 8x8 bit transpose they share.
// Each kernel lives in its own translation unit, compiled for its instruction set; only this plain-C++ header is
// shared, and everything in it has internal linkage, so no code built for AVX2 can be picked by the linker for a
// caller on a CPU without it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tomolive::detector::bitshuffle {
namespace {

// Transposes the 8x8 bit matrix held in x (row r = byte r, column c = bit c): bit c of byte r moves to bit r of
// byte c. Its own inverse. (Hacker's Delight, "transpose8", with the rows little-endian in a 64-bit word.)
[[maybe_unused]] inline std::uint64_t transpose_bits_8x8(std::uint64_t x) {
  std::uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
  x ^= t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
  x ^= t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
  x ^= t ^ (t << 28);
  return x;
}

// Rebuilds plane b's bytes of the eight elements of group g (elements 8g .. 8g+7), from the eight bit rows of
// plane b: returns a word whose byte j is byte b of element 8g + j. `rows` points at bit row (b, 0); rows are
// `row_bytes` = count / 8 apart.
[[maybe_unused]] inline std::uint64_t unshuffle_group(const std::uint8_t* rows, std::size_t row_bytes,
                                                      std::size_t g) {
  std::uint64_t x = 0;
  for (unsigned k = 0; k < 8; ++k) x |= std::uint64_t{rows[k * row_bytes + g]} << (8 * k);
  return transpose_bits_8x8(x);
}

}  // namespace

void unshuffle_scalar(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size);
void unshuffle_sse2(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
                    std::uint8_t* scratch);
void unshuffle_avx2(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
                    std::uint8_t* scratch);

}  // namespace tomolive::detector::bitshuffle
