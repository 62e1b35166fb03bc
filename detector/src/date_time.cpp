#include "date_time.hpp"

#include <chrono>
#include <limits>

namespace tomolive::detector {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
__extension__ using Uint128 = unsigned __int128;  // GCC and Clang: numerator * 1e9 exceeds 64 bits

// The decimal number of exactly `digits` digits at text[at]; nullopt when one is not a digit or text is too short.
std::optional<int> digits_at(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ns(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  const auto year = digits_at(text, 0, 4), month = digits_at(text, 5, 2), day = digits_at(text, 8, 2);
  const auto hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2), second = digits_at(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  // 60: a leap second, which the Unix time scale folds into the next second.
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  std::size_t at = 19;
  std::int64_t fraction_ns = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t first = at;
    std::int64_t scale = kNsPerSecond / 10;
    for (; at < text.size() && is_digit(text[at]); ++at, scale /= 10) fraction_ns += (text[at] - '0') * scale;
    if (at == first) return std::nullopt;
  }
  if (at >= text.size()) return std::nullopt;
  std::int64_t offset_s = 0;
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    const auto offset_hour = digits_at(text, at + 1, 2), offset_minute = digits_at(text, at + 4, 2);
    if (!offset_hour || !offset_minute || text[at + 3] != ':' || *offset_hour > 23 || *offset_minute > 59) {
      return std::nullopt;
    }
    offset_s = (text[at] == '+' ? 1 : -1) * (std::int64_t{*offset_hour} * 3600 + std::int64_t{*offset_minute} * 60);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const std::int64_t seconds = days * 86400 + std::int64_t{*hour} * 3600 + std::int64_t{*minute} * 60 + *second -
                               offset_s;  // local time minus its offset is UTC
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNsPerSecond - 1;
  if (seconds > kMaxSeconds || seconds < -kMaxSeconds) return std::nullopt;
  return seconds * kNsPerSecond + fraction_ns;
}

std::optional<std::int64_t> rational_seconds_ns(std::uint64_t numerator, std::uint64_t denominator) {
  if (denominator == 0) return std::nullopt;
  const Uint128 ns = static_cast<Uint128>(numerator) * kNsPerSecond / denominator;
  if (ns > static_cast<Uint128>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(ns);
}

}  // namespace tomolive::detector
