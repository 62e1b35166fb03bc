// The reference variant: one group of eight elements of one byte plane at a time, written straight to the
// interleaved output; and the forward transform, the same 8x8 bit transposes the other way round.
#include "bitshuffle.hpp"
#include "bitshuffle_kernels.hpp"

namespace tomolive::detector::bitshuffle {

void unshuffle_scalar(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size) {
  const std::size_t row_bytes = count / 8;
  for (std::size_t b = 0; b < elem_size; ++b) {
    const std::uint8_t* rows = in + b * 8 * row_bytes;
    for (std::size_t g = 0; g < row_bytes; ++g) {
      std::uint64_t word = unshuffle_group(rows, row_bytes, g);
      for (std::size_t j = 0; j < 8; ++j, word >>= 8) {
        out[(8 * g + j) * elem_size + b] = static_cast<std::uint8_t>(word);
      }
    }
  }
}

void shuffle(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size) {
  const std::size_t row_bytes = count / 8;
  for (std::size_t b = 0; b < elem_size; ++b) {
    std::uint8_t* rows = out + b * 8 * row_bytes;
    for (std::size_t g = 0; g < row_bytes; ++g) {
      std::uint64_t word = 0;  // byte j: byte b of element 8g + j
      for (std::size_t j = 0; j < 8; ++j) word |= std::uint64_t{in[(8 * g + j) * elem_size + b]} << (8 * j);
      word = transpose_bits_8x8(word);  // byte k: bit k of the eight elements
      for (std::size_t k = 0; k < 8; ++k, word >>= 8) rows[k * row_bytes + g] = static_cast<std::uint8_t>(word);
    }
  }
}

}  // namespace tomolive::detector::bitshuffle
