// The frame checks every Engine runs on add_dark / add_flat / add_projection before it touches any state, so that
// all engines refuse the same frames with the same messages (each names the wrong value and what was expected).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels {

// Throws EngineError unless `frame` is rows x cols of the scan's detector, has data and a known pixel type
// (pixel_dispatch.hpp). `kind` ("dark", "flat" or "projection") starts every message.
void check_frame(const FrameView& frame, const ScanGeometry& geometry, const char* kind);

// add_dark / add_flat: throws EngineError once a projection arrived in this scan (projections_received, the count of
// add_projection calls that passed their checks), since darks and flats must come first; then check_frame.
void check_reference_frame(const FrameView& frame, const ScanGeometry& geometry, std::uint64_t projections_received,
                           const char* kind);

// add_projection: throws EngineError unless slot < geometry.slots, angle_rad (radians) is finite and the frame passes
// check_frame; in that order.
void check_projection_frame(std::uint32_t slot, float angle_rad, const FrameView& frame, const ScanGeometry& geometry);

}  // namespace tomolive::kernels
