// The shape the processing steps (zinger_filter, paganin_filter, pre_filter_corrections, ProjectionProcessor) work on: a
// detector frame of rows x cols floats (attenuation, dimensionless) in device memory, row r starting at
// data + r * pitch (pitch >= cols floats), and the columns of it that the detector measured. Private to
// tomolive_cuda_engine.
#pragma once

#include <cstdint>

#include "tomolive/kernels/host_device.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels::cuda {

struct FrameShape {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t pitch = 0;  // floats from one row's start to the next
};

// Columns [first, first + count) of the frame: where zingers, phase retrieval and ring removal work (processing.hpp:
// with half acquisition only the detector's columns; every column otherwise). Columns outside pass through them
// unchanged.
struct DetectorColumns {
  std::uint32_t first = 0;
  std::uint32_t count = 0;

  // The detector columns of a frame of `cols` columns under `processing`.
  static DetectorColumns of(const ProcessingParams& processing, std::uint32_t cols) {
    const HalfAcquisition& half = processing.half_acquisition;
    return half.enabled ? DetectorColumns{half.detector_col0, half.detector_cols} : DetectorColumns{0, cols};
  }
  TOMOLIVE_HD bool contains(std::uint32_t col) const { return col >= first && col - first < count; }
};

}  // namespace tomolive::kernels::cuda
