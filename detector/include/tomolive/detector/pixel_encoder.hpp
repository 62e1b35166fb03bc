// Encoders for the block-compressed pixel encodings that pixel_decoder.hpp reads, for senders in this repository
// (the simulator, benchmarks, tests): bslz4 and lz4 in the HDF5-filter framing (PROTOCOL.md "Detector streams").
// Pure functions, thread-safe. Not tuned for speed: a real detector compresses in its own hardware.
#pragma once

#include <cstddef>
#include <vector>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::detector {

// bitshuffle + LZ4 as the bitshuffle HDF5 filter writes it: header, blocks of block_elements elements (0 = the
// filter's default: 8 KiB, a multiple of 8 elements, at least 128), the last block cut to a multiple of 8 elements,
// the remaining (count % 8) elements raw. Precondition: pixels.size() % elem_size == 0, block_elements % 8 == 0.
std::vector<std::byte> encode_bslz4(protocol::ByteView pixels, std::size_t elem_size, std::size_t block_elements = 0);

// LZ4 in the HDF5 LZ4 filter's framing, blocks of block_bytes (> 0); a block LZ4 cannot shrink is stored raw.
std::vector<std::byte> encode_lz4(protocol::ByteView data, std::size_t block_bytes);

}  // namespace tomolive::detector
