// Writes NumPy .npy files (format version 1.0: C order, little endian), so that Python tests can load simulator
// output with numpy.load: truth slices (float32) and raw detector data (uint16).
//
// Functions are thread-safe as long as two calls do not write the same path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tomolive::sim {

// The complete header of a .npy file: the magic "\x93NUMPY", version 1.0, the little-endian uint16 length of the
// dict, and the dict "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" padded with spaces and ended by
// '\n' so that the data starts at a multiple of 64 bytes. descr is a NumPy type string such as "<f4" or "<u2".
std::string npy_header(std::string_view descr, const std::vector<std::size_t>& shape);

// Writes `data` with the given shape (e.g. {rows, cols} or {frames, rows, cols}) to `path`, replacing the file.
// Throws std::invalid_argument if the product of shape differs from data.size(), and std::runtime_error (naming the
// path) if the file cannot be written.
void write_npy(const std::filesystem::path& path, std::span<const float> data, const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& path, std::span<const std::uint16_t> data,
               const std::vector<std::size_t>& shape);

}  // namespace tomolive::sim
