// Zinger removal on the GPU (processing.hpp step 1): each detector-column pixel whose attenuation A has
// zinger_replaces(A, m, threshold) true, m the median of its 3 x 3 neighbourhood (rows clamped to its own frame's
// edge rows, never reaching into a neighbouring frame of the batch; columns to the detector columns), becomes m.
// Every pixel is judged against the unreplaced input (out of place). Launchers enqueue on `stream` and return.
#pragma once

#include <cuda_runtime.h>

#include "processing_frame.hpp"
#include "tomolive/kernels/engine_rows.hpp"

namespace tomolive::kernels::cuda {

// out = `in` with zingers replaced, frame by frame (both shaped `shape`, distinct, device memory; columns outside
// `detector` copied); adds the number of replaced pixels in the rows `counted` (frame rows) of every frame to
// *replaced.
void remove_zingers(const float* in, float* out, const FrameShape& shape, const DetectorColumns& detector,
                    float threshold, unsigned long long* replaced, RowRange counted, cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
