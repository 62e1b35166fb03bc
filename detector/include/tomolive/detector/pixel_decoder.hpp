// Turning an EncodedImage into pixels, and repairing the pixels a detector's mask marks as defective.
//
// Both functions are thread-safe. decode_pixels allocates nothing on the hot path beyond a per-thread scratch
// buffer that grows to the largest image seen on that thread.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "tomolive/detector/detector_message.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::detector {

// Decompresses / copies `image` into `out` (exactly image.decoded_bytes() bytes, aligned to the item size);
// an error when a compressed size lies, a block decodes to the wrong length, etc. Pixels come out little-endian,
// row-major [rows][cols], as the image's dtype.
std::optional<protocol::Error> decode_pixels(const EncodedImage& image, std::span<std::byte> out);

// Replaces every masked pixel of a decoded image (row-major, image dtype) by linear interpolation of its nearest
// unmasked row neighbours (the nearer one at an edge; 0 if the whole row is masked); returns how many were replaced.
// Integer pixels are rounded to the nearest value. When pixels.size() != mask.rows * mask.cols * itemsize(dtype) or
// mask.flags.size() != mask.rows * mask.cols, nothing is changed and 0 returned (check the mask against the image).
std::size_t repair_masked_pixels(std::span<std::byte> pixels, protocol::Dtype dtype, const PixelMask& mask);

}  // namespace tomolive::detector
