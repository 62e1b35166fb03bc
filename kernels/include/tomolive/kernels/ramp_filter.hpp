// The ramp (Ram-Lak) filter used by filtered backprojection, shared by the CPU and CUDA engines.
//
// Rows of cols samples are zero-padded to padded_length(cols) (a power of two >= 2 * cols) so that the circular
// convolution of the FFT equals the linear one over the detector. The frequency response is the FFT of the
// band-limited spatial ramp kernel h(0) = 1/4, h(n odd) = -1/(pi n)^2, h(n even) = 0 (Kak & Slaney, ch. 3),
// which has no DC bias; it matches scikit-image's "ramp" filter up to the factor 2 that iradon folds into its
// pi / (2 N) weight. With this response, FBP is sum over projections of filtered(u) * (pi / N) for N projections
// over 180 degrees.
// Thread safety: both functions may be called from any thread (ramp_response plans its FFTW transform under
// fftw_planner_mutex(), see cpu_ramp_filter.hpp). Errors: padded_length throws std::length_error for
// cols > 2^30; ramp_response throws std::invalid_argument for an odd or < 2 length.
#pragma once

#include <cstdint>
#include <vector>

#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

// Smallest power of two >= max(64, 2 * cols).
std::uint32_t padded_length(std::uint32_t cols);

// Real frequency response for the padded_length / 2 + 1 bins of a real-to-complex FFT of length `padded`,
// including the 1 / padded normalisation of the unnormalised inverse FFT.
std::vector<float> ramp_response(std::uint32_t padded);

// ramp_response(padded) with bin m multiplied by window_weight(window, 2 m / padded) (processing.hpp); the Ram-Lak
// window gives ramp_response(padded) exactly. Throws as ramp_response.
std::vector<float> filter_response(std::uint32_t padded, FilterWindow window);

}  // namespace tomolive::kernels
