// The AVX2 variant (compiled with -mavx2, run only where the CPU reports AVX2): 32 groups of eight elements per
// step. AVX2 unpacks work within each 128-bit lane, so results are stored lane-major (see bitshuffle_simd.hpp).
#include <immintrin.h>

#include "bitshuffle_simd.hpp"

namespace tomolive::detector::bitshuffle {
namespace {

struct Avx2Ops {
  using V = __m256i;
  static constexpr std::size_t kBytes = 32;

  static V load(const std::uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static V unpacklo8(V a, V b) { return _mm256_unpacklo_epi8(a, b); }
  static V unpackhi8(V a, V b) { return _mm256_unpackhi_epi8(a, b); }
  static V unpacklo16(V a, V b) { return _mm256_unpacklo_epi16(a, b); }
  static V unpackhi16(V a, V b) { return _mm256_unpackhi_epi16(a, b); }
  static V unpacklo32(V a, V b) { return _mm256_unpacklo_epi32(a, b); }
  static V unpackhi32(V a, V b) { return _mm256_unpackhi_epi32(a, b); }
  // transpose_bits_8x8 on each 64-bit lane.
  static V transpose_bits(V x) {
    V t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 7)), _mm256_set1_epi64x(0x00AA00AA00AA00AALL));
    x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, 7)));
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 14)), _mm256_set1_epi64x(0x0000CCCC0000CCCCLL));
    x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, 14)));
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 28)), _mm256_set1_epi64x(0x00000000F0F0F0F0LL));
    return _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64(t, 28)));
  }
  // n is even: vectors pair up; the low lanes of all n go first (n * 16 bytes), then the high lanes.
  static void store_lane_major(std::uint8_t* out, const V* v, std::size_t n) {
    for (std::size_t i = 0; i < n / 2; ++i) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * i),
                          _mm256_permute2x128_si256(v[2 * i], v[2 * i + 1], 0x20));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * n + 32 * i),
                          _mm256_permute2x128_si256(v[2 * i], v[2 * i + 1], 0x31));
    }
  }
};

}  // namespace

void unshuffle_avx2(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
                    std::uint8_t* scratch) {
  unshuffle_simd<Avx2Ops>(in, out, count, elem_size, scratch);
}

}  // namespace tomolive::detector::bitshuffle
