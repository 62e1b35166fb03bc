// array-1.0 (github.com/datastreaming/htypes): a JSON header part and one binary part per image. The header's
// htype is "array-1.0", or ["array-1.0"] from ADZMQ before 1.4, whose shape lists the fastest axis first; every
// other sender (the spec, PSI, ADZMQ >= 1.4, UFO) lists the slowest first. See detector_decoder.hpp for the error
// contract and image_shape.hpp for the shape rule.
#pragma once

#include <span>

#include "tomolive/detector/detector_message.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::detector {

protocol::Expected<DetectorMessage> decode_array(std::span<const protocol::ByteView> parts);

}  // namespace tomolive::detector
