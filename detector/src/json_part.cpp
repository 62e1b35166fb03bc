#include "json_part.hpp"

namespace tomolive::detector {

using protocol::Error;
using protocol::ErrorCode;

std::optional<nlohmann::json> parse_json(protocol::ByteView part) {
  if (part.size() > kMaxJsonPartBytes) return std::nullopt;
  const auto* begin = reinterpret_cast<const char*>(part.data());
  auto value = nlohmann::json::parse(begin, begin + part.size(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

protocol::Expected<nlohmann::json> parse_json_object(protocol::ByteView part, const std::string& context) {
  if (part.size() > kMaxJsonPartBytes) {
    return Error{ErrorCode::malformed_header, context + ": header part of " + std::to_string(part.size()) +
                                                  " bytes, over the " + std::to_string(kMaxJsonPartBytes) +
                                                  "-byte limit"};
  }
  auto value = parse_json(part);
  if (!value) return Error{ErrorCode::malformed_header, context + ": header part is not valid JSON"};
  if (!value->is_object()) {
    return Error{ErrorCode::malformed_header,
                 context + ": header part is a JSON " + std::string(value->type_name()) + ", expected an object"};
  }
  return std::move(*value);
}

std::optional<std::string> htype_of(const nlohmann::json& object) {
  const auto it = object.find("htype");
  if (it == object.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) return (*it)[0].get<std::string>();
  return std::nullopt;
}

Error JsonFields::error(ErrorCode code, const std::string& what) const { return Error{code, context_ + ": " + what}; }

Error JsonFields::wrong_type(std::string_view key, std::string_view expected) const {
  const auto& value = object_.at(std::string(key));
  const std::string shown = abbreviated(value.dump());
  return error(ErrorCode::wrong_field_type, quoted(key) + " is " + shown + " (a " +
                                                std::string(value.type_name()) + "), expected " +
                                                std::string(expected));
}

const nlohmann::json* JsonFields::find(std::string_view key, bool required, std::optional<Error>& error) const {
  const auto it = object_.find(std::string(key));
  if (it == object_.end()) {
    if (required) error = this->error(ErrorCode::missing_field, "no " + quoted(key));
    return nullptr;
  }
  return &*it;
}

std::optional<Error> JsonFields::get_uint(std::string_view key, std::optional<std::uint64_t>& out,
                                          bool required) const {
  std::optional<Error> error;
  const auto* value = find(key, required, error);
  if (value == nullptr) return error;
  if (value->is_number_unsigned()) {
    out = value->get<std::uint64_t>();
  } else if (value->is_number_integer() && value->get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(value->get<std::int64_t>());
  } else {
    return wrong_type(key, "an unsigned integer");
  }
  return std::nullopt;
}

std::optional<Error> JsonFields::get_number(std::string_view key, std::optional<double>& out, bool required) const {
  std::optional<Error> error;
  const auto* value = find(key, required, error);
  if (value == nullptr) return error;
  if (!value->is_number()) return wrong_type(key, "a number");
  out = value->get<double>();
  return std::nullopt;
}

std::optional<Error> JsonFields::get_text(std::string_view key, std::optional<std::string>& out,
                                          bool required) const {
  std::optional<Error> error;
  const auto* value = find(key, required, error);
  if (value == nullptr) return error;
  if (!value->is_string()) return wrong_type(key, "a string");
  out = value->get<std::string>();
  return std::nullopt;
}

std::optional<Error> JsonFields::get_shape(std::string_view key, std::vector<std::uint64_t>& out,
                                           bool required) const {
  std::optional<Error> error;
  const auto* value = find(key, required, error);
  if (value == nullptr) return error;
  if (!value->is_array()) return wrong_type(key, "an array of sizes");
  out.clear();
  for (const auto& size : *value) {
    if (size.is_number_unsigned()) {
      out.push_back(size.get<std::uint64_t>());
    } else if (size.is_number_integer() && size.get<std::int64_t>() >= 0) {
      out.push_back(static_cast<std::uint64_t>(size.get<std::int64_t>()));
    } else {
      return wrong_type(key, "an array of sizes");
    }
  }
  return std::nullopt;
}

protocol::Expected<protocol::Dtype> parse_pixel_type(const std::string& name, const JsonFields& fields) {
  if (auto dtype = protocol::parse_dtype(name)) return *dtype;
  return fields.error(ErrorCode::bad_dtype,
                      "\"type\" is \"" + abbreviated(name) + "\", expected uint8, uint16, uint32 or float32");
}

std::string abbreviated(std::string_view text) {
  constexpr std::size_t kShownChars = 64;
  if (text.size() <= kShownChars) return std::string(text);
  std::size_t cut = kShownChars;  // not inside a UTF-8 sequence: back up over continuation bytes
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  out.append("...");
  return out;
}

std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append("\"").append(text).append("\"");
  return out;
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text.append(", ");
    text.append(std::to_string(shape[i]));
  }
  text.append("]");
  return text;
}

}  // namespace tomolive::detector
