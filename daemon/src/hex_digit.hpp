// The value of one hexadecimal digit of a percent-escape (internal to the daemon's HTTP parts).
#pragma once

namespace tomolive::daemon {

// 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other character.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace tomolive::daemon
