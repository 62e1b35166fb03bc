// Where phase retrieval (processing.hpp step 2) takes the values of its padded frame from, shared by the CPU and
// CUDA engines so that both pad the same way. Thread safety: a pure function.
#pragma once

#include <cstdint>

#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// The detector index (0..count - 1) that position p (0..padded - 1, padded >= count) of a padded axis holds: the
// data at 0..count - 1, then copies of the last value, then (circularly before the data) copies of the first, each
// padded position taking the edge value nearest to it around the circle (ties go to the last value):
// ceil((padded - count) / 2) copies of the last value, floor((padded - count) / 2) of the first. Since the filter is
// shift-invariant, this equals padding (padded - count) / 2 copies of the edge value on both sides.
TOMOLIVE_HD inline std::uint32_t paganin_padding_source(std::uint32_t p, std::uint32_t count, std::uint32_t padded) {
  if (p < count) return p;
  return p - count < (padded - count + 1) / 2 ? count - 1 : 0;
}

}  // namespace tomolive::kernels
