// Argument checks shared by every Engine implementation, so that all engines refuse the same calls with the same
// messages (the message names the value and the allowed range). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

// "xy", "xz" or "yz".
const char* slice_name(Orthoslice slice);

// A float for a message, e.g. "1.5", "nan".
std::string format_number(float value);

// Throws EngineError unless the geometry has rows, cols and slots, a positive finite angular weight, and the
// parameters pass check_center and check_slices: what every begin_scan checks first.
void check_scan(const ScanGeometry& geometry, const ReconParams& params);

// Throws EngineError unless the center offset (pixels) is finite.
void check_center(float center_offset_px);

// Throws EngineError unless xy_row < rows and |xz_y_px|, |yz_x_px| <= cols (pixels).
void check_slices(const SlicePositions& positions, std::uint32_t rows, std::uint32_t cols);

}  // namespace tomolive::kernels
