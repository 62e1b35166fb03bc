// The encoders for our own senders: the forward bitshuffle against Debian's python3-bitshuffle, and round trips
// through decode_pixels (leftover elements, custom blocks, incompressible lz4 blocks stored raw).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "bitshuffle.hpp"
#include "fixture_support.hpp"
#include "tomolive/detector/pixel_decoder.hpp"
#include "tomolive/detector/pixel_encoder.hpp"

namespace tomolive::detector {
namespace {

using protocol::Dtype;
using testing_support::fixture_dir;
using testing_support::read_file;

TEST(PixelEncoder, ShuffleMatchesPythonBitshuffle) {
  for (std::size_t elem_size : {1, 2, 4}) {
    for (std::size_t count : {8, 64, 128, 264, 4096}) {
      const std::string base = fixture_dir() + "/bitshuffle_" + std::to_string(elem_size) + "_" + std::to_string(count);
      const auto elements = read_file(base + ".out");
      const auto expected = read_file(base + ".in");
      std::vector<std::byte> shuffled(elements.size());
      bitshuffle::shuffle(reinterpret_cast<const std::uint8_t*>(elements.data()),
                          reinterpret_cast<std::uint8_t*>(shuffled.data()), count, elem_size);
      EXPECT_EQ(shuffled, expected) << "elem_size " << elem_size << ", count " << count;
    }
  }
}

std::vector<std::byte> noisy_bytes(std::size_t size, unsigned seed, unsigned spread) {
  std::mt19937 random(seed);
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>((i % 97) + random() % spread);
  return bytes;
}

TEST(PixelEncoder, Bslz4RoundTripsEveryDtypeAndLeftover) {
  for (Dtype dtype : {Dtype::uint8, Dtype::uint16, Dtype::uint32, Dtype::float32}) {
    for (std::uint32_t cols : {1u, 7u, 8u, 129u, 4099u}) {
      for (std::size_t block : {0u, 8u, 64u}) {
        const EncodedImage shape{3, cols, dtype, Compression::bslz4, {}};
        const auto pixels = noisy_bytes(shape.decoded_bytes(), cols, 16);
        const auto encoded = encode_bslz4(pixels, protocol::itemsize(dtype), block);
        EncodedImage image = shape;
        image.bytes = encoded;
        std::vector<std::byte> decoded(image.decoded_bytes());
        const auto error = decode_pixels(image, decoded);
        ASSERT_FALSE(error) << error->message;
        EXPECT_EQ(decoded, pixels) << protocol::to_string(dtype) << " 3 x " << cols << ", block " << block;
      }
    }
  }
}

TEST(PixelEncoder, Lz4RoundTripsWithRawBlocks) {
  auto data = noisy_bytes(10000, 3, 256);  // incompressible: blocks stored raw
  const auto smooth = noisy_bytes(6000, 4, 1);
  data.insert(data.end(), smooth.begin(), smooth.end());
  const auto encoded = encode_lz4(data, 4096);
  EXPECT_LT(encoded.size(), data.size());
  const EncodedImage image{1, static_cast<std::uint32_t>(data.size()), Dtype::uint8, Compression::lz4, encoded};
  std::vector<std::byte> decoded(data.size());
  ASSERT_FALSE(decode_pixels(image, decoded));
  EXPECT_EQ(decoded, data);
}

}  // namespace
}  // namespace tomolive::detector
