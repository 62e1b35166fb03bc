// The axis tilt rotation of a frame on the GPU (axis_tilt_correction.hpp: the same rotated_pixel rule as the CPU
// engine). Launchers enqueue on `stream` and return.
#pragma once

#include <cuda_runtime.h>

#include "processing_frame.hpp"
#include "tomolive/kernels/axis_tilt_correction.hpp"

namespace tomolive::kernels::cuda {

// out = `in` rotated by `rotation`, frame by frame (both shaped `shape`, device memory, distinct).
void rotate_frame(const float* in, float* out, const FrameShape& shape, const AxisTiltRotation& rotation,
                  cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
