// Reading the JSON parts of DECTRIS Stream V1 and array-1.0 messages: parsing with a size limit, and typed field
// getters whose errors name the format, the part and the key. Pure functions and a value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::detector {

// Larger parts are not headers (every header of these formats is far below this).
inline constexpr std::size_t kMaxJsonPartBytes = 1 << 20;

// The part parsed as JSON (any value), or nullopt when it is not JSON text (or over kMaxJsonPartBytes).
std::optional<nlohmann::json> parse_json(protocol::ByteView part);

// The part as a JSON object, or malformed_header naming `context` ("dectris1 dimage_d-1.0", ...).
protocol::Expected<nlohmann::json> parse_json_object(protocol::ByteView part, const std::string& context);

// The "htype" of a header part: the string, or the only string of a one-element array (legacy ADZMQ); nullopt
// when the object has none of either.
std::optional<std::string> htype_of(const nlohmann::json& object);

// Typed access to one JSON object's keys. Every getter leaves `out` empty when the key is absent and returns
// missing_field for a required one, wrong_field_type when the value has another type.
class JsonFields {
 public:
  JsonFields(const nlohmann::json& object, std::string context) : object_(object), context_(std::move(context)) {}

  std::optional<protocol::Error> get_uint(std::string_view key, std::optional<std::uint64_t>& out, bool required) const;
  std::optional<protocol::Error> get_number(std::string_view key, std::optional<double>& out, bool required) const;
  std::optional<protocol::Error> get_text(std::string_view key, std::optional<std::string>& out, bool required) const;
  // An array of unsigned integers.
  std::optional<protocol::Error> get_shape(std::string_view key, std::vector<std::uint64_t>& out,
                                           bool required) const;

  protocol::Error error(protocol::ErrorCode code, const std::string& what) const;

 private:
  const nlohmann::json* find(std::string_view key, bool required, std::optional<protocol::Error>& error) const;
  protocol::Error wrong_type(std::string_view key, std::string_view expected) const;

  const nlohmann::json& object_;
  std::string context_;
};

// A dtype name of these formats ("uint8", "uint16", "uint32", "float32"); bad_dtype naming the value otherwise.
protocol::Expected<protocol::Dtype> parse_pixel_type(const std::string& name, const JsonFields& fields);

// A value echoed in an error message, cut to 64 characters (with "...") so that no sender can make messages huge.
std::string abbreviated(std::string_view text);
// "\"key\"" for messages.
std::string quoted(std::string_view text);
// "[40, 24]" for messages.
std::string shape_text(const std::vector<std::uint64_t>& shape);

}  // namespace tomolive::detector
