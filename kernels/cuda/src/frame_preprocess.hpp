// GPU preprocessing of raw frames: dark/flat averaging (and variance, for the defective-pixel map), the flat-field
// correction + -log of projections through attenuation() of preprocess.hpp, and the repair of defective pixels through
// repaired_attenuation() of defective_pixels.hpp (the cores shared with the CPU engine). Raw frames are read in their own pixel type
// (uint8, uint16, uint32 or float32), as they arrived. Launchers enqueue on `stream` and return.
//
// Units: raw, dark and flat in detector counts; the output is the dimensionless line integral -log(transmission).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels::cuda {

// sum[k] += raw[k] and squares[k] += raw[k]^2 for `pixels` pixels (sums in double, as FrameAverage on the CPU).
void accumulate_reference(const void* raw, PixelType type, std::size_t pixels, double* sum, double* squares,
                          cudaStream_t stream);

// level[k] = float(sum[k] * (1.0 / count)), or level_if_empty everywhere when count == 0 (as FrameAverage).
void average_reference(const double* sum, std::size_t pixels, std::uint32_t count, float level_if_empty, float* level,
                       cudaStream_t stream);

// variance[k] = the unbiased sample variance of `count` frames from their sums and sums of squares, or 0 everywhere
// when count < 2 (as FrameAverage::variance_into).
void reference_variance(const double* sum, const double* squares, std::size_t pixels, std::uint32_t count,
                        float* variance, cudaStream_t stream);

// out[r * padded + c] = attenuation(raw, dark, flat) for c < cols and rows r < rows; out[r * padded + c] for
// c >= cols is left alone. Adds the number of clamped pixels in the rows `counted` to *clamped.
void preprocess_rows(const void* raw, PixelType type, std::uint32_t rows, std::uint32_t cols, std::uint32_t padded,
                     const float* dark, const float* flat, float* out, unsigned long long* clamped,
                     RowRange counted, cudaStream_t stream);

// For each of `count` repairs (device memory, defective_pixels.hpp): out[r * padded + c] of its pixel (r, c of a
// frame `cols` wide) = repaired_attenuation() of its neighbours' raw values and levels; adds to *clamped how many
// repaired pixels of the rows `counted` are clamped minus how many preprocess_rows counted (as repair_pixels on the
// CPU).
void repair_pixels(const void* raw, PixelType type, const PixelRepair* repairs, std::uint32_t count,
                   std::uint32_t cols, std::uint32_t padded, const float* dark, const float* flat, float* out,
                   unsigned long long* clamped, RowRange counted, cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
