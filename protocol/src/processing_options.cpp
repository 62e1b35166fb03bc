#include "tomolive/protocol/processing_options.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace tomolive::protocol {
namespace {

constexpr std::string_view kOff = "off";

// The whole of `text` as a number, or nullopt.
template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

Error not_a(std::string_view text, std::string_view expected) {
  std::string message = "\"";
  message.append(text).append("\" is not ").append(expected);
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

// "ram-lak, shepp-logan, cosine, hamming, hann, parzen".
std::string window_names() {
  std::string names;
  for (int i = static_cast<int>(FilterWindow::ram_lak); i <= static_cast<int>(FilterWindow::parzen); ++i) {
    if (!names.empty()) names += ", ";
    names += to_string(static_cast<FilterWindow>(i));
  }
  return names;
}

}  // namespace

Expected<FilterWindow> parse_window_text(std::string_view text) {
  if (const std::optional<FilterWindow> window = parse_filter_window(text)) return *window;
  return not_a(text, "a filter window; expected one of " + window_names());
}

Expected<ZingersUpdate> parse_zingers_text(std::string_view text) {
  if (text == kOff) return ZingersUpdate{false, std::nullopt};
  if (const std::optional<double> threshold = parse_number<double>(text)) return ZingersUpdate{true, *threshold};
  return not_a(text, "THRESHOLD (a number, e.g. 0.3) or off");
}

Expected<PhaseUpdate> parse_phase_text(std::string_view text) {
  if (text == kOff) return PhaseUpdate{false, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  const Error wrong =
      not_a(text, "ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA (four numbers, e.g. 20,0.1,1.0,100) or off");
  std::vector<double> values;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    const std::optional<double> value = parse_number<double>(text.substr(start, comma - start));
    if (!value) return wrong;
    values.push_back(*value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (values.size() != 4) return wrong;
  return PhaseUpdate{true, values[0], values[1], values[2], values[3]};
}

Expected<RingsUpdate> parse_rings_text(std::string_view text) {
  if (text == kOff) return RingsUpdate{false, std::nullopt};
  if (const std::optional<std::uint32_t> size = parse_number<std::uint32_t>(text)) return RingsUpdate{true, *size};
  return not_a(text, "SIZE (an odd number of detector pixels, e.g. 21) or off");
}

}  // namespace tomolive::protocol
