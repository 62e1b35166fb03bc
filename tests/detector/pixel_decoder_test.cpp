// decode_pixels on hand-made inputs: the framings' edge rules (default block size, raw lz4 blocks, leftover
// elements), output-size checks, and thread safety of the per-thread scratch.
#include <gtest/gtest.h>

#include <lz4.h>

#include <cstring>
#include <thread>
#include <vector>

#include "compressed_blocks.hpp"
#include "fixture_support.hpp"
#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::detector {
namespace {

using protocol::Dtype;
using protocol::ErrorCode;

std::vector<std::byte> big_endian(std::uint64_t value, std::size_t bytes) {
  std::vector<std::byte> out(bytes);
  for (std::size_t i = 0; i < bytes; ++i) out[bytes - 1 - i] = static_cast<std::byte>(value >> (8 * i));
  return out;
}
void append(std::vector<std::byte>& out, const std::vector<std::byte>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

TEST(DecodePixels, UncompressedIsCopied) {
  std::vector<std::uint16_t> pixels = {1, 2, 3, 4, 5, 6};
  const EncodedImage image{2, 3, Dtype::uint16, Compression::none, std::as_bytes(std::span(pixels))};
  std::vector<std::uint16_t> out(6);
  EXPECT_FALSE(decode_pixels(image, std::as_writable_bytes(std::span(out))));
  EXPECT_EQ(out, pixels);
}

TEST(DecodePixels, OutputOfTheWrongSizeIsRefused) {
  std::vector<std::uint16_t> pixels(6);
  const EncodedImage image{2, 3, Dtype::uint16, Compression::none, std::as_bytes(std::span(pixels))};
  std::vector<std::byte> out(11);
  const auto error = decode_pixels(image, out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::invalid_argument);
  EXPECT_NE(error->message.find("11 bytes"), std::string::npos) << error->message;
}

TEST(DecodePixels, UncompressedOfTheWrongSizeIsRefused) {
  std::vector<std::uint16_t> pixels(5);
  const EncodedImage image{2, 3, Dtype::uint16, Compression::none, std::as_bytes(std::span(pixels))};
  std::vector<std::byte> out(12);
  const auto error = decode_pixels(image, out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::size_mismatch);
}

// A raw LZ4 block per HDF5-framed block, built with liblz4 here; the Python-made fixtures cover the rest.
TEST(DecodePixels, Lz4FramingMixesCompressedAndRawBlocks) {
  std::vector<std::byte> data(3000);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::byte>(i < 1024 ? 7 : (i * 2654435761u) >> 13);  // compressible, then noise
  }
  std::vector<std::byte> framed = big_endian(data.size(), 8);
  append(framed, big_endian(1024, 4));
  for (std::size_t start = 0; start < data.size(); start += 1024) {
    const std::size_t size = std::min<std::size_t>(1024, data.size() - start);
    std::vector<char> packed(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(size))));
    const int packed_size = LZ4_compress_default(reinterpret_cast<const char*>(data.data() + start), packed.data(),
                                                 static_cast<int>(size), static_cast<int>(packed.size()));
    ASSERT_GT(packed_size, 0);
    if (static_cast<std::size_t>(packed_size) >= size) {  // incompressible: stored raw
      append(framed, big_endian(size, 4));
      framed.insert(framed.end(), data.begin() + static_cast<std::ptrdiff_t>(start),
                    data.begin() + static_cast<std::ptrdiff_t>(start + size));
    } else {
      append(framed, big_endian(static_cast<std::uint64_t>(packed_size), 4));
      const auto* p = reinterpret_cast<const std::byte*>(packed.data());
      framed.insert(framed.end(), p, p + packed_size);
    }
  }
  const EncodedImage image{1, 1500, Dtype::uint16, Compression::lz4, framed};
  std::vector<std::byte> out(3000);
  ASSERT_FALSE(decode_pixels(image, out));
  EXPECT_EQ(out, data);
}

TEST(DecodePixels, Bslz4HeaderShorterThanTwelveBytesIsRefused) {
  const std::vector<std::byte> framed(11);
  const EncodedImage image{1, 8, Dtype::uint16, Compression::bslz4, framed};
  std::vector<std::byte> out(16);
  const auto error = decode_pixels(image, out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::size_mismatch);
  EXPECT_NE(error->message.find("12-byte header"), std::string::npos) << error->message;
}

TEST(DecodePixels, Bslz4BlockSizeNotAMultipleOfEightElementsIsRefused) {
  std::vector<std::byte> framed = big_endian(32, 8);
  append(framed, big_endian(6, 4));  // 3 uint16 elements
  const EncodedImage image{1, 16, Dtype::uint16, Compression::bslz4, framed};
  std::vector<std::byte> out(32);
  const auto error = decode_pixels(image, out);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("multiple of 8"), std::string::npos) << error->message;
}

// Fewer than 8 elements: no block at all, every element raw after the header (bitshuffle's leftover rule).
TEST(DecodePixels, Bslz4ImageSmallerThanEightElementsIsAllLeftover) {
  std::vector<std::byte> framed = big_endian(10, 8);
  append(framed, big_endian(8192, 4));
  const std::vector<std::uint16_t> pixels = {9, 8, 7, 6, 5};
  const auto raw = std::as_bytes(std::span(pixels));
  framed.insert(framed.end(), raw.begin(), raw.end());
  const EncodedImage image{1, 5, Dtype::uint16, Compression::bslz4, framed};
  std::vector<std::uint16_t> out(5);
  ASSERT_FALSE(decode_pixels(image, std::as_writable_bytes(std::span(out))));
  EXPECT_EQ(out, pixels);
}

// The per-thread scratch: many threads decoding the same fixture at once all get the right pixels.
TEST(DecodePixels, ConcurrentDecodesAgree) {
  const auto fixture = testing_support::load_fixture("dectris2_image_bslz4_uint16");
  const auto parts = fixture.views();
  const auto message = decode_message(StreamFormat::dectris2, parts);
  ASSERT_TRUE(message.ok());
  const EncodedImage image = std::get<SeriesImage>(message.value()).image;
  std::vector<int> failures(4, 0);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t) {
      threads.emplace_back([&, t] {
        std::vector<std::byte> out(image.decoded_bytes());
        for (int i = 0; i < 50; ++i) {
          if (decode_pixels(image, out) || out != *fixture.pixels) ++failures[t];
        }
      });
    }
  }
  for (int failed : failures) EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace tomolive::detector
