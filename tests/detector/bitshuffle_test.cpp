// Every bitshuffle variant against Debian's python3-bitshuffle (bitshuffle.bitshuffle of one block), and the SIMD
// variants against the scalar one on sizes that exercise their tails.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bitshuffle.hpp"
#include "fixture_support.hpp"

namespace tomolive::detector {
namespace {

using bitshuffle::Isa;
using testing_support::fixture_dir;
using testing_support::read_file;

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2}) {
    if (bitshuffle::supported(isa)) isas.push_back(isa);
  }
  return isas;
}

std::vector<std::uint8_t> as_u8(const std::vector<std::byte>& bytes) {
  std::vector<std::uint8_t> out(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) out[i] = std::to_integer<std::uint8_t>(bytes[i]);
  return out;
}

std::vector<std::uint8_t> unshuffled(Isa isa, const std::vector<std::uint8_t>& in, std::size_t elem_size) {
  std::vector<std::uint8_t> out(in.size()), scratch(in.size());
  bitshuffle::unshuffle(isa, in.data(), out.data(), in.size() / elem_size, elem_size, scratch.data());
  return out;
}

TEST(Bitshuffle, ScalarIsAlwaysSupported) { EXPECT_TRUE(bitshuffle::supported(Isa::scalar)); }

TEST(Bitshuffle, EveryVariantMatchesPythonBitshuffle) {
  for (Isa isa : supported_isas()) {
    for (std::size_t elem_size : {1, 2, 4}) {
      for (std::size_t count : {8, 64, 128, 264, 4096}) {
        const std::string base =
            fixture_dir() + "/bitshuffle_" + std::to_string(elem_size) + "_" + std::to_string(count);
        const auto in = as_u8(read_file(base + ".in"));
        const auto expected = as_u8(read_file(base + ".out"));
        ASSERT_EQ(in.size(), count * elem_size);
        EXPECT_EQ(unshuffled(isa, in, elem_size), expected)
            << "isa " << static_cast<int>(isa) << ", elem_size " << elem_size << ", count " << count;
      }
    }
  }
}

TEST(Bitshuffle, SimdVariantsMatchScalarOnEverySizeUpToTwoVectors) {
  std::mt19937 random(7);
  for (std::size_t elem_size : {1, 2, 3, 4, 8}) {
    for (std::size_t count = 8; count <= 8 * 80; count += 8) {
      std::vector<std::uint8_t> in(count * elem_size);
      for (auto& byte : in) byte = static_cast<std::uint8_t>(random());
      const auto reference = unshuffled(Isa::scalar, in, elem_size);
      for (Isa isa : supported_isas()) {
        ASSERT_EQ(unshuffled(isa, in, elem_size), reference)
            << "isa " << static_cast<int>(isa) << ", elem_size " << elem_size << ", count " << count;
      }
    }
  }
}

TEST(Bitshuffle, BestIsaIsSupported) { EXPECT_TRUE(bitshuffle::supported(bitshuffle::best_isa())); }

}  // namespace
}  // namespace tomolive::detector
