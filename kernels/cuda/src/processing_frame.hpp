// The shape the processing steps (zinger_filter, axis_tilt_rotation, paganin_filter, pre_filter_corrections,
// ProjectionProcessor) work on: a batch of `frames` detector frames of rows x cols floats each (attenuation,
// dimensionless) in device memory, stacked: row r of frame f starts at data + (f * rows + r) * pitch (pitch >= cols
// floats); and the columns of a frame that the detector measured (DetectorColumns, detector_columns.hpp, shared with
// the CPU engine). Every step treats each frame of a batch on its own (neighbourhoods clamp at the frame's own edge
// rows), so a batch of F frames gives what F calls on one frame give. Their kernels take the frame from
// blockIdx.z (grids of (.., .., frames), frames <= kMaxBatchFrames). Private to tomolive_cuda_engine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tomolive/kernels/detector_columns.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels::cuda {

struct FrameShape {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t pitch = 0;   // floats from one row's start to the next
  std::uint32_t frames = 1;  // frames in the batch

  // Floats from one frame's start to the next.
  TOMOLIVE_HD std::size_t frame_stride() const { return std::size_t{rows} * pitch; }
};

// Most frames one batch may hold: the limit of a CUDA grid's z dimension.
inline constexpr std::uint32_t kMaxBatchFrames = 65535;

// The detector columns (where zingers, phase retrieval and ring removal work) are the shared DetectorColumns.
using kernels::DetectorColumns;

}  // namespace tomolive::kernels::cuda
