// DataSocketCounters: the totals of one data socket since start, reported per socket by get_status
// (PROTOCOL.md 10.3, "data_sockets"); the daemon-wide totals stay in DaemonCounters. Thread-safe: atomics, relaxed.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "tomolive/detector/stream_format.hpp"

namespace tomolive::daemon {

struct DataSocketCounters {
  std::atomic<std::uint64_t> messages{0};     // received, valid or not
  std::atomic<std::uint64_t> bytes{0};        // all parts
  std::atomic<std::uint64_t> frames{0};       // handed to the engine
  std::atomic<std::uint64_t> rejected{0};     // messages and images refused
  std::atomic<std::uint64_t> images_held{0};  // gauge: images waiting for a scan plan now

  void set_format(detector::StreamFormat format) { format_.store(static_cast<int>(format), std::memory_order_relaxed); }
  // The format of the newest message; nullopt before the first.
  std::optional<detector::StreamFormat> format() const {
    const int value = format_.load(std::memory_order_relaxed);
    if (value < 0) return std::nullopt;
    return static_cast<detector::StreamFormat>(value);
  }

 private:
  std::atomic<int> format_{-1};
};

}  // namespace tomolive::daemon
