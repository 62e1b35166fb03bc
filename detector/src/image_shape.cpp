#include "image_shape.hpp"

#include <algorithm>

namespace tomolive::detector {

protocol::Expected<ImageShape> resolve_image_shape(const std::vector<std::uint64_t>& shape, AxisOrder order,
                                                   const JsonFields& fields) {
  // Work slowest first: [..., y, x].
  std::vector<std::uint64_t> axes = shape;
  if (order == AxisOrder::fastest_first) std::reverse(axes.begin(), axes.end());
  std::size_t first = 0;
  while (axes.size() - first > 2 && axes[first] == 1) ++first;
  if (axes.size() - first != 2) {
    return fields.error(protocol::ErrorCode::wrong_field_type,
                        "\"shape\" " + shape_text(shape) +
                            " is not one 2-D image (two axes, plus any number of size-1 axes)");
  }
  const std::uint64_t rows = axes[first], cols = axes[first + 1];
  for (const std::uint64_t size : {rows, cols}) {
    if (size == 0 || size > protocol::kMaxDetectorPixelsPerSide) {
      return fields.error(protocol::ErrorCode::wrong_field_type,
                          "\"shape\" " + shape_text(shape) + " has an image axis outside 1.." +
                              std::to_string(protocol::kMaxDetectorPixelsPerSide));
    }
  }
  return ImageShape{static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(cols)};
}

}  // namespace tomolive::detector
