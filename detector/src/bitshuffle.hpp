// Bitshuffle's inverse transform (kiyo-masui/bitshuffle, as used by its HDF5 filter and DECTRIS "bslz4").
//
// Bitshuffle stores a block of `count` elements of `elem_size` bytes as elem_size * 8 bit planes: plane (b, k)
// holds bit k of byte b of every element, count / 8 bytes, element i at bit i % 8 of byte i / 8. Unshuffling
// reassembles the elements. Debian packages no C library for it, so it is ours; tests compare it with the output of
// Debian's Python `bitshuffle`.
//
// All functions are thread-safe (no shared state) and never allocate.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tomolive::detector::bitshuffle {

// Instruction-set variants of the same transform; all give identical bytes.
enum class Isa : std::uint8_t { scalar, sse2, avx2 };

// Whether this CPU can run `isa` (scalar always).
bool supported(Isa isa);
// The fastest variant this CPU supports, decided once.
Isa best_isa();

// Unshuffles one block: `in` holds count * elem_size bitshuffled bytes, `out` receives count * elem_size bytes of
// elements. Preconditions: count % 8 == 0; elem_size >= 1; `scratch` holds count * elem_size bytes (used by the
// SIMD variants for elem_size > 1); in, out and scratch do not overlap; supported(isa).
void unshuffle(Isa isa, const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size,
               std::uint8_t* scratch);

// The forward transform (scalar; for encoders: the simulator, benchmarks): `in` holds count elements, `out` receives
// their count * elem_size bitshuffled bytes. Preconditions: count % 8 == 0; in and out do not overlap.
void shuffle(const std::uint8_t* in, std::uint8_t* out, std::size_t count, std::size_t elem_size);

}  // namespace tomolive::detector::bitshuffle
