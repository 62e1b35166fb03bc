// Zinger removal on the CPU (processing.hpp step 1): the reference the CUDA engine's zinger kernel is tested against.
//
// A pixel of the detector columns whose transmission differs from the median transmission of its 3 x 3
// neighbourhood by more than `threshold` x that median is replaced by the median; in attenuation (A = -ln T, what the
// arrays hold): m = median of the 9 values, A replaced by m when zinger_replaces(A, m, threshold). Neighbour indices
// are clamped to the frame's rows and to the detector columns.
// Units: attenuation (dimensionless) in, attenuation out; threshold relative (> 0).
// Thread safety: a pure function of its arguments; concurrent calls writing disjoint rows of `out` are safe.
#pragma once

#include <cstdint>

#include "tomolive/kernels/detector_columns.hpp"
#include "tomolive/kernels/engine_rows.hpp"

namespace tomolive::kernels {

// Writes rows [row_begin, row_end) of `out` from `in`, both rows x cols floats, row-major, distinct: zinger-filtered
// in the detector columns, copied elsewhere. Reads rows row_begin - 1 .. row_end of `in` (clamped). Returns the
// number of pixels replaced in the rows `counted` holds (an engine's owned rows, engine_rows.hpp). Preconditions (not
// checked): row_begin <= row_end <= rows, the detector columns inside [0, cols) and not empty.
std::uint64_t remove_zingers(const float* in, float* out, std::uint32_t rows, std::uint32_t cols,
                             const DetectorColumns& detector, float threshold, std::uint32_t row_begin,
                             std::uint32_t row_end, RowRange counted = {});

}  // namespace tomolive::kernels
