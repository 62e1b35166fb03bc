#include "msgpack_writer.hpp"

#include <array>
#include <bit>

namespace tomolive::protocol::detail {

void MapWriter::pack_str(Packer& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

void MapWriter::pack_float64(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  std::array<char, 9> encoded{};
  encoded[0] = static_cast<char>(0xcb);  // float 64, then the IEEE 754 bits big-endian
  for (std::size_t i = 0; i < 8; ++i) encoded[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
  entries_.write(encoded.data(), encoded.size());
}

void MapWriter::append_to(msgpack::sbuffer& out) const {
  Packer(out).pack_map(size_);
  out.write(entries_.data(), entries_.size());
}

MapWriter& MapWriter::map(std::string_view key, const MapWriter& inner) {
  Packer packer(entries_);
  pack_str(packer, key);
  inner.append_to(entries_);
  ++size_;
  return *this;
}

MapWriter& MapWriter::map_array(std::string_view key, const std::vector<MapWriter>& elements) {
  Packer packer(entries_);
  pack_str(packer, key);
  packer.pack_array(static_cast<std::uint32_t>(elements.size()));
  for (const MapWriter& element : elements) element.append_to(entries_);
  ++size_;
  return *this;
}

Bytes MapWriter::bytes() const {
  msgpack::sbuffer out;
  append_to(out);
  const auto* begin = reinterpret_cast<const std::byte*>(out.data());
  return Bytes(begin, begin + out.size());
}

MapWriter message_header(std::string_view type) {
  MapWriter header;
  header.field("v", kProtocolVersion).field("type", type);
  return header;
}

}  // namespace tomolive::protocol::detail
