// The shape the processing steps (zinger_filter, paganin_filter, pre_filter_corrections, ProjectionProcessor) work on: a
// detector frame of rows x cols floats (attenuation, dimensionless) in device memory, row r starting at
// data + r * pitch (pitch >= cols floats), and the columns of it that the detector measured (DetectorColumns,
// detector_columns.hpp, shared with the CPU engine). Private to tomolive_cuda_engine.
#pragma once

#include <cstdint>

#include "tomolive/kernels/detector_columns.hpp"

namespace tomolive::kernels::cuda {

struct FrameShape {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t pitch = 0;  // floats from one row's start to the next
};

// The detector columns (where zingers, phase retrieval and ring removal work) are the shared DetectorColumns.
using kernels::DetectorColumns;

}  // namespace tomolive::kernels::cuda
