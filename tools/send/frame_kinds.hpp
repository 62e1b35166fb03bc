// The sender library's names for the protocol's frame kinds and pixel types, and the order of a scan's frame kinds,
// for tomolive-send's frame sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "tomolive/protocol/messages.hpp"
#include "tomolive/send.h"

namespace tomolive::send {

inline tl_frame_kind frame_kind_of(protocol::FrameKind kind) {
  switch (kind) {
    case protocol::FrameKind::dark: return TL_DARK;
    case protocol::FrameKind::flat: return TL_FLAT;
    case protocol::FrameKind::projection: break;
  }
  return TL_PROJECTION;
}

inline tl_dtype dtype_of(protocol::Dtype dtype) {
  switch (dtype) {
    case protocol::Dtype::uint8: return TL_UINT8;
    case protocol::Dtype::uint16: return TL_UINT16;
    case protocol::Dtype::uint32: return TL_UINT32;
    case protocol::Dtype::float32: break;
  }
  return TL_FLOAT32;
}

// The tl_scan that sends `begin`; its name and angle table point into `begin`, which must outlive it.
inline tl_scan scan_of(const protocol::ScanBegin& begin) {
  tl_scan scan{};
  scan.scan_id = begin.scan_id;
  scan.name = begin.name.c_str();
  scan.rows = begin.rows;
  scan.cols = begin.cols;
  scan.dtype = dtype_of(begin.dtype);
  scan.num_darks = begin.num_darks;
  scan.num_flats = begin.num_flats;
  scan.num_projections = begin.num_projections;
  if (const auto* table = std::get_if<protocol::AngleTable>(&begin.angles)) {
    scan.angles_deg = table->angles_deg.data();
    scan.angles_count = static_cast<std::uint32_t>(table->angles_deg.size());
  } else {
    const auto& range = std::get<protocol::AngleRange>(begin.angles);
    scan.angle_start_deg = range.start_deg;
    scan.angle_step_deg = range.step_deg;
  }
  scan.window = begin.window;
  scan.streams = begin.streams;
  scan.center_offset_px = begin.center_offset_px;
  scan.pixel_size_um = begin.pixel_size_um.value_or(0.0);
  scan.half_acquisition = begin.half_acquisition ? 1 : 0;
  return scan;
}

// Frames sent as darks, then flats, then projections, each kind numbered from 0: which kind and id frame `index` is.
struct ReferencesFirst {
  std::size_t darks = 0, flats = 0, projections = 0;

  std::size_t count() const { return darks + flats + projections; }
  tl_frame_kind kind(std::size_t index) const {
    if (index < darks) return TL_DARK;
    return index < darks + flats ? TL_FLAT : TL_PROJECTION;
  }
  std::uint64_t frame_id(std::size_t index) const {
    if (index < darks) return index;
    return index < darks + flats ? index - darks : index - darks - flats;
  }
};

// Bytes per pixel (tl_dtype follows protocol::Dtype's order, as the library's begin_scan relies on).
inline std::size_t itemsize(tl_dtype dtype) { return protocol::itemsize(static_cast<protocol::Dtype>(dtype)); }

}  // namespace tomolive::send
