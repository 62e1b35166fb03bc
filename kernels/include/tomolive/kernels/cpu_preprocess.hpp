// CPU preprocessing of raw detector frames: flat-field correction and -log, through attenuation() of preprocess.hpp
// (the core shared with the CUDA engine).
//
// Units: raw, dark and flat are detector counts (any PixelType, converted to float32); the result is the
// dimensionless line integral -log(transmission). Arrays are row-major rows x cols float32.
// Thread safety: a pure function of its arguments; concurrent calls writing disjoint rows are safe.
#pragma once

#include <cstdint>
#include <span>

#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels {

// Writes the attenuation of rows [row_begin, row_end) of `frame` into the same rows of `out`; `dark`, `flat` and
// `out` hold frame.rows x frame.cols floats (per-pixel dark and flat levels). Returns the number of clamped pixels
// (transmission below min_transmission, or flat not above dark) in the rows `counted` holds (an engine's owned rows,
// engine_rows.hpp). Preconditions: row_begin <= row_end <= frame.rows and frame.data valid; not checked here (the
// engine checks frames).
std::uint64_t compute_attenuation(const FrameView& frame, const float* dark, const float* flat, float* out,
                                  std::uint32_t row_begin, std::uint32_t row_end, RowRange counted = {},
                                  float min_transmission = kMinTransmission);

// Overwrites the attenuation in `out` (as compute_attenuation wrote it) of every pixel in `repairs` with
// repaired_attenuation() of its neighbours (defective_pixels.hpp). Returns how many repaired pixels of the rows
// `counted` holds are clamped minus how many of them compute_attenuation counted as clamped (so that the two sums
// count each pixel once, as repaired).
std::int64_t repair_pixels(const FrameView& frame, const float* dark, const float* flat,
                           std::span<const PixelRepair> repairs, float* out, RowRange counted = {},
                           float min_transmission = kMinTransmission);

}  // namespace tomolive::kernels
