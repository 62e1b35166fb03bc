// Generates the frames of a simulated scan on demand: the Shepp-Logan phantom (or any Phantom) seen by the
// DetectorModel, in the order a detector sends them (darks, flats, projections).
//
// This is what the tomolive-sim program streams, and what in-process tests use to feed a daemon or an engine:
//   sim::ScanSimulator scan(spec);
//   send(encode(sim::make_scan_begin(scan.spec())));
//   for (std::size_t i = 0; i < scan.frame_count(); ++i) send(encode(scan.header(i)), scan.render(i));
//   send(encode(sim::make_scan_end(scan.spec())));
// Frames can be rendered in any order and are bit-identical whatever the order and the thread count.
//
// Thread-safety: immutable after construction; render() may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tomolive/protocol/messages.hpp"
#include "tomolive/sim/detector.hpp"
#include "tomolive/sim/phantom.hpp"
#include "tomolive/sim/scan_spec.hpp"

namespace tomolive::sim {

// The kind and per-kind id of one data frame.
struct FrameRef {
  protocol::FrameKind kind = protocol::FrameKind::projection;
  std::uint64_t frame_id = 0;
};

class ScanSimulator {
 public:
  // The Shepp-Logan phantom of shepp_logan_3d(spec.geometry(), 2.0, spec.field_of_view()). `threads` renders a
  // frame's rows on that many threads (0 = one per hardware thread; 1 = on the calling thread only).
  // Throws std::invalid_argument if validate(spec) reports a problem.
  explicit ScanSimulator(ScanSpec spec, unsigned threads = 1);
  // Any phantom, e.g. one ellipsoid for a test.
  ScanSimulator(ScanSpec spec, Phantom phantom, unsigned threads = 1);

  const ScanSpec& spec() const { return spec_; }
  const Phantom& phantom() const { return phantom_; }
  const DetectorModel& detector() const { return detector_; }

  // Data frames between begin and end: darks + flats + projections.
  std::size_t frame_count() const;
  // Pixels of one frame: rows * cols (uint16 each).
  std::size_t frame_pixels() const { return std::size_t{spec_.rows} * spec_.cols; }

  // Data frame `index` in sending order. Precondition (else std::out_of_range): index < frame_count().
  FrameRef frame_at(std::size_t index) const;
  protocol::FrameHeader header(std::size_t index, std::optional<std::int64_t> timestamp_ns = std::nullopt) const;
  // Renders frame `index` into `pixels` (frame_pixels() values, row-major). Throws std::out_of_range for a bad index
  // and std::invalid_argument for a wrong size.
  void render(std::size_t index, std::span<std::uint16_t> pixels) const;
  std::vector<std::uint16_t> render(std::size_t index) const;

 private:
  void render_rows(FrameRef frame, std::uint32_t row_begin, std::uint32_t row_end,
                   std::span<std::uint16_t> pixels) const;

  ScanSpec spec_;
  Phantom phantom_;
  DetectorModel detector_;
  unsigned threads_;
};

}  // namespace tomolive::sim
