// Decoding of one detector-stream message (DECTRIS Stream V2/V1, array-1.0) into a DetectorMessage.
//
// The decoder validates the message's structure and every field it reads, but does not decompress pixels (see
// pixel_decoder.hpp): an image's bytes stay where they are in the parts. It never throws on bad input, never reads
// past a part, and is pure and thread-safe. Unknown keys in a known message are ignored; unknown message types are
// refused.
#pragma once

#include <span>
#include <string>

#include "tomolive/detector/detector_message.hpp"
#include "tomolive/detector/stream_format.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::detector {

// What a decoder takes from a message where the format offers a choice.
struct DecodeOptions {
  // DECTRIS Stream V2: the channel whose image (a key of an image's "data") and pixel mask (a key of a start's
  // "pixel_mask") are taken, e.g. "threshold_2" of an EIGER2 counting with two thresholds; empty: the first. A message
  // without that channel is refused (missing_field) with the channels it has.
  std::string dectris_channel;
};

// Decodes one message in the given format. Errors use protocol::ErrorCode (malformed_header, unknown_type,
// missing_field, wrong_field_type, bad_dtype, size_mismatch, ...) with a message naming the format, the key and
// the wrong value. StreamFormat::native is not handled here (protocol::decode_data_header is its decoder): asking
// for it gives ErrorCode::invalid_argument.
protocol::Expected<DetectorMessage> decode_message(StreamFormat format, std::span<const protocol::ByteView> parts,
                                                   const DecodeOptions& options = {});

}  // namespace tomolive::detector
