// DataSocketCounters: the totals of one data socket since start, reported per socket by get_status
// (PROTOCOL.md 10.3, "data_sockets"), and split by wire format for /metrics (count_message, count_frame keep both);
// the daemon-wide totals stay in DaemonCounters. Thread-safe: atomics, relaxed; the Stream V2 channel names and the
// ignored key names under a mutex.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tomolive/detector/stream_format.hpp"

namespace tomolive::daemon {

struct DataSocketCounters {
  std::atomic<std::uint64_t> messages{0};     // received, valid or not
  std::atomic<std::uint64_t> bytes{0};        // all parts
  std::atomic<std::uint64_t> frames{0};       // handed to the engine
  std::atomic<std::uint64_t> rejected{0};     // messages and images refused
  std::atomic<std::uint64_t> images_held{0};  // gauge: images waiting for a scan plan now
  std::atomic<std::uint64_t> handshake_failures{0};  // ZeroMQ handshakes that failed (HandshakeMonitor)

  // The totals of one wire format on this socket: messages and bytes as received, frames handed to the engine.
  struct FormatTotals {
    std::atomic<std::uint64_t> messages{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> frames{0};
  };
  std::array<FormatTotals, detector::kStreamFormatCount> by_format{};

  // A message of `message_bytes` (all parts) recognised as `format`: counted in `by_format` (messages and bytes are
  // counted in the totals as they arrive, before the format is known), and the socket's newest format set.
  void count_message(detector::StreamFormat format, std::uint64_t message_bytes) {
    FormatTotals& totals = by_format[static_cast<std::size_t>(format)];
    totals.messages.fetch_add(1, std::memory_order_relaxed);
    totals.bytes.fetch_add(message_bytes, std::memory_order_relaxed);
    set_format(format);
  }
  // A frame of `format` handed to the engine: counted in `frames` and in `by_format`.
  void count_frame(detector::StreamFormat format) {
    frames.fetch_add(1, std::memory_order_relaxed);
    by_format[static_cast<std::size_t>(format)].frames.fetch_add(1, std::memory_order_relaxed);
  }

  // The Stream V2 channels: `taken` the channel of the newest image (nullopt: a start, which takes none, leaves it),
  // `seen` the channels of the newest start or image, in order.
  void set_dectris_channels(std::optional<std::string> taken, std::vector<std::string> seen) {
    const std::lock_guard lock(names_mutex_);
    if (taken) dectris_channel_ = std::move(*taken);
    dectris_channels_ = std::move(seen);
  }
  // {the channel taken ("" before the first image), the channels seen (empty before the first start or image)}.
  std::pair<std::string, std::vector<std::string>> dectris_channels() const {
    const std::lock_guard lock(names_mutex_);
    return {dectris_channel_, dectris_channels_};
  }

  // How many distinct ignored key names of one series the status lists.
  static constexpr std::size_t kMaxIgnoredKeyNames = 8;
  // Notes the keys a message of the newest series carried that the decoder does not read (detector::IgnoredKeys);
  // `new_series`: the message starts a series, which forgets the names noted before. Keeps the first
  // kMaxIgnoredKeyNames distinct names; returns those of `keys` that it added (empty when none was new).
  std::vector<std::string> note_ignored_keys(const std::vector<std::string>& keys, bool new_series) {
    const std::lock_guard lock(names_mutex_);
    if (new_series) ignored_keys_.clear();
    std::vector<std::string> added;
    for (const std::string& key : keys) {
      if (ignored_keys_.size() == kMaxIgnoredKeyNames) break;
      if (std::find(ignored_keys_.begin(), ignored_keys_.end(), key) != ignored_keys_.end()) continue;
      ignored_keys_.push_back(key);
      added.push_back(key);
    }
    return added;
  }
  // The first distinct ignored key names of the newest series, in the order first seen.
  std::vector<std::string> ignored_keys() const {
    const std::lock_guard lock(names_mutex_);
    return ignored_keys_;
  }

  void set_format(detector::StreamFormat format) { format_.store(static_cast<int>(format), std::memory_order_relaxed); }
  // The format of the newest message; nullopt before the first.
  std::optional<detector::StreamFormat> format() const {
    const int value = format_.load(std::memory_order_relaxed);
    if (value < 0) return std::nullopt;
    return static_cast<detector::StreamFormat>(value);
  }

 private:
  std::atomic<int> format_{-1};
  mutable std::mutex names_mutex_;
  std::string dectris_channel_;                // guarded by names_mutex_
  std::vector<std::string> dectris_channels_;  // guarded by names_mutex_
  std::vector<std::string> ignored_keys_;      // guarded by names_mutex_
};

}  // namespace tomolive::daemon
