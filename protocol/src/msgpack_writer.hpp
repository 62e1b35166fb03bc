// Writing protocol headers as msgpack maps (internal to tomolive_protocol).
#pragma once

#include <array>
#include <cstdint>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol::detail {

template <typename>
inline constexpr bool kAlwaysFalse = false;

// Builds one msgpack map entry by entry. The entry count is written when the map is finished, so optional fields
// need no counting ahead. Entries keep the order they were added in.
class MapWriter {
 public:
  // Appends key -> value. T: bool, an integer type, double, a string, std::vector<double> (array of float64),
  // std::vector<std::string> (array of strs), std::array<std::uint32_t, 2> ([rows, cols]), 3 ([z, y, x]) or 4
  // ([row0, col0, rows, cols]), or CounterList (map name -> uint, in list order).
  template <typename T>
  MapWriter& field(std::string_view key, const T& value);
  // Appends key -> *value, or nothing when value is nullopt.
  template <typename T>
  MapWriter& optional(std::string_view key, const std::optional<T>& value) {
    if (value) field(key, *value);
    return *this;
  }
  // Appends key -> the map that `inner` has built.
  MapWriter& map(std::string_view key, const MapWriter& inner);
  // Appends key -> an array of the maps that `elements` have built, in order.
  MapWriter& map_array(std::string_view key, const std::vector<MapWriter>& elements);

  // The finished map: the map header with the entry count, then the entries.
  Bytes bytes() const;

 private:
  using Packer = msgpack::packer<msgpack::sbuffer>;
  static void pack_str(Packer& packer, std::string_view text);
  // Always msgpack float64, so every double reads back exactly (msgpack-cxx's pack_double writes integral values
  // as integers, which loses -0.0 and is undefined for values near 2^64).
  void pack_float64(double value);
  void append_to(msgpack::sbuffer& out) const;

  msgpack::sbuffer entries_;
  std::uint32_t size_ = 0;
};

// A header map that starts with "v" = kProtocolVersion and "type" = type.
MapWriter message_header(std::string_view type);

// --- template definitions ---

template <typename T>
MapWriter& MapWriter::field(std::string_view key, const T& value) {
  Packer packer(entries_);
  pack_str(packer, key);
  if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    packer.pack(value);  // integers take the smallest msgpack encoding that holds them
  } else if constexpr (std::is_same_v<T, double>) {
    pack_float64(value);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    pack_str(packer, value);
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    packer.pack_array(static_cast<std::uint32_t>(value.size()));
    for (double x : value) pack_float64(x);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    packer.pack_array(static_cast<std::uint32_t>(value.size()));
    for (const std::string& text : value) pack_str(packer, text);
  } else if constexpr (std::is_same_v<T, std::array<std::uint32_t, 2>> ||
                       std::is_same_v<T, std::array<std::uint32_t, 3>> ||
                       std::is_same_v<T, std::array<std::uint32_t, 4>>) {
    packer.pack_array(static_cast<std::uint32_t>(value.size()));
    for (const std::uint32_t x : value) packer.pack(x);
  } else if constexpr (std::is_same_v<T, CounterList>) {
    packer.pack_map(static_cast<std::uint32_t>(value.size()));
    for (const auto& [name, count] : value) {
      pack_str(packer, name);
      packer.pack(count);
    }
  } else {
    static_assert(kAlwaysFalse<T>, "MapWriter::field: no msgpack encoding for this type");
  }
  ++size_;
  return *this;
}

}  // namespace tomolive::protocol::detail
