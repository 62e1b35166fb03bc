// DetectorColumns: the columns of an engine frame that the detector measured, where zinger removal, phase retrieval
// and ring removal work (processing.hpp: with half acquisition only [detector_col0, detector_col0 + detector_cols);
// every column otherwise). Columns outside pass through those steps unchanged.
// Thread safety: a plain value.
#pragma once

#include <cstdint>

#include "tomolive/kernels/host_device.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

struct DetectorColumns {
  std::uint32_t first = 0;
  std::uint32_t count = 0;

  // The detector columns of a frame `cols` wide in a scan with `half` (disabled: every column).
  static DetectorColumns of(const HalfAcquisition& half, std::uint32_t cols) {
    return half.enabled ? DetectorColumns{half.detector_col0, half.detector_cols} : DetectorColumns{0, cols};
  }
  TOMOLIVE_HD bool contains(std::uint32_t col) const { return col >= first && col - first < count; }
};

}  // namespace tomolive::kernels
