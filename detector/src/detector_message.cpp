#include "tomolive/detector/detector_message.hpp"

#include <array>

namespace tomolive::detector {

std::size_t EncodedImage::decoded_bytes() const {
  return std::size_t{rows} * cols * protocol::itemsize(dtype);
}

std::string_view to_string(Compression compression) {
  constexpr std::array<std::string_view, 4> kNames = {"none", "bslz4", "lz4", "lz4_block"};
  const auto index = static_cast<std::size_t>(compression);
  return index < kNames.size() ? kNames[index] : std::string_view("invalid");
}

}  // namespace tomolive::detector
