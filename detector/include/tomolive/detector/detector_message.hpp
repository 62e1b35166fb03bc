// The messages of a detector stream (DECTRIS Stream V2/V1, array-1.0), as one value type whatever the format.
//
// A series is what a detector acquires between an arm and a disarm: a start, images, an end. array-1.0 has no
// series and gives images only. All types are value types and thread-compatible. EncodedImage holds a view into
// the message parts it was decoded from: the caller keeps those parts alive while it uses the image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::detector {

// How an image's bytes are encoded on the wire (PROTOCOL.md "Detector streams", compression).
enum class Compression : std::uint8_t {
  none,   // raw little-endian pixels, row-major
  bslz4,  // bitshuffle + LZ4 in the HDF5-filter framing (12-byte header, per-block big-endian sizes)
  lz4,    // LZ4 blocks in the same framing, without the bitshuffle (DECTRIS "lz4"); incompressible blocks raw
  lz4_block,  // one bare LZ4 block of the whole image, no framing (DECTRIS Stream V1 "lz4<")
};
std::string_view to_string(Compression compression);  // "none", "bslz4", "lz4", "lz4_block"

// The keys of a message that this version does not read (PROTOCOL.md 16.8: ignored, and counted by the daemon): the
// top-level keys of a Stream V2 map, in the order they came; the keys of Stream V1's JSON parts, part by part, each
// part's in name order (the config part's as "config.KEY"). Real detectors send many (count_time, beam_center_x, ...); array-1.0 has none (its other keys
// are the image's user data).
using IgnoredKeys = std::vector<std::string>;

struct EncodedImage {                 // one 2-D image as the detector sent it
  std::uint32_t rows = 0, cols = 0;  // row-major [rows][cols] after any shape-order resolution
  protocol::Dtype dtype = protocol::Dtype::uint16;
  Compression compression = Compression::none;
  protocol::ByteView bytes;          // points into the message parts: the caller keeps them alive
  std::size_t decoded_bytes() const; // rows * cols * itemsize(dtype)
};

struct PixelMask {                    // DECTRIS pixel_mask: non-zero = defective (any bit), row-major
  std::uint32_t rows = 0, cols = 0;
  std::vector<std::uint32_t> flags;  // rows * cols entries
};

struct SeriesStart {
  std::uint64_t series_id = 0;
  std::string series_unique_id;                  // may be empty
  std::optional<std::uint64_t> number_of_images; // images in the series (DECTRIS: nimages * ntrigger)
  std::optional<std::uint32_t> image_rows, image_cols;   // when the start tells
  std::optional<protocol::Dtype> dtype;          // when the start tells
  std::optional<double> omega_start_deg, omega_increment_deg;  // goniometer omega, degrees, when present
  std::optional<PixelMask> pixel_mask;
  std::vector<std::string> channels;  // Stream V2: its "channels" (else its pixel_mask's), in order; else empty
  // When the series' relative image times count from (ns since the Unix epoch): Stream V1's config
  // "data_collection_date"; unset when the start does not tell (Stream V2 images carry their own date).
  std::optional<std::int64_t> date_ns;
  nlohmann::json user_data;                      // SIMPLON user_data / header_appendix (parsed JSON); null if absent
  IgnoredKeys ignored_keys;
};

struct SeriesImage {
  std::uint64_t series_id = 0;       // array-1.0: 0 (the format has no series)
  std::uint64_t image_id = 0;        // 0-based within the series (array-1.0: its "frame" key)
  EncodedImage image;
  nlohmann::json user_data;          // per-image user data (array-1.0: the header's keys other than the format's own)
  std::string channel;                // Stream V2: the channel of "data" taken (DecodeOptions); else empty
  std::vector<std::string> channels;  // Stream V2: the channels of "data", in order; else empty
  // When the exposure started, ns since the Unix epoch, when the message tells (Stream V2: "series_date" +
  // "start_time"; PROTOCOL.md "Detector streams", timestamps).
  std::optional<std::int64_t> timestamp_ns;
  // When the exposure started, ns after the series' date (SeriesStart::date_ns), when the message tells only that
  // (Stream V1: dconfig-1.0 "start_time").
  std::optional<std::int64_t> series_time_ns;
  // array-1.0: rows and cols come from the header's axis-order convention (PROTOCOL.md "Detector streams"), which
  // the byte count cannot confirm; a consumer that knows the scan's geometry may swap them when the image is
  // [cols, rows] of it. false for DECTRIS formats (their order is specified).
  bool shape_order_by_convention = false;
  IgnoredKeys ignored_keys;
};

struct SeriesEnd {
  std::uint64_t series_id = 0;
  IgnoredKeys ignored_keys;
};

struct Ignored {                      // a well-formed message that carries nothing for tomography (dconfig, ...)
  std::string what;                   // what it was, for logs ("dectris1 dconfig-1.0", ...)
};

using DetectorMessage = std::variant<SeriesStart, SeriesImage, SeriesEnd, Ignored>;

}  // namespace tomolive::detector
