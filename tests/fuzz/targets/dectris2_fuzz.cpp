// Fuzzes the DECTRIS Stream V2 decoder (PROTOCOL.md "Detector streams"): any bytes as the one CBOR part, and as
// several parts (split at the part separator). See detector_message_check.hpp for the properties.
#include <cstddef>
#include <cstdint>

#include "detector_message_check.hpp"
#include "fuzz_parts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tomolive;
  const protocol::ByteView whole(reinterpret_cast<const std::byte*>(data), size);
  fuzz::check_decode(detector::StreamFormat::dectris2, std::span(&whole, 1));
  fuzz::check_decode(detector::StreamFormat::dectris2, fuzz::split_parts(data, size));
  return 0;
}
