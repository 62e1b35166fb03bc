// DECTRIS SIMPLON Stream V2 (one CBOR message per ZeroMQ message; github.com/dectris/documentation stream_v2):
// start, image and end messages into DetectorMessage. See detector_decoder.hpp for the error contract.
#pragma once

#include <span>

#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/detector_message.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::detector {

protocol::Expected<DetectorMessage> decode_dectris2(std::span<const protocol::ByteView> parts,
                                                    const DecodeOptions& options);

}  // namespace tomolive::detector
