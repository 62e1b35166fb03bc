#include "tomolive/daemon/data_message_type.hpp"

#include <exception>
#include <string_view>

#include <msgpack.hpp>

namespace tomolive::daemon {
namespace {

constexpr std::size_t kMaxDepth = 16;  // as the codec's header limit (protocol/src/msgpack_reader.hpp)

}  // namespace

std::optional<std::string> data_message_type(std::span<const std::byte> header) {
  const std::size_t size = header.size();
  if (size == 0) return std::nullopt;
  // Every element and entry takes at least one byte of input, so these limits reject no well-formed header.
  const msgpack::unpack_limit limit(size, size / 2, size, size, size, kMaxDepth);
  try {
    std::size_t offset = 0;
    const msgpack::object_handle handle =
        msgpack::unpack(reinterpret_cast<const char*>(header.data()), size, offset, nullptr, nullptr, limit);
    const msgpack::object& map = handle.get();
    if (map.type != msgpack::type::MAP) return std::nullopt;
    for (const msgpack::object_kv& entry : std::span(map.via.map.ptr, map.via.map.size)) {
      if (entry.key.type != msgpack::type::STR || entry.val.type != msgpack::type::STR) continue;
      if (std::string_view(entry.key.via.str.ptr, entry.key.via.str.size) == "type") {
        return std::string(entry.val.via.str.ptr, entry.val.via.str.size);
      }
    }
  } catch (const std::exception&) {  // invalid msgpack, a limit exceeded, std::bad_alloc
  }
  return std::nullopt;
}

}  // namespace tomolive::daemon
