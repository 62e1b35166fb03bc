// Runtime dispatch between the bitshuffle variants (__builtin_cpu_supports, decided once per process).
#include "bitshuffle.hpp"

#include "bitshuffle_kernels.hpp"

namespace tomolive::detector::bitshuffle {

bool supported(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return true;
#if TOMOLIVE_DETECTOR_X86_SIMD
    case Isa::sse2:
      return __builtin_cpu_supports("sse2");
    case Isa::avx2:
      return __builtin_cpu_supports("avx2");
#else
    case Isa::sse2:
    case Isa::avx2:
      return false;
#endif
  }
  return false;
}

Isa best_isa() {
  static const Isa best = supported(Isa::avx2) ? Isa::avx2 : supported(Isa::sse2) ? Isa::sse2 : Isa::scalar;
  return best;
}

void unshuffle(Isa isa, const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
               std::uint8_t* scratch) {
  switch (isa) {
#if TOMOLIVE_DETECTOR_X86_SIMD
    case Isa::avx2:
      unshuffle_avx2(in, out, count, elem_size, scratch);
      return;
    case Isa::sse2:
      unshuffle_sse2(in, out, count, elem_size, scratch);
      return;
#else
    case Isa::avx2:
    case Isa::sse2:
#endif
    case Isa::scalar:
      unshuffle_scalar(in, out, count, elem_size);
      return;
  }
}

}  // namespace tomolive::detector::bitshuffle
