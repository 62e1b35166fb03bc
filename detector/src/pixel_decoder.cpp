// decode_pixels: picks the decoder for the image's compression; each thread keeps its own block scratch.
#include "tomolive/detector/pixel_decoder.hpp"

#include <cstring>
#include <string>

#include "compressed_blocks.hpp"

namespace tomolive::detector {

std::optional<protocol::Error> decode_pixels(const EncodedImage& image, std::span<std::byte> out) {
  const std::size_t expected = image.decoded_bytes();
  if (out.size() != expected) {
    return protocol::Error{protocol::ErrorCode::invalid_argument,
                           "decode_pixels: output of " + std::to_string(out.size()) + " bytes for a " +
                               std::to_string(image.rows) + " x " + std::to_string(image.cols) + " " +
                               std::string(protocol::to_string(image.dtype)) + " image of " +
                               std::to_string(expected) + " bytes"};
  }
  switch (image.compression) {
    case Compression::none:
      if (image.bytes.size() != expected) {
        return protocol::Error{protocol::ErrorCode::size_mismatch,
                               "uncompressed image of " + std::to_string(image.bytes.size()) + " bytes, expected " +
                                   std::to_string(expected) + " (" + std::to_string(image.rows) + " x " +
                                   std::to_string(image.cols) + " " +
                                   std::string(protocol::to_string(image.dtype)) + ")"};
      }
      if (expected != 0) std::memcpy(out.data(), image.bytes.data(), expected);
      return std::nullopt;
    case Compression::bslz4: {
      thread_local BlockScratch scratch;
      return decode_bslz4(image.bytes, out, protocol::itemsize(image.dtype), bitshuffle::best_isa(), scratch);
    }
    case Compression::lz4:
      return decode_hdf5_lz4(image.bytes, out);
    case Compression::lz4_block:
      return decode_lz4_block(image.bytes, out);
  }
  return protocol::Error{protocol::ErrorCode::internal_error, "decode_pixels: unknown compression"};
}

}  // namespace tomolive::detector
