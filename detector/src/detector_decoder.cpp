#include "tomolive/detector/detector_decoder.hpp"

#include <string>

#include "array_decoder.hpp"
#include "dectris1_decoder.hpp"
#include "dectris2_decoder.hpp"

namespace tomolive::detector {

protocol::Expected<DetectorMessage> decode_message(StreamFormat format, std::span<const protocol::ByteView> parts,
                                                   const DecodeOptions& options) {
  switch (format) {
    case StreamFormat::dectris2:
      return decode_dectris2(parts, options);
    case StreamFormat::dectris1:
      return decode_dectris1(parts);
    case StreamFormat::array:
      return decode_array(parts);
    case StreamFormat::native:
      break;
  }
  return protocol::Error{protocol::ErrorCode::invalid_argument,
                         "decode_message handles dectris2, dectris1 and array, not " +
                             std::string(to_string(format)) + " (protocol::decode_data_header decodes native)"};
}

}  // namespace tomolive::detector
