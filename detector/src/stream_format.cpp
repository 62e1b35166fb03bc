#include "tomolive/detector/stream_format.hpp"

#include <array>

namespace tomolive::detector {
namespace {
constexpr std::array<std::string_view, 4> kFormatNames = {"native", "dectris2", "dectris1", "array"};
}  // namespace

std::string_view to_string(StreamFormat format) {
  const auto index = static_cast<std::size_t>(format);
  return index < kFormatNames.size() ? kFormatNames[index] : std::string_view("invalid");
}

std::optional<StreamFormat> parse_stream_format(std::string_view name) {
  for (std::size_t i = 0; i < kFormatNames.size(); ++i) {
    if (kFormatNames[i] == name) return static_cast<StreamFormat>(i);
  }
  return std::nullopt;
}

std::optional<StreamFormat> detect_format(std::span<const protocol::ByteView> /*parts*/) { return std::nullopt; }

}  // namespace tomolive::detector
