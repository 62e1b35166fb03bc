// Fuzzes the array-1.0 decoder (PROTOCOL.md "Detector streams"): the input cut into message parts at the part
// separator (fuzz_parts.hpp). See detector_message_check.hpp for the properties.
#include <cstddef>
#include <cstdint>

#include "detector_message_check.hpp"
#include "fuzz_parts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tomolive;
  fuzz::check_decode(detector::StreamFormat::array, fuzz::split_parts(data, size));
  return 0;
}
