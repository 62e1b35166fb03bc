// Fuzzes decode_pixels: input byte 0 picks the compression, byte 1 the dtype, bytes 2 and 3 the rows and cols
// (1..64); the rest is the encoded image. Never a crash; uncompressed data is accepted exactly when its size is
// right; for bslz4 every bitshuffle variant this CPU runs gives the same pixels or the same refusal.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "compressed_blocks.hpp"
#include "fuzz_require.hpp"
#include "tomolive/detector/pixel_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tomolive;
  using tomolive::fuzz::require;
  if (size < 4) return 0;
  detector::EncodedImage image;
  image.compression = static_cast<detector::Compression>(data[0] % 4);
  image.dtype = static_cast<protocol::Dtype>(data[1] % 4);
  image.rows = 1u + data[2] % 64u;
  image.cols = 1u + data[3] % 64u;
  image.bytes = protocol::ByteView(reinterpret_cast<const std::byte*>(data) + 4, size - 4);
  std::vector<std::byte> out(image.decoded_bytes());
  const auto error = detector::decode_pixels(image, out);
  if (error) require(!error->message.empty(), "a refusal says why");
  if (image.compression == detector::Compression::none) {
    require(error.has_value() == (image.bytes.size() != out.size()), "raw pixels are accepted iff the size is right");
  }
  if (image.compression == detector::Compression::bslz4) {
    for (auto isa : {detector::bitshuffle::Isa::scalar, detector::bitshuffle::Isa::sse2,
                     detector::bitshuffle::Isa::avx2}) {
      if (!detector::bitshuffle::supported(isa)) continue;
      detector::BlockScratch scratch;
      std::vector<std::byte> again(out.size());
      const auto other = detector::decode_bslz4(image.bytes, again, protocol::itemsize(image.dtype), isa, scratch);
      require(other.has_value() == error.has_value() && (error.has_value() || again == out),
              "every bitshuffle variant decodes alike");
    }
  }
  return 0;
}
