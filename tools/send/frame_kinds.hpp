// The sender library's names for the protocol's frame kinds and pixel types, for tomolive-send's frame sources.
#pragma once

#include <cstddef>

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

// Bytes per pixel (tl_dtype follows protocol::Dtype's order, as the library's begin_scan relies on).
inline std::size_t itemsize(tl_dtype dtype) { return protocol::itemsize(static_cast<protocol::Dtype>(dtype)); }

}  // namespace tomolive::send
