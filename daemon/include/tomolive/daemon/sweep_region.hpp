// The region of the XY slice a sweep reconstructs (sweep_center, sweep_processing; PROTOCOL.md 10.1 and 10.8): the
// requested [row0, col0, rows, cols], or the central square of side min(slice_cols, kDefaultSweepRegionSide); and the
// pixel step a center sweep samples it at. Pure functions; thread-safe.
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

// The pixel step of a center sweep's images (PROTOCOL.md 10.1): `requested` (the codec checked 1..8), else 1 for a
// region of at most protocol::kMaxDefaultSweepImageSide pixels a side, else the smallest step that brings both image
// sides within it (2 for a 1024 x 1024 region).
std::uint32_t sweep_pixel_step(const std::optional<std::uint32_t>& requested, const kernels::SliceRegion& region);

}  // namespace tomolive::daemon
