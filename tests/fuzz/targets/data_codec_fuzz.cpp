// Fuzzes the data-message decoder (PROTOCOL.md 4-5): any bytes as part 1 of a data message, never a crash, and a
// header that decodes re-encodes to bytes that decode and re-encode to the same bytes. A decoded frame header is
// checked against payloads of the right size (accepted), no payload and a size derived from the input (refused
// unless equal).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>

#include "fuzz_require.hpp"
#include "tomolive/protocol/codec.hpp"

using namespace tomolive::protocol;
using tomolive::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(reinterpret_cast<const std::byte*>(data), size);
  (void)header_type(input);
  const Expected<DataMessage> decoded = decode_data_header(input);
  if (!decoded) return 0;

  std::visit([](const auto& message) {
    const Bytes encoded = encode(message);
    const Expected<DataMessage> again = decode_data_header(encoded);
    require(again.ok() && std::visit([](const auto& m) { return encode(m); }, again.value()) == encoded,
            "a decoded data header round-trips");
  }, decoded.value());

  if (const auto* frame = std::get_if<FrameHeader>(&decoded.value())) {
    const std::uint64_t pixels = std::uint64_t{frame->rows} * frame->cols;
    require(!check_frame_payload(*frame, pixels * itemsize(frame->dtype)).has_value(),
            "a payload of rows x cols x itemsize bytes is accepted");
    require(check_frame_payload(*frame, std::nullopt).has_value(), "a frame without payload is refused");
    std::size_t other = 0;
    std::memcpy(&other, data, std::min(size, sizeof other));
    require(check_frame_payload(*frame, other).has_value() == (other != pixels * itemsize(frame->dtype)),
            "a payload of any other size is refused");
  }
  return 0;
}
