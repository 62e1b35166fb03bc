// From a header's "shape" to [rows, cols] (PROTOCOL.md "Detector streams", shape order).
//
// A shape lists one image's axes either fastest first ([x, y], DECTRIS Stream V1 and legacy ADZMQ) or slowest
// first ([..., z, y, x], the array-1.0 spec, PSI, ADZMQ >= 1.4, UFO). Size-1 axes beyond the two image axes are
// dropped (those on the slow side: [1, y, x] or [x, y, 1]); what remains must be exactly two axes, each
// 1..kMaxDetectorPixelsPerSide. The product is checked against the byte count by the caller whenever the bytes are
// uncompressed; the product cannot tell [y, x] from [x, y], so the order itself always comes from the convention.
#pragma once

#include <cstdint>
#include <vector>

#include "json_part.hpp"

namespace tomolive::detector {

enum class AxisOrder : std::uint8_t { fastest_first, slowest_first };

struct ImageShape {
  std::uint32_t rows = 0, cols = 0;
};

protocol::Expected<ImageShape> resolve_image_shape(const std::vector<std::uint64_t>& shape, AxisOrder order,
                                                   const JsonFields& fields);

}  // namespace tomolive::detector
