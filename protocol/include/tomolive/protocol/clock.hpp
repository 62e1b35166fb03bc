// The protocol's timestamp unit: nanoseconds since the Unix epoch, from the system clock (timestamp_ns,
// received_ns, published_ns, time_ns). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace tomolive::protocol {

inline std::int64_t unix_time_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tomolive::protocol
