// Fuzzes the control-request decoder (PROTOCOL.md 10.1) and header_type: any bytes as a request, never a crash;
// a request that decodes is of the type header_type reads, and re-encodes to bytes that decode and re-encode to the
// same bytes (compared as bytes: numbers such as a zinger threshold may be NaN here, refused later by the engine).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_require.hpp"
#include "tomolive/protocol/codec.hpp"

using namespace tomolive::protocol;
using tomolive::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(reinterpret_cast<const std::byte*>(data), size);
  const std::string type = header_type(input);
  const Expected<ControlRequest> decoded = decode_control_request(input);
  if (!decoded) return 0;

  require(type == command_name(decoded.value()), "header_type names the decoded request's type");
  const Bytes encoded = encode(decoded.value());
  const Expected<ControlRequest> again = decode_control_request(encoded);
  require(again.ok() && encode(again.value()) == encoded, "a decoded control request round-trips");
  return 0;
}
