#include "tomolive/sim/npy.hpp"

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace tomolive::sim {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy writer stores the host's little-endian bytes");

constexpr std::size_t kAlignment = 64;
constexpr std::string_view kMagic = "\x93NUMPY";

template <typename T>
void write_array(const std::filesystem::path& path, std::string_view descr, std::span<const T> data,
                 const std::vector<std::size_t>& shape) {
  const std::size_t count = std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
  if (count != data.size()) {
    throw std::invalid_argument("write_npy " + path.string() + ": shape holds " + std::to_string(count) +
                                " values, data has " + std::to_string(data.size()));
  }
  const std::string header = npy_header(descr, shape);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(header.data(), static_cast<std::streamsize>(header.size()));
  file.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size_bytes()));
  file.close();
  if (!file) {
    throw std::runtime_error("write_npy: cannot write " + path.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

std::string npy_header(std::string_view descr, const std::vector<std::size_t>& shape) {
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t preamble = kMagic.size() + 2 + 2;  // magic, version, header length
  const std::size_t unpadded = preamble + dict.size() + 1;  // + '\n'
  dict.append((kAlignment - unpadded % kAlignment) % kAlignment, ' ');
  dict += '\n';
  const auto length = static_cast<std::uint16_t>(dict.size());
  std::string header(kMagic);
  header += '\x01';
  header += '\x00';
  header += static_cast<char>(length & 0xff);
  header += static_cast<char>(length >> 8);
  return header + dict;
}

void write_npy(const std::filesystem::path& path, std::span<const float> data, const std::vector<std::size_t>& shape) {
  write_array(path, "<f4", data, shape);
}

void write_npy(const std::filesystem::path& path, std::span<const std::uint16_t> data,
               const std::vector<std::size_t>& shape) {
  write_array(path, "<u2", data, shape);
}

}  // namespace tomolive::sim
