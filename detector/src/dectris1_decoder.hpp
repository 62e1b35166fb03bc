// DECTRIS SIMPLON Stream V1 (multipart JSON + binary): dheader-1.0 (header_detail none / basic / all, optional
// header appendix), dimage-1.0 + dimage_d-1.0 + data (+ dconfig-1.0, + image appendix), dseries_end-1.0, and a lone
// dconfig-1.0 (ignored). See detector_decoder.hpp for the error contract.
#pragma once

#include <span>

#include "tomolive/detector/detector_message.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::detector {

protocol::Expected<DetectorMessage> decode_dectris1(std::span<const protocol::ByteView> parts);

}  // namespace tomolive::detector
