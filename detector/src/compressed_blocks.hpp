// Decoders of the block-compressed pixel encodings DECTRIS detectors send (PROTOCOL.md "Detector streams"):
//  - bslz4: bitshuffle + LZ4 in the bitshuffle HDF5 filter's framing: a 12-byte header (uint64 BE total
//    decompressed bytes, uint32 BE block bytes), then per block a uint32 BE compressed size and one LZ4 block of
//    bitshuffled elements; the last partial block is cut to a multiple of 8 elements and the (count % 8) elements
//    left over follow raw.
//  - lz4 (HDF5 framing): the same 12-byte header, then per block a uint32 BE compressed size and either an LZ4
//    block or, when that size equals the block's decompressed size, the block's bytes stored raw.
//  - one bare LZ4 block holding the whole image (DECTRIS Stream V1 "lz4<").
// Each decodes into exactly `out` and returns an error (protocol::ErrorCode::size_mismatch) naming the block and
// the sizes when the input lies: a header total other than out.size(), a block that is truncated, is not valid
// LZ4 or decompresses to another length, or bytes left over at the end. Thread-safe; the scratch buffers are the
// caller's (one per thread).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "bitshuffle.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::detector {

// Per-thread work space of the bslz4 decoder; grows to the largest block seen (at most the image size).
struct BlockScratch {
  std::vector<std::uint8_t> block;   // one decompressed (still bitshuffled) block
  std::vector<std::uint8_t> planes;  // the SIMD unshuffle's byte planes
};

std::optional<protocol::Error> decode_bslz4(protocol::ByteView in, std::span<std::byte> out, std::size_t elem_size,
                                            bitshuffle::Isa isa, BlockScratch& scratch);
std::optional<protocol::Error> decode_hdf5_lz4(protocol::ByteView in, std::span<std::byte> out);
std::optional<protocol::Error> decode_lz4_block(protocol::ByteView in, std::span<std::byte> out);

}  // namespace tomolive::detector
