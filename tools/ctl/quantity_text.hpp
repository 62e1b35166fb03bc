// Quantities as an operator reads them: bytes in binary units, durations in h/m/s, rates with their unit.
#pragma once

#include <cstdint>
#include <string>

namespace tomolive::ctl {

// 1536 -> "1.5 KiB"; below 1 KiB "512 B".
std::string bytes_text(double bytes);
// 3723.4 -> "1h 02m 03s"; below a minute "12.3 s".
std::string duration_text(double seconds);
// `value` with `decimals` digits after the point.
std::string fixed(double value, int decimals);
// 1234567 -> "1234567" (counters are printed whole, so that they can be compared with --json).
std::string count_text(std::uint64_t value);
// A yes/no flag as "on" or "off".
std::string on_off(bool value);

}  // namespace tomolive::ctl
