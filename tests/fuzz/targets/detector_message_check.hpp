// The properties every detector-stream decoder fuzz target checks: detection and decoding never crash; a refusal
// has a reason; an accepted image's bytes lie inside the message parts, its size is within the protocol's limits,
// and decode_pixels on it either fills the output or refuses with a reason.
#pragma once

#include <span>
#include <variant>
#include <vector>

#include "fuzz_require.hpp"
#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::fuzz {

inline void check_decode(detector::StreamFormat format, std::span<const protocol::ByteView> parts) {
  (void)detector::detect_format(parts);
  const auto message = detector::decode_message(format, parts);
  if (!message) {
    require(!message.error().message.empty(), "a refused message says why");
    return;
  }
  const auto* image = std::get_if<detector::SeriesImage>(&message.value());
  if (image == nullptr) return;
  const auto& encoded = image->image;
  bool inside = false;
  for (const auto& part : parts) {
    inside = inside || (encoded.bytes.data() >= part.data() &&
                        encoded.bytes.data() + encoded.bytes.size() <= part.data() + part.size());
  }
  require(inside, "an image's bytes are a view into the message");
  require(encoded.rows >= 1 && encoded.cols >= 1 && encoded.rows <= protocol::kMaxDetectorPixelsPerSide &&
              encoded.cols <= protocol::kMaxDetectorPixelsPerSide,
          "an image's size is within the protocol's limits");
  if (encoded.decoded_bytes() > (std::size_t{64} << 20)) return;  // keep each run small
  std::vector<std::byte> pixels(encoded.decoded_bytes());
  if (const auto error = detector::decode_pixels(encoded, pixels)) {
    require(!error->message.empty(), "refused pixels say why");
  }
}

}  // namespace tomolive::fuzz
