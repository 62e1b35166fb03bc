#include "compressed_blocks.hpp"

#include <lz4.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

namespace tomolive::detector {
namespace {

using protocol::ErrorCode;

constexpr std::size_t kHeaderBytes = 12;
// bitshuffle's own rules: blocks are a multiple of 8 elements; a header block size of 0 means its default block
// of 8 KiB rounded down to a multiple of 8 elements, at least 128 elements (bshuf_default_block_size).
constexpr std::size_t kBlockedMultiple = 8;
constexpr std::size_t kDefaultBlockBytes = 8192;
constexpr std::size_t kMinDefaultBlockElements = 128;

protocol::Error mismatch(std::string message) { return {ErrorCode::size_mismatch, std::move(message)}; }

std::uint64_t read_be(const std::byte* p, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
  return value;
}

// Reads the framing header shared by bslz4 and lz4; checks the total against the image.
struct FrameHeader {
  std::size_t block_bytes = 0;
};
std::optional<protocol::Error> read_header(std::string_view name, protocol::ByteView in, std::size_t out_bytes,
                                           FrameHeader& header) {
  if (in.size() < kHeaderBytes) {
    return mismatch(std::string(name) + ": " + std::to_string(in.size()) +
                    " bytes of data, shorter than the 12-byte header");
  }
  const std::uint64_t total = read_be(in.data(), 8);
  if (total != out_bytes) {
    return mismatch(std::string(name) + ": header says " + std::to_string(total) +
                    " decompressed bytes, the image needs " + std::to_string(out_bytes));
  }
  header.block_bytes = static_cast<std::size_t>(read_be(in.data() + 8, 4));
  return std::nullopt;
}

// Decompresses one LZ4 block of exactly `expected` bytes.
std::optional<protocol::Error> decompress_block(std::string_view name, std::size_t index, protocol::ByteView in,
                                                void* out, std::size_t expected) {
  if (in.size() > static_cast<std::size_t>(INT_MAX) || expected > static_cast<std::size_t>(INT_MAX)) {
    return mismatch(std::string(name) + ": block " + std::to_string(index) + " is over 2 GiB");
  }
  const int decoded = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), static_cast<char*>(out),
                                          static_cast<int>(in.size()), static_cast<int>(expected));
  if (decoded < 0) {
    return mismatch(std::string(name) + ": block " + std::to_string(index) + " (" + std::to_string(in.size()) +
                    " bytes) is not valid LZ4 or decompresses to more than its " + std::to_string(expected) +
                    " bytes");
  }
  if (static_cast<std::size_t>(decoded) != expected) {
    return mismatch(std::string(name) + ": block " + std::to_string(index) + " decompressed to " +
                    std::to_string(decoded) + " bytes, expected " + std::to_string(expected));
  }
  return std::nullopt;
}

// Walks the blocks after the header: each a uint32 BE size and that many bytes.
class BlockReader {
 public:
  BlockReader(std::string_view name, protocol::ByteView in) : name_(name), in_(in), pos_(kHeaderBytes) {}

  std::optional<protocol::Error> next(std::size_t index, protocol::ByteView& block) {
    if (in_.size() - pos_ < 4) {
      return mismatch(std::string(name_) + ": data ends before the size of block " + std::to_string(index));
    }
    const auto size = static_cast<std::size_t>(read_be(in_.data() + pos_, 4));
    pos_ += 4;
    if (size > in_.size() - pos_) {
      return mismatch(std::string(name_) + ": block " + std::to_string(index) + " claims " + std::to_string(size) +
                      " compressed bytes, only " + std::to_string(in_.size() - pos_) + " remain");
    }
    block = in_.subspan(pos_, size);
    pos_ += size;
    return std::nullopt;
  }
  std::optional<protocol::Error> take_raw(std::size_t bytes, protocol::ByteView& raw) {
    if (bytes > in_.size() - pos_) {
      return mismatch(std::string(name_) + ": data ends inside the " + std::to_string(bytes) +
                      " raw bytes after the last block");
    }
    raw = in_.subspan(pos_, bytes);
    pos_ += bytes;
    return std::nullopt;
  }
  std::optional<protocol::Error> finish() const {
    if (pos_ != in_.size()) {
      return mismatch(std::string(name_) + ": " + std::to_string(in_.size() - pos_) +
                      " bytes left over after the last block");
    }
    return std::nullopt;
  }

 private:
  std::string_view name_;
  protocol::ByteView in_;
  std::size_t pos_;
};

}  // namespace

std::optional<protocol::Error> decode_bslz4(protocol::ByteView in, std::span<std::byte> out, std::size_t elem_size,
                                            bitshuffle::Isa isa, BlockScratch& scratch) {
  constexpr std::string_view kName = "bslz4";
  FrameHeader header;
  if (auto error = read_header(kName, in, out.size(), header)) return error;
  if (elem_size == 0 || out.size() % elem_size != 0) {
    return mismatch("bslz4: " + std::to_string(out.size()) + " bytes are not whole elements of " +
                    std::to_string(elem_size) + " bytes");
  }
  std::size_t block_elements = header.block_bytes / elem_size;
  if (header.block_bytes == 0) {
    block_elements = std::max(kDefaultBlockBytes / elem_size / kBlockedMultiple * kBlockedMultiple,
                              kMinDefaultBlockElements);
  } else if (header.block_bytes % elem_size != 0 || block_elements % kBlockedMultiple != 0) {
    return mismatch("bslz4: block of " + std::to_string(header.block_bytes) + " bytes is not a multiple of 8 " +
                    std::to_string(elem_size) + "-byte elements");
  }
  const std::size_t count = out.size() / elem_size;
  // No block is larger than the image, so a lying header cannot make the scratch grow past it.
  const std::size_t largest_block = std::min(block_elements, count) * elem_size;
  if (scratch.block.size() < largest_block) scratch.block.resize(largest_block);
  if (scratch.planes.size() < largest_block) scratch.planes.resize(largest_block);

  BlockReader reader(kName, in);
  auto* dst = reinterpret_cast<std::uint8_t*>(out.data());
  std::size_t done = 0;  // elements
  for (std::size_t index = 0;; ++index) {
    const std::size_t left = count - done;
    const std::size_t elements = left >= block_elements ? block_elements : left - left % kBlockedMultiple;
    if (elements == 0) break;
    protocol::ByteView block;
    if (auto error = reader.next(index, block)) return error;
    if (auto error = decompress_block(kName, index, block, scratch.block.data(), elements * elem_size)) {
      return error;
    }
    bitshuffle::unshuffle(isa, scratch.block.data(), dst + done * elem_size, elements, elem_size,
                          scratch.planes.data());
    done += elements;
  }
  protocol::ByteView raw;
  if (auto error = reader.take_raw((count - done) * elem_size, raw)) return error;
  if (!raw.empty()) std::memcpy(dst + done * elem_size, raw.data(), raw.size());
  return reader.finish();
}

std::optional<protocol::Error> decode_hdf5_lz4(protocol::ByteView in, std::span<std::byte> out) {
  constexpr std::string_view kName = "lz4";
  FrameHeader header;
  if (auto error = read_header(kName, in, out.size(), header)) return error;
  // As the HDF5 LZ4 filter reads it: a block size of 0 or above the total means one block of the total.
  const std::size_t block_bytes =
      header.block_bytes == 0 || header.block_bytes > out.size() ? out.size() : header.block_bytes;
  BlockReader reader(kName, in);
  std::size_t done = 0;
  for (std::size_t index = 0; done < out.size(); ++index) {
    const std::size_t bytes = std::min(block_bytes, out.size() - done);
    protocol::ByteView block;
    if (auto error = reader.next(index, block)) return error;
    if (block.size() == bytes) {  // stored raw: LZ4 could not make it smaller
      std::memcpy(out.data() + done, block.data(), bytes);
    } else if (auto error = decompress_block(kName, index, block, out.data() + done, bytes)) {
      return error;
    }
    done += bytes;
  }
  return reader.finish();
}

std::optional<protocol::Error> decode_lz4_block(protocol::ByteView in, std::span<std::byte> out) {
  return decompress_block("lz4 block", 0, in, out.data(), out.size());
}

}  // namespace tomolive::detector
