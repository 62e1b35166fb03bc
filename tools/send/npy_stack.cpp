#include "npy_stack.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

#include "frame_kinds.hpp"

namespace tomolive::send {

std::size_t NpyStack::frame_bytes() const { return rows * cols * itemsize(dtype); }

std::span<const std::byte> NpyStack::frame(std::size_t index) const {
  return std::span(data).subspan(index * frame_bytes(), frame_bytes());
}

NpyStack read_npy_stack(const std::filesystem::path& path) {
  const auto fail = [&](const std::string& what) { return std::runtime_error(path.string() + ": " + what); };
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot open");
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY") throw fail("not a .npy file");
  std::size_t header_length = 0;
  unsigned char length[4] = {};
  const int length_bytes = magic[6] == 1 ? 2 : 4;
  if (!in.read(reinterpret_cast<char*>(length), length_bytes)) throw fail("truncated header");
  for (int i = 0; i < length_bytes; ++i) header_length |= std::size_t{length[i]} << (8 * i);
  std::string header(header_length, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_length))) throw fail("truncated header");

  NpyStack stack;
  std::smatch match;
  if (!std::regex_search(header, match, std::regex("'descr':\\s*'([<|])([uf])(\\d)'"))) {
    throw fail("no descr in the header");
  }
  const std::string type = match[2].str() + match[3].str();
  if (type == "u1") stack.dtype = TL_UINT8;
  else if (type == "u2" && match[1] == "<") stack.dtype = TL_UINT16;
  else if (type == "u4" && match[1] == "<") stack.dtype = TL_UINT32;
  else if (type == "f4" && match[1] == "<") stack.dtype = TL_FLOAT32;
  else throw fail("dtype " + match[0].str() + "; expected little-endian uint8, uint16, uint32 or float32");
  if (header.find("'fortran_order': False") == std::string::npos) throw fail("Fortran order; expected C order");
  if (!std::regex_search(header, match, std::regex("'shape':\\s*\\(([^)]*)\\)"))) throw fail("no shape");
  std::vector<std::size_t> shape;
  const std::string dims = match[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    shape.push_back(std::stoull(it->str()));
  }
  if (shape.size() == 2) shape.insert(shape.begin(), 1);
  if (shape.size() != 3) throw fail("shape with " + std::to_string(shape.size()) + " axes; expected (frames, rows, cols)");
  stack.frames = shape[0];
  stack.rows = shape[1];
  stack.cols = shape[2];
  stack.data.resize(stack.frames * stack.frame_bytes());
  if (!in.read(reinterpret_cast<char*>(stack.data.data()), static_cast<std::streamsize>(stack.data.size()))) {
    throw fail("holds fewer bytes than its shape says");
  }
  return stack;
}

}  // namespace tomolive::send
