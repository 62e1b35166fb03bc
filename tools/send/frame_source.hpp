// FrameSource: what the tomolive-send program streams, one scan: its begin (tl_scan) and its frames in sending order,
// from the simulator, a .npy stack, an HDF5 file (NXtomo or DXchange) or a raw file. The factories throw
// std::runtime_error (or storage::StorageError for an unreadable HDF5 file) naming the file and what is wrong with
// it, before anything is sent. Not thread-safe.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tomolive/send.h"
#include "tomolive/sim/scan_spec.hpp"

namespace tomolive::send {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // What is sent, for the first progress line, e.g. "scan.h5 (NXtomo)" or "simulated phantom".
  virtual std::string description() const = 0;
  // The begin; its pointers (name, angles_deg) stay valid while the source lives.
  virtual const tl_scan& scan() const = 0;
  // Frames this process sends, and each one's kind and per-kind id.
  virtual std::size_t count() const = 0;
  virtual tl_frame_kind kind(std::size_t index) const = 0;
  virtual std::uint64_t frame_id(std::size_t index) const = 0;
  // A projection's own angle, degrees; NaN: the begin's angle for its id.
  virtual double angle_deg(std::size_t /*index*/) const { return std::nan(""); }
  // Frame `index`'s pixels (rows * cols items of the scan's dtype), valid until the next call.
  virtual std::span<const std::byte> pixels(std::size_t index) = 0;
  // Memory holding frames that stay unchanged while the source lives (empty: none), which zero-copy sends register
  // once; and where frame `index` starts in it, in bytes (nullopt: the frame is not there).
  virtual std::span<const std::byte> resident() const { return {}; }
  virtual std::optional<std::size_t> resident_offset(std::size_t /*index*/) const { return std::nullopt; }
};

// The phantom scan of `spec` as tomolive-sim renders it, the part that stream `stream_index` of spec.streams sends
// (sim::stream_frames); `prerender` > 0 renders that many projections once and cycles them (resident: throughput
// benchmarks); `threads` render each frame (0: one per hardware thread).
struct SimulatedScan {
  sim::ScanSpec spec;
  std::uint32_t stream_index = 0;
  std::uint32_t prerender = 0;
  unsigned threads = 1;
};
std::unique_ptr<FrameSource> simulated_frames(const SimulatedScan& scan);

// Evenly spaced projection angles, degrees: start + k * step (step 0: 180 / projections).
struct AngleSteps {
  double start_deg = 0.0;
  double step_deg = 0.0;
};

// .npy stacks (frames, rows, cols): projections, and optional darks and flats of the same shape and dtype; sent as
// darks, flats, projections. Every stack is resident.
struct NpyFiles {
  std::filesystem::path projections, darks, flats;
  AngleSteps angles;
};
std::unique_ptr<FrameSource> npy_frames(const NpyFiles& files);

// An HDF5 file in NXtomo (what tomolived --record writes) or DXchange layout, read frame by frame with the reader
// tomolive-replay uses (replay::RecordedScan: its header says what is read); the file's angles, frame ids, name,
// center, pixel size and half acquisition go into the begin and the frames.
std::unique_ptr<FrameSource> hdf5_frames(const std::filesystem::path& path);

// A raw file: num_darks dark frames, num_flats flat frames, then num_projections projections, each rows * cols
// items of `dtype`, row-major, little endian, with nothing before, between or after them.
struct RawFile {
  std::filesystem::path path;
  std::uint32_t rows = 0, cols = 0;
  tl_dtype dtype = TL_UINT16;
  std::uint32_t num_darks = 0, num_flats = 0, num_projections = 0;
  AngleSteps angles;
};
std::unique_ptr<FrameSource> raw_frames(const RawFile& file);

}  // namespace tomolive::send
