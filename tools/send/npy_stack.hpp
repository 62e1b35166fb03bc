// A stack of frames read from a NumPy .npy file (format 1.0 or 2.0, C order, little endian): shape
// (frames, rows, cols) or (rows, cols), dtype uint8, uint16, uint32 or float32. For tomolive-send --projections-npy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "tomolive/send.h"

namespace tomolive::send {

struct NpyStack {
  tl_dtype dtype = TL_UINT16;
  std::size_t frames = 0, rows = 0, cols = 0;
  std::vector<std::byte> data;  // frames * rows * cols items

  std::size_t frame_bytes() const;
  std::span<const std::byte> frame(std::size_t index) const;
};

// Throws std::runtime_error naming the file and what is wrong with it.
NpyStack read_npy_stack(const std::filesystem::path& path);

}  // namespace tomolive::send
