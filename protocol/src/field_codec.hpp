// Reading and writing a message's map from its field list (message_fields.hpp); internal to tomolive_protocol.
//
// read_fields<T>(fields) fills a T from the keys its list names, with MapReader's error rules (the first failed
// read is kept; see msgpack_reader.hpp); write_fields(out, value) appends the keys in the same order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "message_fields.hpp"
#include "msgpack_reader.hpp"
#include "msgpack_writer.hpp"

namespace tomolive::protocol::detail {

template <typename T>
inline constexpr bool kIsOptional = false;
template <typename T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

// The keys of a visit_fields `special` member (defined next to the decoder that owns them). Reading records the
// first error in `fields`.
void read_special(MapReader& fields, AngleSpec& angles);
void write_special(MapWriter& out, const AngleSpec& angles);

template <typename T>
T read_fields(MapReader& fields);
template <typename T>
void write_fields(MapWriter& out, const T& value);

// The reading visitor: fills the visited message from `fields`.
class FieldReader {
 public:
  explicit FieldReader(MapReader& fields) : fields_(fields) {}

  template <typename T>
  void field(std::string_view key, T& member) {
    if constexpr (kIsOptional<T>) {
      member = fields_.optional<typename T::value_type>(key);
    } else {
      member = fields_.required<T>(key);
    }
  }
  template <typename T>
  void field(std::string_view key, T& member, const Default<T>& absent) {
    member = fields_.optional<T>(key).value_or(absent.value);
  }

  template <typename Enum>
  void name(std::string_view key, Enum& member, const NameRule<Enum>& rule) {
    member = fields_.required_name(key, rule.parse, rule.unknown_code, rule.expected);
  }
  template <typename Enum>
  void name(std::string_view key, std::optional<Enum>& member, const NameRule<Enum>& rule) {
    if (fields_.has(key)) member = fields_.required_name(key, rule.parse, rule.unknown_code, rule.expected);
  }
  template <typename Enum>
  void name(std::string_view key, Enum& member, const NameRule<Enum>& rule, const Default<Enum>& absent) {
    member = fields_.has(key) ? fields_.required_name(key, rule.parse, rule.unknown_code, rule.expected)
                              : absent.value;
  }

  template <typename Enum>
  void constant(std::string_view key, Enum value, const NameRule<Enum>& rule, std::string_view why) {
    const Enum found = fields_.required_name(key, rule.parse, rule.unknown_code, rule.expected);
    if (found != value) {
      fields_.fail(rule.unknown_code,
                   "field " + fields_.field_name(key) + ": " + std::string(why) + ", found " + quote(to_string(found)));
    }
  }

  void shape(std::string_view key, std::uint32_t& rows, std::uint32_t& cols) {
    const auto shape = fields_.required<std::array<std::uint32_t, 2>>(key);
    rows = shape[0];
    cols = shape[1];
  }

  template <typename T>
  void map(std::string_view key, T& member) {
    if constexpr (kIsOptional<T>) {
      if (std::optional<MapReader> inner = fields_.optional_map(key)) {
        member = read_fields<typename T::value_type>(*inner);
      }
    } else {
      MapReader inner = fields_.required_map(key);
      member = read_fields<T>(inner);
    }
  }

  template <typename T>
  void list(std::string_view key, std::vector<T>& member) {
    member.clear();
    for (MapReader& element : fields_.optional_map_array(key)) member.push_back(read_fields<T>(element));
  }

  template <typename T>
  void special(std::string_view /*label*/, T& member) {
    read_special(fields_, member);
  }

 private:
  MapReader& fields_;
};

// The writing visitor: appends the visited message's keys to `out`.
class FieldWriter {
 public:
  explicit FieldWriter(MapWriter& out) : out_(out) {}

  template <typename T>
  void field(std::string_view key, const T& member) {
    if constexpr (kIsOptional<T>) {
      out_.optional(key, member);
    } else {
      out_.field(key, member);
    }
  }
  template <typename T>
  void field(std::string_view key, const T& member, const Default<T>& absent) {
    if (absent.when == WhenDefault::written || member != absent.value) out_.field(key, member);
  }

  template <typename Enum>
  void name(std::string_view key, const Enum& member, const NameRule<Enum>& /*rule*/) {
    out_.field(key, to_string(member));
  }
  template <typename Enum>
  void name(std::string_view key, const std::optional<Enum>& member, const NameRule<Enum>& /*rule*/) {
    if (member) out_.field(key, to_string(*member));
  }
  template <typename Enum>
  void name(std::string_view key, const Enum& member, const NameRule<Enum>& /*rule*/, const Default<Enum>& absent) {
    if (absent.when == WhenDefault::written || member != absent.value) out_.field(key, to_string(member));
  }

  template <typename Enum>
  void constant(std::string_view key, Enum value, const NameRule<Enum>& /*rule*/, std::string_view /*why*/) {
    out_.field(key, to_string(value));
  }

  void shape(std::string_view key, std::uint32_t rows, std::uint32_t cols) {
    out_.field(key, std::array{rows, cols});
  }

  template <typename T>
  void map(std::string_view key, const T& member) {
    if constexpr (kIsOptional<T>) {
      if (member) map(key, *member);
    } else {
      MapWriter inner;
      write_fields(inner, member);
      out_.map(key, inner);
    }
  }

  template <typename T>
  void list(std::string_view key, const std::vector<T>& member) {
    std::vector<MapWriter> elements(member.size());
    for (std::size_t i = 0; i < member.size(); ++i) write_fields(elements[i], member[i]);
    out_.map_array(key, elements);
  }

  template <typename T>
  void special(std::string_view /*label*/, const T& member) {
    write_special(out_, member);
  }

 private:
  MapWriter& out_;
};

// The naming visitor: the keys a message's field list names, in order (to refuse the keys it does not name).
class FieldNames {
 public:
  template <typename T, typename... Rule>
  void field(std::string_view key, const T& /*member*/, const Rule&... /*absent*/) {
    keys.push_back(key);
  }
  template <typename Enum, typename... Rule>
  void name(std::string_view key, const Enum& /*member*/, const Rule&... /*rules*/) {
    keys.push_back(key);
  }
  template <typename T>
  void map(std::string_view key, const T& /*member*/) {
    keys.push_back(key);
  }
  template <typename T>
  void list(std::string_view key, const std::vector<T>& /*member*/) {
    keys.push_back(key);
  }
  void shape(std::string_view key, std::uint32_t /*rows*/, std::uint32_t /*cols*/) { keys.push_back(key); }
  template <typename Enum>
  void constant(std::string_view key, Enum /*value*/, const NameRule<Enum>& /*rule*/, std::string_view /*why*/) {
    keys.push_back(key);
  }
  // special members name their keys elsewhere (read_special): a message with one cannot list its keys here.

  std::vector<std::string_view> keys;
};

template <typename T>
T read_fields(MapReader& fields) {
  T value{};
  FieldReader reader(fields);
  visit_fields(reader, value);
  return value;
}

template <typename T>
void write_fields(MapWriter& out, const T& value) {
  FieldWriter writer(out);
  visit_fields(writer, value);
}

}  // namespace tomolive::protocol::detail
