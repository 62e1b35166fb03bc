#include "tomolive/detector/pixel_encoder.hpp"

#include <lz4.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "bitshuffle.hpp"

namespace tomolive::detector {
namespace {

void put_be(std::vector<std::byte>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = bytes; i-- > 0;) out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

// Appends a uint32 BE size and the LZ4 block of `size` bytes at `data` (raw when `raw_if_larger` and LZ4 does not
// shrink it).
void put_block(std::vector<std::byte>& out, const void* data, std::size_t size, bool raw_if_larger) {
  std::vector<char> packed(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(size))));
  const int packed_size = LZ4_compress_default(static_cast<const char*>(data), packed.data(), static_cast<int>(size),
                                               static_cast<int>(packed.size()));
  if (raw_if_larger && static_cast<std::size_t>(packed_size) >= size) {
    put_be(out, size, 4);
    const auto* p = static_cast<const std::byte*>(data);
    out.insert(out.end(), p, p + size);
    return;
  }
  put_be(out, static_cast<std::uint64_t>(packed_size), 4);
  const auto* p = reinterpret_cast<const std::byte*>(packed.data());
  out.insert(out.end(), p, p + packed_size);
}

}  // namespace

std::vector<std::byte> encode_bslz4(protocol::ByteView pixels, std::size_t elem_size, std::size_t block_elements) {
  if (block_elements == 0) block_elements = std::max<std::size_t>(8192 / elem_size / 8 * 8, 128);
  const std::size_t count = pixels.size() / elem_size;
  std::vector<std::byte> out;
  put_be(out, pixels.size(), 8);
  put_be(out, block_elements * elem_size, 4);
  std::vector<std::uint8_t> shuffled(block_elements * elem_size);
  const auto* in = reinterpret_cast<const std::uint8_t*>(pixels.data());
  std::size_t done = 0;
  for (;;) {
    const std::size_t left = count - done;
    const std::size_t elements = left >= block_elements ? block_elements : left - left % 8;
    if (elements == 0) break;
    bitshuffle::shuffle(in + done * elem_size, shuffled.data(), elements, elem_size);
    put_block(out, shuffled.data(), elements * elem_size, false);
    done += elements;
  }
  out.insert(out.end(), pixels.begin() + static_cast<std::ptrdiff_t>(done * elem_size), pixels.end());
  return out;
}

std::vector<std::byte> encode_lz4(protocol::ByteView data, std::size_t block_bytes) {
  std::vector<std::byte> out;
  put_be(out, data.size(), 8);
  put_be(out, block_bytes, 4);
  for (std::size_t start = 0; start < data.size(); start += block_bytes) {
    put_block(out, data.data() + start, std::min(block_bytes, data.size() - start), true);
  }
  return out;
}

}  // namespace tomolive::detector
