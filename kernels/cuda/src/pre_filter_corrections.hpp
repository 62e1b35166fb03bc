// The per-pixel corrections between phase retrieval and the ramp filter (processing.hpp steps 3 and 4 for an arriving
// projection): the ring offset of the last ring pass added, then the column's half-acquisition weight applied.
// Launchers enqueue on `stream` and return.
#pragma once

#include <cuda_runtime.h>

#include "processing_frame.hpp"

namespace tomolive::kernels::cuda {

struct PreFilterCorrections {
  const float* ring_offsets = nullptr;    // rows x cols floats, row-major (device memory; one frame's, shared by
                                          // every frame of a batch), or nullptr: no offset
  const float* column_weights = nullptr;  // cols floats (device memory; half_acquisition_weight), or nullptr: 1
};

// out = (in + ring offset) * column weight, pixel by pixel of every frame (both shaped `shape`, device memory; `out`
// may be `in`); a plain copy when `corrections` holds neither.
void apply_pre_filter_corrections(const float* in, float* out, const FrameShape& shape,
                                  const PreFilterCorrections& corrections, cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
