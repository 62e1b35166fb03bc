// The SSE2 variant (every x86-64 CPU has SSE2): 16 groups of eight elements per step.
#include <emmintrin.h>

#include "bitshuffle_simd.hpp"

namespace tomolive::detector::bitshuffle {
namespace {

struct Sse2Ops {
  using V = __m128i;
  static constexpr std::size_t kBytes = 16;

  static V load(const std::uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static V unpacklo8(V a, V b) { return _mm_unpacklo_epi8(a, b); }
  static V unpackhi8(V a, V b) { return _mm_unpackhi_epi8(a, b); }
  static V unpacklo16(V a, V b) { return _mm_unpacklo_epi16(a, b); }
  static V unpackhi16(V a, V b) { return _mm_unpackhi_epi16(a, b); }
  static V unpacklo32(V a, V b) { return _mm_unpacklo_epi32(a, b); }
  static V unpackhi32(V a, V b) { return _mm_unpackhi_epi32(a, b); }
  // transpose_bits_8x8 on each 64-bit lane.
  static V transpose_bits(V x) {
    V t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 7)), _mm_set1_epi64x(0x00AA00AA00AA00AALL));
    x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64(t, 7)));
    t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 14)), _mm_set1_epi64x(0x0000CCCC0000CCCCLL));
    x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64(t, 14)));
    t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 28)), _mm_set1_epi64x(0x00000000F0F0F0F0LL));
    return _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64(t, 28)));
  }
  // One 128-bit lane per vector: plain consecutive stores.
  static void store_lane_major(std::uint8_t* out, const V* v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + kBytes * i), v[i]);
  }
};

}  // namespace

void unshuffle_sse2(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
                    std::uint8_t* scratch) {
  unshuffle_simd<Sse2Ops>(in, out, count, elem_size, scratch);
}

}  // namespace tomolive::detector::bitshuffle
