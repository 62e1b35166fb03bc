// Helpers for the codec tests: sample messages, hand-crafted headers, and an error matcher.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol::testing_support {

// --- sample messages: valid, with every optional field set unless the name says otherwise ---

inline ScanBegin sample_begin_with_range() {
  ScanBegin begin;
  begin.scan_id = 42;
  begin.name = "tooth, 8 projections";
  begin.rows = 4;
  begin.cols = 6;
  begin.dtype = Dtype::uint16;
  begin.num_darks = 2;
  begin.num_flats = 3;
  begin.num_projections = 8;
  begin.angles = AngleRange{-90.0, 22.5};
  begin.center_offset_px = -1.25;
  begin.pixel_size_um = 0.65;
  return begin;
}

inline ScanBegin sample_begin_with_table() {
  ScanBegin begin = sample_begin_with_range();
  begin.angles = AngleTable{{0.0, 0.1, 45.5, 90.0, 135.25, 180.0, 1e-300, -720.0}};
  begin.window = 4;
  return begin;
}

inline FrameHeader sample_projection() {
  FrameHeader frame;
  frame.kind = FrameKind::projection;
  frame.scan_id = 42;
  frame.frame_id = 7;
  frame.rows = 4;
  frame.cols = 6;
  frame.dtype = Dtype::uint16;
  frame.angle_deg = 157.5;
  frame.timestamp_ns = 1'700'000'000'123'456'789;
  return frame;
}

inline SliceUpdate sample_slice() {
  SliceUpdate slice;
  slice.scan_id = 42;
  slice.slice = SliceKind::xz;
  slice.position = -3.5;
  slice.rows = 4;
  slice.cols = 6;
  slice.projections_included = 5;
  slice.sequence = 17;
  slice.center_offset_px = 0.75;
  slice.received_ns = 1'700'000'000'000'000'000;
  slice.published_ns = 1'700'000'000'004'000'000;
  return slice;
}

inline Event sample_error_event() {
  Event event;
  event.kind = "error";
  event.scan_id = 42;
  event.frame_id = 7;
  event.error = Error{ErrorCode::size_mismatch, "payload is 47 bytes, expected 4 x 6 x 2 = 48 bytes"};
  event.message = "projection 7 of scan 42 rejected";
  event.time_ns = 1'700'000'000'000'000'001;
  return event;
}

inline Status sample_status() {
  Status status;
  status.version = "0.1.0";
  status.engine = "cpu";
  status.uptime_s = 12.5;
  status.counters = {{"frames_received", 20}, {"bytes_received", 1'000'000}, {"angles", 0}};
  status.rejected_by_reason = {{"size_mismatch", 1}, {"duplicate_frame", 2}};
  ScanStatus scan;
  scan.scan_id = 42;
  scan.name = "tooth";
  scan.state = "receiving";
  scan.rows = 4;
  scan.cols = 6;
  scan.window = 0;
  scan.half_acquisition = true;
  scan.slice_cols = 9;
  scan.darks_received = 2;
  scan.darks_expected = 2;
  scan.flats_received = 3;
  scan.flats_expected = 3;
  scan.projections_received = 5;
  scan.projections_expected = 8;
  scan.projections_missing = 1;
  scan.projections_reconstructed = 4;
  scan.projection_rate_hz = 99.5;
  scan.center_offset_px = -1.25;
  scan.center_column_px = 1.25;
  scan.xy_row = 2;
  scan.xz_y_px = 0.5;
  scan.yz_x_px = -0.5;
  scan.pixel_size_um = 0.65;
  // The whole plan, and two slabs' plans of half of it each.
  MemoryPlan& memory = scan.memory;
  memory.device = "cpu (host memory)";
  memory.store_precision = "float32";
  memory.store_bytes = 768;
  memory.corrected_store_bytes = 768;
  memory.slice_bytes = 432;
  memory.preview_bytes = 64;
  memory.other_bytes = 100;
  memory.total_bytes = 2068;
  memory.available_bytes = 1ULL << 34;
  MemoryPlan slab = memory;
  slab.store_bytes = slab.corrected_store_bytes = 384;
  slab.slice_bytes = 216;
  slab.preview_bytes = 32;
  slab.other_bytes = 50;
  slab.total_bytes = 1034;
  slab.available_bytes = 1ULL << 33;
  memory.slabs = {slab, slab};
  memory.fits_one_device = true;
  scan.refilter = ScanRefilter{"rings_pass", RefilterResult{5, 2.5, 3, 0}};
  scan.defective_pixels = DefectivePixelCounts{4, 2, 1, 3, 9};
  status.scan = scan;
  status.processing.window = FilterWindow::hann;
  status.processing.zingers = {true, 0.25};
  status.processing.phase = {true, 25.0, 0.35, 0.65, 250.0};
  status.processing.rings = {false, 31};
  status.processing.half_acquisition = {true, 3, 6};  // the 6 detector columns of 9
  status.processing.defective_pixels = ProcessingSetting::DefectivePixels{true, 0.5, 10.0, 12.5};
  status.security = SecurityStatus{true, false, true};
  status.rdma = RdmaStatus{"192.168.100.5:7471 on mlx5_0", "host page-locked", "absent", 2};
  status.data_sockets = {DataSocketStatus{"tcp://127.0.0.1:5555", false, "auto", "dectris2", 10, 4096, 8, 1, 2, true, 3,
                                          "threshold_2", {"threshold_1", "threshold_2"}},
                         DataSocketStatus{"tcp://detector:9999", true, "array", "array", 3, 300, 3, 0, 0, false}};
  status.volume = VolumeStatus{.scan_id = 7,
                               .state = "failed",
                               .path = "/data/scan_000007.h5",
                               .format = "hdf5",
                               .dtype = "uint16",
                               .shape = {3, 4, 5},
                               .region = {0, 1, 8, 10},
                               .rows = {2, 6},
                               .binning = 2,
                               .slab_rows = 2,
                               .slabs_total = 3,
                               .slabs_done = 2,
                               .slabs_written = 1,
                               .bytes_written = 1 << 20,
                               .compute_s = 1.5,
                               .elapsed_s = 2.5,
                               .error = "disk full while writing '/data/.scan_000007.h5.partial'"};
  status.recording = RecordingStatus{true, "/data", "stop", "recording", 7u, "/data/scan_7.nxs.partial", 12, 10,
                                     4096, 1, 2, 256, "x", true, "bslz4"};
  status.capture = CaptureStatus{true, 10.0, 1ULL << 30, 40, 81920, 9.5, "capturing", 7u, "/data/capture.nxs.partial",
                                 25, 2.5, ""};
  status.config = ConfigStatus{"/etc/tomolive/tomolive.toml", "2026-12-07T04:10:00Z", 2,
                               "/etc/tomolive/tomolive.toml:3:12: key 'publish-hz': Value 0 not in range 0.1 to 10000",
                               "data-hwm"};
  status.preview = PreviewStatus{true, 64, {16, 64, 64}, 2, 1 << 18, 1 << 20, 42, 7, 1.0};
  status.engine_slabs = EngineSlabsStatus{
      32, 40, true, 1,
      {EngineSlab{"cuda (device 0)", {0, 4}, {0, 8}, false, ""},
       EngineSlab{"cuda (device 1)", {4, 4}, {0, 8}, true, "cudaErrorLaunchFailure"}}};
  return status;
}

// --- hand-crafted headers ---

template <typename T>
std::string packed(const T& value) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, value);
  return std::string(buffer.data(), buffer.size());
}
inline std::string packed_nil() { return packed(msgpack::type::nil_t()); }
// msgpack float64 / float32 even for integral values (msgpack-cxx's packer writes those as integers).
inline std::string packed_float64(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  std::string encoded(1, static_cast<char>(0xcb));
  for (int shift = 56; shift >= 0; shift -= 8) encoded += static_cast<char>((bits >> shift) & 0xff);
  return encoded;
}
inline std::string packed_float32(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  std::string encoded(1, static_cast<char>(0xca));
  for (int shift = 24; shift >= 0; shift -= 8) encoded += static_cast<char>((bits >> shift) & 0xff);
  return encoded;
}

// A double as the codec's messages write it (shortest form that reads back exactly: "6", "1e+09", "nan").
inline std::string number_text(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

inline Bytes to_bytes(std::string_view text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return Bytes(begin, begin + text.size());
}

// A header map as an ordered list of key -> packed value, so that a test can drop, replace or add single fields
// of a valid header (also of nested maps: take one with raw(), edit it as a RawHeader, put it back with set_raw()).
class RawHeader {
 public:
  // Keeps each key's and value's bytes exactly as encoded (re-packing would turn integral doubles into ints).
  explicit RawHeader(const Bytes& encoded) {
    const auto* data = reinterpret_cast<const char*>(encoded.data());
    const auto first = static_cast<unsigned char>(data[0]);
    std::size_t offset = 1;
    std::size_t size = 0;
    if (first >= 0x80 && first <= 0x8f) {
      size = first & 0x0f;
    } else {
      const std::size_t width = first == 0xde ? 2 : 4;  // map16 or map32
      for (std::size_t i = 0; i < width; ++i) size = size << 8 | static_cast<unsigned char>(data[offset++]);
    }
    const auto next = [&] {
      const std::size_t start = offset;
      msgpack::unpack(data, encoded.size(), offset);
      return std::string(data + start, offset - start);
    };
    for (std::size_t i = 0; i < size; ++i) {
      std::string key = next();
      entries_.emplace_back(std::move(key), next());
    }
  }
  explicit RawHeader(std::string_view packed_map) : RawHeader(to_bytes(packed_map)) {}

  // Replaces the value of `key` in place, or appends key -> value.
  template <typename T>
  RawHeader& set(std::string_view key, const T& value) {
    return set_raw(key, packed(value));
  }
  RawHeader& set_raw(std::string_view key, std::string packed_value) {
    const std::size_t index = index_of(key);
    if (index < entries_.size()) {
      entries_[index].second = std::move(packed_value);
    } else {
      entries_.emplace_back(packed(std::string(key)), std::move(packed_value));
    }
    return *this;
  }
  // Appends an entry even if the key exists (for duplicate-key tests); the key may be any packed value.
  RawHeader& append_raw(std::string packed_key, std::string packed_value) {
    entries_.emplace_back(std::move(packed_key), std::move(packed_value));
    return *this;
  }
  // Precondition: `key` is present.
  RawHeader& erase(std::string_view key) {
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index_of(key)));
    return *this;
  }
  // The packed value of `key`. Precondition: present.
  const std::string& raw(std::string_view key) const { return entries_.at(index_of(key)).second; }
  // The keys that are strings, in order.
  std::vector<std::string> keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, value] : entries_) {
      const msgpack::object_handle handle = msgpack::unpack(key.data(), key.size());
      if (handle.get().type == msgpack::type::STR) keys.push_back(handle.get().as<std::string>());
    }
    return keys;
  }

  std::string packed_map() const {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer>(buffer).pack_map(static_cast<std::uint32_t>(entries_.size()));
    for (const auto& [key, value] : entries_) {
      buffer.write(key.data(), key.size());
      buffer.write(value.data(), value.size());
    }
    return std::string(buffer.data(), buffer.size());
  }
  Bytes bytes() const { return to_bytes(packed_map()); }

 private:
  // The index of `key`'s first entry, or entries_.size() when absent.
  std::size_t index_of(std::string_view key) const {
    const std::string packed_key = packed(std::string(key));
    std::size_t index = 0;
    while (index < entries_.size() && entries_[index].first != packed_key) ++index;
    return index;
  }
  std::vector<std::pair<std::string, std::string>> entries_;
};

// --- matchers ---

// Succeeds when `error` has `code` and its message contains every string of `mentions`.
inline ::testing::AssertionResult IsError(const std::optional<Error>& error, ErrorCode code,
                                          std::initializer_list<std::string_view> mentions) {
  if (!error) return ::testing::AssertionFailure() << "no error, expected " << to_string(code);
  if (error->code != code) {
    return ::testing::AssertionFailure()
           << "error " << to_string(error->code) << " (" << error->message << "), expected " << to_string(code);
  }
  for (std::string_view mention : mentions) {
    if (error->message.find(mention) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << error->message << "\" does not mention \"" << mention << "\"";
    }
  }
  return ::testing::AssertionSuccess() << error->message;
}

template <typename T>
::testing::AssertionResult IsError(const Expected<T>& result, ErrorCode code,
                                   std::initializer_list<std::string_view> mentions) {
  if (result.ok()) return ::testing::AssertionFailure() << "decoded fine, expected " << to_string(code);
  return IsError(std::optional<Error>(result.error()), code, mentions);
}

template <typename T>
::testing::AssertionResult IsOk(const Expected<T>& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << to_string(result.error().code) << ": " << result.error().message;
}

}  // namespace tomolive::protocol::testing_support
