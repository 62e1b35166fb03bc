// How the multipart detector-stream fuzz targets cut one fuzz input into ZeroMQ message parts: at each occurrence
// of kPartSeparator (make_seeds.py joins a message's parts with it). A separator that mutates away merges parts,
// one that appears splits them: both are inputs a receiver can meet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::fuzz {

inline constexpr std::string_view kPartSeparator{"\0PART\0", 6};

inline std::vector<protocol::ByteView> split_parts(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<protocol::ByteView> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = input.find(kPartSeparator, start);
    const std::size_t stop = end == std::string_view::npos ? size : end;
    parts.emplace_back(reinterpret_cast<const std::byte*>(data) + start, stop - start);
    if (end == std::string_view::npos) return parts;
    start = end + kPartSeparator.size();
  }
}

}  // namespace tomolive::fuzz
