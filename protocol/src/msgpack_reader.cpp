#include "msgpack_reader.hpp"

#include "utf8.hpp"

#include <charconv>
#include <exception>
#include <limits>
#include <type_traits>
#include <utility>

namespace tomolive::protocol::detail {
namespace {

using msgpack::type::object_type;

std::string_view type_name(object_type type) {
  switch (type) {
    case object_type::NIL: return "nil";
    case object_type::BOOLEAN: return "bool";
    case object_type::POSITIVE_INTEGER: return "positive int";
    case object_type::NEGATIVE_INTEGER: return "negative int";
    case object_type::FLOAT32: return "float32";
    case object_type::FLOAT64: return "float64";
    case object_type::STR: return "str";
    case object_type::BIN: return "bin";
    case object_type::ARRAY: return "array";
    case object_type::MAP: return "map";
    case object_type::EXT: return "ext";
  }
  return "unknown msgpack type";
}

std::string found(const msgpack::object& value, std::string_view expected) {
  return "found " + describe(value) + ", expected " + std::string(expected);
}

template <typename Int>
std::string expected_integer() {
  using Limits = std::numeric_limits<Int>;
  if constexpr (std::is_unsigned_v<Int>) {
    return "an unsigned integer 0.." + std::to_string(Limits::max());
  } else {
    return "an integer " + std::to_string(Limits::min()) + ".." + std::to_string(Limits::max());
  }
}

// Any msgpack int that fits Int; the unpacker stores non-negative values as POSITIVE_INTEGER, negative ones as
// NEGATIVE_INTEGER, whatever their wire width.
template <typename Int>
std::optional<std::string> convert_integer(const msgpack::object& value, Int& out) {
  using Limits = std::numeric_limits<Int>;
  if (value.type == object_type::POSITIVE_INTEGER && value.via.u64 <= static_cast<std::uint64_t>(Limits::max())) {
    out = static_cast<Int>(value.via.u64);
    return std::nullopt;
  }
  if constexpr (std::is_signed_v<Int>) {
    if (value.type == object_type::NEGATIVE_INTEGER && value.via.i64 >= static_cast<std::int64_t>(Limits::min())) {
      out = static_cast<Int>(value.via.i64);
      return std::nullopt;
    }
  }
  return found(value, expected_integer<Int>());
}

// The offset of the first invalid UTF-8 byte of the first str in `value` (itself, an array element, a map key or
// value) that is not valid UTF-8, and that str's size in bytes; nullopt when every str is valid.
std::optional<std::pair<std::size_t, std::size_t>> first_invalid_str(const msgpack::object& value) {
  switch (value.type) {
    case object_type::STR: {
      const std::string_view text(value.via.str.ptr, value.via.str.size);
      if (const std::optional<std::size_t> offset = first_invalid_utf8(text)) return std::pair{*offset, text.size()};
      return std::nullopt;
    }
    case object_type::ARRAY:
      for (std::uint32_t i = 0; i < value.via.array.size; ++i) {
        if (auto bad = first_invalid_str(value.via.array.ptr[i])) return bad;
      }
      return std::nullopt;
    case object_type::MAP:
      for (std::uint32_t i = 0; i < value.via.map.size; ++i) {
        if (auto bad = first_invalid_str(value.via.map.ptr[i].key)) return bad;
        if (auto bad = first_invalid_str(value.via.map.ptr[i].val)) return bad;
      }
      return std::nullopt;
    default: return std::nullopt;
  }
}

}  // namespace

std::string format_number(double value) {
  std::array<char, 32> text{};
  const auto [end, error] = std::to_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() ? std::string(text.data(), end) : std::string("?");
}

std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string quoted = "\"";
  std::size_t offset = 0;
  while (offset < text.size() && offset < kMaxShown) {
    const auto byte = static_cast<unsigned char>(text[offset]);
    const std::size_t length = utf8_sequence_length(text, offset);
    if (length == 0 || byte < 0x20 || byte == 0x7f) {
      quoted += "\\x";
      quoted += kHex[byte >> 4];
      quoted += kHex[byte & 0xF];
      ++offset;
      continue;
    }
    if (byte == '"' || byte == '\\') quoted += '\\';
    quoted.append(text.substr(offset, length));
    offset += length;
  }
  quoted += offset < text.size() ? "...\"" : "\"";
  return quoted;
}

std::string describe(const msgpack::object& value) {
  const std::string type(type_name(value.type));
  switch (value.type) {
    case object_type::NIL: return type;
    case object_type::BOOLEAN: return type + (value.via.boolean ? " true" : " false");
    case object_type::POSITIVE_INTEGER: return type + " " + std::to_string(value.via.u64);
    case object_type::NEGATIVE_INTEGER: return type + " " + std::to_string(value.via.i64);
    case object_type::FLOAT32:
    case object_type::FLOAT64: return type + " " + format_number(value.via.f64);
    case object_type::STR: return type + " " + quote(std::string_view(value.via.str.ptr, value.via.str.size));
    case object_type::BIN: return type + " of " + std::to_string(value.via.bin.size) + " bytes";
    case object_type::ARRAY: return type + " of " + std::to_string(value.via.array.size) + " elements";
    case object_type::MAP: return type + " of " + std::to_string(value.via.map.size) + " entries";
    case object_type::EXT: return type + " of " + std::to_string(value.via.ext.size) + " bytes";
  }
  return type;
}

// --- conversions ---

std::optional<std::string> convert(const msgpack::object& value, bool& out) {
  if (value.type != object_type::BOOLEAN) return found(value, "a bool");
  out = value.via.boolean;
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, std::uint32_t& out) {
  return convert_integer(value, out);
}
std::optional<std::string> convert(const msgpack::object& value, std::uint64_t& out) {
  return convert_integer(value, out);
}
std::optional<std::string> convert(const msgpack::object& value, std::int64_t& out) {
  return convert_integer(value, out);
}

std::optional<std::string> convert(const msgpack::object& value, double& out) {
  switch (value.type) {
    case object_type::FLOAT32:
    case object_type::FLOAT64: out = value.via.f64; return std::nullopt;
    case object_type::POSITIVE_INTEGER: out = static_cast<double>(value.via.u64); return std::nullopt;
    case object_type::NEGATIVE_INTEGER: out = static_cast<double>(value.via.i64); return std::nullopt;
    default: return found(value, "a number (float or integer)");
  }
}

std::optional<std::string> convert(const msgpack::object& value, std::string& out) {
  if (value.type != object_type::STR) return found(value, "a str");
  out.assign(value.via.str.ptr, value.via.str.size);
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, std::vector<double>& out) {
  if (value.type != object_type::ARRAY) return found(value, "an array of numbers");
  const msgpack::object_array& array = value.via.array;
  out.resize(array.size);
  for (std::uint32_t i = 0; i < array.size; ++i) {
    if (convert(array.ptr[i], out[i])) {
      return "found " + describe(array.ptr[i]) + " at index " + std::to_string(i) + ", expected a number";
    }
  }
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, std::vector<std::string>& out) {
  if (value.type != object_type::ARRAY) return found(value, "an array of strs");
  const msgpack::object_array& array = value.via.array;
  out.resize(array.size);
  for (std::uint32_t i = 0; i < array.size; ++i) {
    if (convert(array.ptr[i], out[i])) {
      return "found " + describe(array.ptr[i]) + " at index " + std::to_string(i) + ", expected a str";
    }
  }
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, std::array<std::uint32_t, 2>& out) {
  constexpr std::string_view kExpected = "[rows, cols] (an array of 2 unsigned integers)";
  if (value.type != object_type::ARRAY || value.via.array.size != 2) return found(value, kExpected);
  constexpr std::array<std::string_view, 2> kNames = {"rows", "cols"};
  for (std::size_t i = 0; i < 2; ++i) {
    if (convert(value.via.array.ptr[i], out[i])) {
      return "found " + describe(value.via.array.ptr[i]) + " as " + std::string(kNames[i]) + ", expected " +
             expected_integer<std::uint32_t>();
    }
  }
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, std::array<std::uint32_t, 4>& out) {
  constexpr std::string_view kExpected = "[row0, col0, rows, cols] (an array of 4 unsigned integers)";
  if (value.type != object_type::ARRAY || value.via.array.size != 4) return found(value, kExpected);
  for (std::size_t i = 0; i < 4; ++i) {
    if (convert(value.via.array.ptr[i], out[i])) return found(value, kExpected);
  }
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, std::array<std::uint32_t, 3>& out) {
  constexpr std::string_view kExpected = "[z, y, x] (an array of 3 unsigned integers)";
  if (value.type != object_type::ARRAY || value.via.array.size != 3) return found(value, kExpected);
  for (std::size_t i = 0; i < 3; ++i) {
    if (convert(value.via.array.ptr[i], out[i])) return found(value, kExpected);
  }
  return std::nullopt;
}

std::optional<std::string> convert(const msgpack::object& value, CounterList& out) {
  if (value.type != object_type::MAP) return found(value, "a map of counter name -> unsigned integer");
  const msgpack::object_map& map = value.via.map;
  out.clear();
  out.reserve(map.size);
  for (std::uint32_t i = 0; i < map.size; ++i) {
    std::string name;
    if (convert(map.ptr[i].key, name)) return "found " + describe(map.ptr[i].key) + " as a key, expected a str";
    std::uint64_t count = 0;
    if (convert(map.ptr[i].val, count)) {
      return "found " + describe(map.ptr[i].val) + " for " + quote(name) + ", expected " +
             expected_integer<std::uint64_t>();
    }
    out.emplace_back(std::move(name), count);
  }
  return std::nullopt;
}

// --- parsing ---

Expected<msgpack::object_handle> parse_map(ByteView bytes) {
  const std::size_t size = bytes.size();
  if (size == 0) return Error{ErrorCode::malformed_header, "header is empty (0 bytes), expected a msgpack map"};
  // Every array element and map entry takes at least one byte of input, so these limits reject no valid header.
  const msgpack::unpack_limit limit(/*array=*/size, /*map=*/size / 2, /*str=*/size, /*bin=*/size, /*ext=*/size,
                                    /*depth=*/kMaxHeaderDepth);
  std::size_t offset = 0;
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), size, offset, nullptr, nullptr, limit);
  } catch (const std::exception& e) {  // msgpack::unpack_error and its size/depth overflows, std::bad_alloc
    return Error{ErrorCode::malformed_header,
                 "header (" + std::to_string(size) + " bytes) is not valid msgpack: " + e.what()};
  }
  if (handle.get().type != object_type::MAP) {
    return Error{ErrorCode::malformed_header, "header is a msgpack " + describe(handle.get()) + ", expected a map"};
  }
  if (offset != size) {
    return Error{ErrorCode::malformed_header, "header has " + std::to_string(size - offset) +
                                                  " bytes after its msgpack map, expected exactly one map"};
  }
  return handle;
}

Expected<Header> parse_header(ByteView bytes) {
  Expected<msgpack::object_handle> parsed = parse_map(bytes);
  if (!parsed) return parsed.error();
  Header header{std::move(parsed).value(), {}};
  MapReader fields = header.fields();

  const msgpack::object* version = fields.find("v");
  if (version == nullptr) {
    return Error{ErrorCode::unsupported_version,
                 "missing \"v\" (protocol version); supported: " + std::to_string(kProtocolVersion)};
  }
  if (version->type != object_type::POSITIVE_INTEGER || version->via.u64 != kProtocolVersion) {
    return Error{ErrorCode::unsupported_version, "protocol version \"v\" is " + describe(*version) +
                                                     "; supported: " + std::to_string(kProtocolVersion)};
  }
  header.type = fields.required<std::string>("type");
  if (fields.error()) return *fields.error();
  return Expected<Header>(std::move(header));
}

Error unknown_type(std::string_view type, std::string_view expected) {
  return Error{ErrorCode::unknown_type,
               "unknown message type " + quote(type) + "; expected one of " + std::string(expected)};
}

// --- MapReader ---

MapReader::MapReader(const msgpack::object& map) : MapReader(&map, "", std::make_shared<std::optional<Error>>()) {}

MapReader::MapReader(const msgpack::object* map, std::string path, std::shared_ptr<std::optional<Error>> error)
    : map_(map), path_(std::move(path)), error_(std::move(error)) {}

const msgpack::object* MapReader::find(std::string_view key) const {
  if (map_ == nullptr) return nullptr;
  const msgpack::object_map& map = map_->via.map;
  for (std::uint32_t i = 0; i < map.size; ++i) {
    const msgpack::object& k = map.ptr[i].key;
    if (k.type == object_type::STR && std::string_view(k.via.str.ptr, k.via.str.size) == key) return &map.ptr[i].val;
  }
  return nullptr;
}

std::vector<std::string_view> MapReader::keys() const {
  std::vector<std::string_view> keys;
  if (map_ == nullptr) return keys;
  const msgpack::object_map& map = map_->via.map;
  for (std::uint32_t i = 0; i < map.size; ++i) {
    const msgpack::object& k = map.ptr[i].key;
    if (k.type == object_type::STR) keys.emplace_back(k.via.str.ptr, k.via.str.size);
  }
  return keys;
}

bool MapReader::has(std::string_view key) const {
  const msgpack::object* value = find(key);
  return value != nullptr && value->type != object_type::NIL;
}

MapReader MapReader::required_map(std::string_view key) {
  const std::string path = path_ + std::string(key) + ".";
  const msgpack::object* value = find(key);
  if (value == nullptr) {
    fail(ErrorCode::missing_field, "missing required field " + field_name(key));
  } else if (value->type != object_type::MAP) {
    fail(ErrorCode::wrong_field_type, "field " + field_name(key) + ": " + found(*value, "a map"));
  } else {
    return MapReader(value, path, error_);
  }
  return MapReader(nullptr, path, error_);
}

std::optional<MapReader> MapReader::optional_map(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return required_map(key);
}

std::vector<MapReader> MapReader::optional_map_array(std::string_view key) {
  std::vector<MapReader> elements;
  if (!has(key)) return elements;
  const msgpack::object* value = find(key);
  if (value->type != object_type::ARRAY) {
    fail(ErrorCode::wrong_field_type, "field " + field_name(key) + ": " + found(*value, "an array of maps"));
    return elements;
  }
  for (std::uint32_t i = 0; i < value->via.array.size; ++i) {
    const msgpack::object& element = value->via.array.ptr[i];
    const std::string index = std::string(key) + "." + std::to_string(i);
    if (element.type != object_type::MAP) {
      fail(ErrorCode::wrong_field_type, "field " + field_name(index) + ": " + found(element, "a map"));
      return {};
    }
    elements.push_back(MapReader(&element, path_ + index + ".", error_));
  }
  return elements;
}

bool MapReader::check_utf8(std::string_view key, const msgpack::object& value) {
  const auto bad = first_invalid_str(value);
  if (!bad) return true;
  fail(ErrorCode::invalid_field, "field " + field_name(key) + ": str of " + std::to_string(bad->second) +
                                     " bytes is not valid UTF-8 (first invalid byte at offset " +
                                     std::to_string(bad->first) + ")");
  return false;
}

void MapReader::fail(ErrorCode code, std::string message) {
  if (!error_->has_value()) *error_ = Error{code, std::move(message)};
}

std::string MapReader::field_name(std::string_view key) const { return "\"" + path_ + std::string(key) + "\""; }

}  // namespace tomolive::protocol::detail
