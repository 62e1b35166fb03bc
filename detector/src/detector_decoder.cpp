#include "tomolive/detector/detector_decoder.hpp"

#include <string>

namespace tomolive::detector {

protocol::Expected<DetectorMessage> decode_message(StreamFormat format, std::span<const protocol::ByteView> /*parts*/) {
  return protocol::Error{protocol::ErrorCode::internal_error,
                         std::string(to_string(format)) + " decoding is not implemented yet"};
}

}  // namespace tomolive::detector
