#include "tomolive/detector/pixel_decoder.hpp"

#include <cstring>
#include <string>

namespace tomolive::detector {

std::optional<protocol::Error> decode_pixels(const EncodedImage& image, std::span<std::byte> out) {
  if (image.compression != Compression::none || image.bytes.size() != out.size()) {
    return protocol::Error{protocol::ErrorCode::internal_error, "pixel decoding is not implemented yet"};
  }
  std::memcpy(out.data(), image.bytes.data(), out.size());
  return std::nullopt;
}

}  // namespace tomolive::detector
