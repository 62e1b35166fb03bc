// RecordedScan: a scan stored in an HDF5 file, read back frame by frame for tomolive-replay and tomolive-send
// --file. Two layouts:
//
//   NXtomo (the NeXus application definition, and what tomolived --record writes, PROTOCOL.md 18):
//     /entry/instrument/detector/data [frames, rows, cols] with image_key [frames] (0 projection, 1 flat, 2 dark;
//     others skipped) and the rotation angle [frames] from the first of /entry/sample/rotation_angle (NXtomo's
//     place), /entry/sample/transformations/rotation_angle, /entry/data/rotation_angle that exists, in its `units`
//     (deg/degree/degrees or rad/radian/radians; none: degrees). Frames are replayed in the file's order, except
//     that every dark and flat goes before the first projection (the daemon refuses references after projections:
//     closing flats move ahead, each group keeping the file's order). The optional
//     /entry/instrument/detector/frame_id gives each frame's id, else frames are numbered per kind in file order;
//     /entry/tomolive/scan_id and /entry/title give the scan id and name, x_rotation_axis_pixel_position the
//     center, x_pixel_size the pixel size (its `units` m, mm, um/µm or nm; none: um), when present.
//   DXchange (APS, tomopy, tomocupy): /exchange/data [projections, rows, cols], /exchange/data_dark,
//     /exchange/data_white (each optional) and /exchange/theta [projections] (optional) in its `units` (none:
//     degrees, as dxchange's readers assume); replayed as darks, flats, then projections. Without theta the
//     projections get n angles evenly from 0 to 180 degrees, both included (dxchange's np.linspace(0, 180, n)),
//     and notes() says so.
//
// Pixels are replayed with their stored type (uint8, uint16, uint32 or float32; another type is refused), read
// through HDF5 (so filtered chunks, e.g. bitshuffle, are decompressed by the installed plugins). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "tomolive/protocol/messages.hpp"
#include "tomolive/storage/hdf5_file.hpp"

namespace tomolive::replay {

struct RecordedFrame {
  protocol::FrameKind kind = protocol::FrameKind::projection;
  std::uint64_t frame_id = 0;
  double angle_deg = 0.0;  // projections: the angle sent with the frame
  hsize_t dataset = 0;     // which of the file's frame datasets (index into RecordedScan's list)
  hsize_t index = 0;       // the frame's index in that dataset
};

class RecordedScan {
 public:
  // Opens `path` and reads its layout. Throws storage::StorageError (file unreadable) or std::runtime_error (neither
  // layout, or a dataset of the wrong shape or type, named in the message); every message starts with the path.
  explicit RecordedScan(const std::filesystem::path& path);

  // The begin to send: the scan's shape, dtype, counts, the projections' angles as a table (by frame id), and the
  // metadata found in the file.
  const protocol::ScanBegin& begin() const { return begin_; }
  // Every frame, in replay order.
  const std::vector<RecordedFrame>& frames() const { return frames_; }
  std::size_t frame_bytes() const;
  // Reads the pixels of frames()[i] into `pixels` (frame_bytes() bytes). Throws storage::StorageError.
  void read(std::size_t i, std::span<std::byte> pixels) const;
  std::string layout() const { return layout_; }  // "NXtomo" or "DXchange"
  // What the reader assumed or changed that the file did not say (angles generated, references moved ahead), one
  // sentence each, for the user (tomolive-replay prints them on stderr).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  void read_nxtomo();
  void read_dxchange();
  // Opens a 3-D frame dataset, checks its shape against the scan's and returns its frame count.
  hsize_t add_frame_dataset(const char* path);

  storage::hdf5::Hdf5File file_;
  std::string layout_;
  protocol::ScanBegin begin_;
  std::vector<storage::hdf5::Dataset> datasets_;
  storage::hdf5::Datatype memory_type_;
  std::vector<RecordedFrame> frames_;
  std::vector<std::string> notes_;
};

}  // namespace tomolive::replay
