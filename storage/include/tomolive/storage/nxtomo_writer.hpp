// NxtomoWriter: writes one scan's raw frames, as they arrive, into an HDF5 file laid out as the NeXus NXtomo
// application definition (https://manual.nexusformat.org/classes/applications/NXtomo.html):
//
//   /entry                                   NXentry: definition "NXtomo", title, entry_identifier (scan id),
//                                            start_time, end_time (ISO 8601, UTC)
//   /entry/instrument                        NXinstrument
//   /entry/instrument/detector               NXdetector
//       data        [nFrames, rows, cols]    the pixels as sent (uint8/uint16/uint32/float32), one frame per chunk;
//                                            bitshuffle/LZ4 (filter 32008) when the stream arrived compressed
//       image_key   [nFrames] int8           0 projection, 1 flat field, 2 dark field (NXtomo's magic numbers)
//       frame_id    [nFrames] uint64         the sender's frame id within its kind
//       x_pixel_size, y_pixel_size           when the scan gave a pixel size (units "um")
//       x_rotation_axis_pixel_position       (cols - 1) / 2 + the begin's center offset (units "pixel")
//   /entry/sample                            NXsample: name; rotation_angle (link)
//   /entry/sample/transformations            NXtransformations
//       rotation_angle [nFrames] float64     degrees; darks and flats carry the angle of the projection before
//                                            them (0 before the first); transformation_type "rotation",
//                                            vector (0, 1, 0): the vertical axis, NeXus' y up
//   /entry/data                              NXdata: links data, image_key, rotation_angle; signal "data"
//   /entry/tomolive                          NXcollection: the scan's begin (geometry, counts, angles) and the
//                                            recording's state ("recording", "complete", or why it stopped)
//
// Frames are appended in arrival order (the datasets grow by one frame per append). Durability: flush() makes
// everything appended so far readable after a crash of the writer (the file is written in HDF5's earliest format
// without SWMR, so any reader opens it); the owner decides how often (the daemon: every --record-flush-s).
// Not thread-safe: one thread owns a writer. The writing methods are virtual so that tests can inject disk faults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tomolive/protocol/messages.hpp"
#include "tomolive/storage/hdf5_file.hpp"

namespace tomolive::storage {

// How frames are stored: as sent, or as bitshuffle/LZ4 chunks written as they are (direct chunk write).
enum class FrameEncoding { raw, bslz4 };
std::string_view to_string(FrameEncoding encoding);  // "raw", "bslz4" (the file's /entry/tomolive/frame_encoding)

class NxtomoWriter {
 public:
  // Creates `path` (refused when it exists) for the scan announced by `begin`; `start_time_ns` is when the scan
  // began (nanoseconds since the Unix epoch). Throws StorageError.
  NxtomoWriter(const std::filesystem::path& path, const protocol::ScanBegin& begin, std::int64_t start_time_ns,
               FrameEncoding encoding = FrameEncoding::raw);
  virtual ~NxtomoWriter() = default;
  NxtomoWriter(const NxtomoWriter&) = delete;
  NxtomoWriter& operator=(const NxtomoWriter&) = delete;

  // Appends one frame of rows * cols pixels of the scan's dtype (`pixels.size()` must be that many bytes; throws
  // std::invalid_argument otherwise). `angle_deg` is the projection's angle; ignored for darks and flats (they carry
  // the angle of the newest projection). Throws StorageError when the write fails.
  virtual void append(protocol::FrameKind kind, std::uint64_t frame_id, double angle_deg,
                      std::span<const std::byte> pixels);
  // Appends one frame given as a bitshuffle/LZ4 chunk in the bitshuffle HDF5 filter's format (8-byte big-endian
  // uncompressed size, 4-byte big-endian block size, then the compressed blocks: what DECTRIS' bslz4 frames hold),
  // written as it is with H5Dwrite_chunk. Only for FrameEncoding::bslz4 writers (std::logic_error otherwise).
  virtual void append_compressed(protocol::FrameKind kind, std::uint64_t frame_id, double angle_deg,
                         std::span<const std::byte> chunk);

  // Makes every frame appended so far durable (see the header comment). Throws StorageError.
  virtual void flush();
  // Records why the recording stopped early (in /entry/tomolive/recording_state) and closes the file; frames
  // appended so far stay readable. Throws StorageError.
  virtual void stop(std::string_view reason, std::int64_t end_time_ns);
  // Writes end_time, marks the recording "complete" and closes the file. Throws StorageError.
  virtual void finish(std::int64_t end_time_ns);

  std::uint64_t frames_written() const { return frames_; }
  // Frame bytes handed to the file: the pixels' size for raw frames, the chunk's for compressed ones.
  std::uint64_t bytes_written() const { return bytes_; }
  FrameEncoding encoding() const { return encoding_; }
  const std::filesystem::path& path() const { return file_.path(); }

 private:
  // Grows the datasets by one frame and writes its image key, frame id and angle; returns the frame's index.
  hsize_t grow(protocol::FrameKind kind, std::uint64_t frame_id, double angle_deg);
  void close(std::string_view state, std::int64_t end_time_ns);

  hdf5::Hdf5File file_;
  const protocol::ScanBegin begin_;
  const FrameEncoding encoding_;
  hdf5::Group entry_;
  hdf5::Group collection_;
  hdf5::Dataset data_;
  hdf5::Dataset image_key_;
  hdf5::Dataset frame_id_;
  hdf5::Dataset rotation_angle_;
  std::uint64_t frames_ = 0;
  std::uint64_t bytes_ = 0;
  double last_angle_deg_ = 0.0;  // of the newest projection: the angle darks and flats are recorded at
};

// ISO 8601 UTC time of `time_ns` (nanoseconds since the Unix epoch), e.g. "2026-12-01T10:15:30.123456Z".
std::string iso8601_utc(std::int64_t time_ns);

}  // namespace tomolive::storage
