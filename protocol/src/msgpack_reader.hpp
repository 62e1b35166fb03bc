// Reading protocol headers out of msgpack (internal to tomolive_protocol): bounded parsing of one message part,
// the "v"/"type" envelope every header shares, and typed field access on maps with the protocol's error rules.
//
// Error messages name the field (with the path of enclosing maps, "result.scan.rows"), the msgpack value found
// and what was expected, e.g. `field "rows": found str "12", expected an unsigned integer 0..4294967295`.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol::detail {

// Parses `bytes` as exactly one msgpack map. Lengths claimed inside the bytes are bounded by bytes.size() and the
// nesting depth by kMaxHeaderDepth, so garbage cannot make the parser reserve much more memory than its input.
// Errors (malformed_header): empty, truncated or invalid msgpack, bytes after the map, a value that is not a map.
Expected<msgpack::object_handle> parse_map(ByteView bytes);
inline constexpr std::size_t kMaxHeaderDepth = 16;

// A msgpack value as messages show it: `str "abc"`, `positive int 5`, `float64 nan`, `array of 3 elements`.
std::string describe(const msgpack::object& value);
// A string as messages quote it: in double quotes, cut after 64 bytes (at a character boundary, "..." marking the
// cut), always valid UTF-8 without control characters: control characters and bytes that are not valid UTF-8 are
// written as \xNN, '"' and '\\' as \" and \\.
std::string quote(std::string_view text);
// A double in the shortest form that reads back exactly ("0.1", "1e+300", "nan").
std::string format_number(double value);

// Conversions from one msgpack value to the C++ type of a field. Each returns nullopt on success, or the reason it
// failed: "found <describe(value)>, expected <what>". Integers must fit the target type (msgpack positive and
// negative ints are both accepted); double accepts float32, float64 and integers; strings must be msgpack str.
// These check types only; MapReader also checks that every str it reads is valid UTF-8.
std::optional<std::string> convert(const msgpack::object& value, bool& out);
std::optional<std::string> convert(const msgpack::object& value, std::uint32_t& out);
std::optional<std::string> convert(const msgpack::object& value, std::uint64_t& out);
std::optional<std::string> convert(const msgpack::object& value, std::int64_t& out);
std::optional<std::string> convert(const msgpack::object& value, double& out);
std::optional<std::string> convert(const msgpack::object& value, std::string& out);
std::optional<std::string> convert(const msgpack::object& value, std::vector<double>& out);  // array of numbers
std::optional<std::string> convert(const msgpack::object& value, std::vector<std::string>& out);  // array of strs
std::optional<std::string> convert(const msgpack::object& value, std::array<std::uint32_t, 2>& out);  // [rows, cols]
std::optional<std::string> convert(const msgpack::object& value, std::array<std::uint32_t, 3>& out);  // [z, y, x]
std::optional<std::string> convert(const msgpack::object& value, std::array<std::uint32_t, 4>& out);  // a region
std::optional<std::string> convert(const msgpack::object& value, CounterList& out);  // map str -> uint64, in order

// Typed access to the fields of one msgpack map. The first failed read is kept (shared with the readers of nested
// maps) and later reads return default values, so a decoder reads every field and then checks error() once.
// Keys that are not strings, and keys nobody asks for, are ignored; when a key repeats, its first occurrence counts.
// Copies share the error state; a reader must not outlive the object_handle that holds its map.
class MapReader {
 public:
  // Precondition: map.type == msgpack::type::MAP.
  explicit MapReader(const msgpack::object& map);

  // A required field: absent -> missing_field; nil, wrong type or out of range -> wrong_field_type; a str in the
  // value (the field itself, an array element, a map key or value) that is not valid UTF-8 -> invalid_field, naming
  // the field and the byte offset of the first invalid byte. Every field read (optional, required_name) obeys these.
  template <typename T>
  T required(std::string_view key);
  // An optional field: absent or nil -> nullopt; any other value must convert (else wrong_field_type).
  template <typename T>
  std::optional<T> optional(std::string_view key);
  // A required string naming an enumerator; a name `parse` rejects fails with `unknown_code`, and the message
  // lists `expected` ("uint8, uint16, uint32 or float32").
  template <typename Enum>
  Enum required_name(std::string_view key, std::optional<Enum> (*parse)(std::string_view), ErrorCode unknown_code,
                     std::string_view expected);
  // A nested map, read with the same error state. When it is absent or not a map, the error is recorded as for a
  // required field and the returned reader finds no keys.
  MapReader required_map(std::string_view key);
  // A nested map when present and not nil.
  std::optional<MapReader> optional_map(std::string_view key);
  // An array of nested maps ("key.0.", "key.1." in messages), read with the same error state; absent or nil: none.
  // A value that is not an array, or an element that is not a map, is recorded as wrong_field_type.
  std::vector<MapReader> optional_map_array(std::string_view key);

  // The raw value of `key` (nil included), or nullptr when absent. For rules that the typed reads cannot express.
  const msgpack::object* find(std::string_view key) const;
  // Whether `key` is present with a value other than nil.
  bool has(std::string_view key) const;
  // The map's string keys, in order (views into the map).
  std::vector<std::string_view> keys() const;

  // Records an error for this decode unless an earlier one was recorded; the first error is the one reported.
  void fail(ErrorCode code, std::string message);
  // `key` as messages name it: quoted, with the path of the enclosing maps (`"result.scan.rows"`).
  std::string field_name(std::string_view key) const;
  const std::optional<Error>& error() const { return *error_; }

 private:
  MapReader(const msgpack::object* map, std::string path, std::shared_ptr<std::optional<Error>> error);
  template <typename T>
  bool read(std::string_view key, const msgpack::object& value, T& out);
  // Records invalid_field when a str in `value` is not valid UTF-8.
  bool check_utf8(std::string_view key, const msgpack::object& value);

  const msgpack::object* map_;  // nullptr: a nested map that could not be read (its error is recorded)
  std::string path_;            // "" at the top, "result.scan." inside nested maps
  std::shared_ptr<std::optional<Error>> error_;
};

// A header after its envelope was checked: a map with "v" == kProtocolVersion and a string "type".
struct Header {
  msgpack::object_handle handle;
  std::string type;

  MapReader fields() const { return MapReader(handle.get()); }
};
// Errors: those of parse_map; unsupported_version when "v" is absent, not an integer or not kProtocolVersion;
// missing_field / wrong_field_type for "type". The caller answers an unknown type (unknown_type).
Expected<Header> parse_header(ByteView bytes);

// The error for a header whose "type" a decoder does not accept; `expected` lists the types it does accept.
Error unknown_type(std::string_view type, std::string_view expected);

// `value`, or the first error any read of `fields` (or of its nested maps) met.
template <typename T>
Expected<T> decoded(const MapReader& fields, T value) {
  if (fields.error()) return *fields.error();
  return Expected<T>(std::move(value));
}

// --- template definitions ---

template <typename T>
bool MapReader::read(std::string_view key, const msgpack::object& value, T& out) {
  if (std::optional<std::string> why = convert(value, out)) {
    fail(ErrorCode::wrong_field_type, "field " + field_name(key) + ": " + *why);
    return false;
  }
  return check_utf8(key, value);
}

template <typename T>
T MapReader::required(std::string_view key) {
  T out{};
  if (const msgpack::object* value = find(key)) {
    read(key, *value, out);
  } else {
    fail(ErrorCode::missing_field, "missing required field " + field_name(key));
  }
  return out;
}

template <typename T>
std::optional<T> MapReader::optional(std::string_view key) {
  if (!has(key)) return std::nullopt;
  T out{};
  if (!read(key, *find(key), out)) return std::nullopt;
  return out;
}

template <typename Enum>
Enum MapReader::required_name(std::string_view key, std::optional<Enum> (*parse)(std::string_view),
                              ErrorCode unknown_code, std::string_view expected) {
  const msgpack::object* value = find(key);
  const std::string name = required<std::string>(key);
  if (value == nullptr || value->type != msgpack::type::STR) return Enum{};  // already recorded by required()
  if (std::optional<Enum> parsed = parse(name)) return *parsed;
  fail(unknown_code, "field " + field_name(key) + ": " + quote(name) + " is not one of " + std::string(expected));
  return Enum{};
}

}  // namespace tomolive::protocol::detail
