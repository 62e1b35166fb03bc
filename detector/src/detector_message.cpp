#include "tomolive/detector/detector_message.hpp"

namespace tomolive::detector {

std::size_t EncodedImage::decoded_bytes() const {
  return std::size_t{rows} * cols * protocol::itemsize(dtype);
}

}  // namespace tomolive::detector
