#include "quantity_text.hpp"

#include <array>
#include <cmath>

#include <spdlog/fmt/fmt.h>

namespace tomolive::ctl {

std::string bytes_text(double bytes) {
  constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < kUnits.size()) {
    bytes /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 60.0) return fmt::format("{:.1f} s", seconds);
  const auto whole = static_cast<std::uint64_t>(seconds);
  const std::uint64_t hours = whole / 3600, minutes = whole / 60 % 60, rest = whole % 60;
  if (hours == 0) return fmt::format("{}m {:02}s", minutes, rest);
  return fmt::format("{}h {:02}m {:02}s", hours, minutes, rest);
}

std::string fixed(double value, int decimals) { return fmt::format("{:.{}f}", value, decimals); }

std::string count_text(std::uint64_t value) { return std::to_string(value); }

std::string on_off(bool value) { return value ? "on" : "off"; }

}  // namespace tomolive::ctl
