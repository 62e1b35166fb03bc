// The region of the XY slice a sweep reconstructs (sweep_center, sweep_processing; PROTOCOL.md 10.1 and 10.8): the
// requested [row0, col0, rows, cols], or the central square of side min(slice_cols, kDefaultSweepRegionSide). Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

inline constexpr std::uint32_t kDefaultSweepRegionSide = 512;

// The central square of side min(side, slice_cols) of a slice_cols x slice_cols XY slice.
kernels::SliceRegion central_square(std::uint32_t side, std::uint32_t slice_cols);

// `requested` when it lies inside the slice_cols x slice_cols XY slice with 1..kMaxSweepSide rows and cols, else why
// not (invalid_argument); the central square of side kDefaultSweepRegionSide when nothing was requested.
std::variant<kernels::SliceRegion, protocol::Error> sweep_region(
    const std::optional<protocol::SliceRegionField>& requested, std::uint32_t slice_cols);

}  // namespace tomolive::daemon
