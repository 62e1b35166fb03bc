// The .npy writer produces files numpy.load accepts: the format 1.0 header byte for byte, then the raw data.
#include "tomolive/sim/npy.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace tomolive::sim {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("tomolive_npy_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" + name);
}

TEST(Npy, HeaderFollowsFormatOne) {
  const std::string header = npy_header("<f4", {2, 3});
  ASSERT_EQ(header.size() % 64, 0u);
  EXPECT_EQ(header.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(header[6], '\x01');  // major version
  EXPECT_EQ(header[7], '\x00');  // minor version
  const auto length = static_cast<std::size_t>(static_cast<unsigned char>(header[8]) |
                                               (static_cast<unsigned char>(header[9]) << 8));
  EXPECT_EQ(length, header.size() - 10);
  const std::string dict = header.substr(10);
  const std::string expected = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(dict.rfind(expected, 0), 0u);
  EXPECT_EQ(dict.back(), '\n');
  EXPECT_EQ(dict.find_first_not_of(' ', expected.size()), dict.size() - 1) << "spaces pad up to the newline";

  EXPECT_NE(npy_header("<u2", {7}).find("'shape': (7,)"), std::string::npos);  // a 1-tuple keeps its comma
  const std::string big = npy_header("<u2", {100000, 2016, 2016});
  EXPECT_EQ(big.size() % 64, 0u);
  EXPECT_NE(big.find("'descr': '<u2'"), std::string::npos);
  EXPECT_NE(big.find("(100000, 2016, 2016)"), std::string::npos);
}

TEST(Npy, WritesHeaderThenLittleEndianData) {
  const std::filesystem::path path = temp_path("float.npy");
  const std::vector<float> values{0.f, 1.5f, -2.f, 3.25f, 1e-3f, 7.f};
  write_npy(path, values, {2, 3});
  const std::string bytes = read_file(path);
  const std::string header = npy_header("<f4", {2, 3});
  ASSERT_EQ(bytes.size(), header.size() + values.size() * sizeof(float));
  EXPECT_EQ(bytes.substr(0, header.size()), header);
  std::vector<float> back(values.size());
  std::memcpy(back.data(), bytes.data() + header.size(), back.size() * sizeof(float));
  EXPECT_EQ(back, values);
  std::filesystem::remove(path);

  const std::filesystem::path frames = temp_path("u16.npy");
  const std::vector<std::uint16_t> counts{1, 2, 65535, 256, 0, 100, 7, 8};
  write_npy(frames, counts, {2, 2, 2});
  const std::string raw = read_file(frames);
  EXPECT_NE(raw.find("'shape': (2, 2, 2)"), std::string::npos);
  const std::size_t data = raw.size() - counts.size() * 2;
  EXPECT_EQ(data % 64, 0u);
  EXPECT_EQ(static_cast<unsigned char>(raw[data + 4]), 0xff);  // 65535, little endian
  EXPECT_EQ(static_cast<unsigned char>(raw[data + 6]), 0x00);  // 256 = 0x0100: low byte first
  EXPECT_EQ(static_cast<unsigned char>(raw[data + 7]), 0x01);
  std::filesystem::remove(frames);
}

TEST(Npy, RejectsAWrongShapeAndAnUnwritablePath) {
  const std::vector<float> values(6);
  EXPECT_THROW(write_npy(temp_path("bad.npy"), values, {4, 2}), std::invalid_argument);
  EXPECT_THROW(write_npy("/nonexistent-dir/x.npy", values, {6}), std::runtime_error);
}

}  // namespace
}  // namespace tomolive::sim
