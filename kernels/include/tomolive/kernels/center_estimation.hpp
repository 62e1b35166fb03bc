// Center-of-rotation estimation (PROTOCOL.md 10.4), engine-independent host code: registration of projections
// taken 180 degrees apart, and an image-sharpness metric minimised over candidate centers. Offsets are in detector
// pixels from (cols - 1) / 2, as ReconParams::center_offset_px. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace tomolive::kernels {

struct CenterEstimate {
  double center_offset_px = 0.0;
  double confidence = 0.0;    // 0..1, see PROTOCOL.md 10.4
  std::uint32_t samples = 0;  // registration: pairs used; metric: candidates reconstructed
};

// Two stored projections (rows x cols, row-major) whose angles differ by 180 degrees: `second` is the mirror image
// of `first` about the rotation axis.
struct OpposedPair {
  std::span<const float> first;
  std::span<const float> second;
};

// The axis offset that best maps every pair's second projection, mirrored, onto its first, with sub-pixel
// refinement; nullopt when pairs is empty. Each projection holds rows * cols values.
std::optional<CenterEstimate> estimate_center_by_registration(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                              std::uint32_t cols);

// The sharpness metric of one reconstructed image (lower = sharper): the entropy of its histogram.
double center_metric(std::span<const float> image);

// Reconstructs `offsets.size()` candidate images of `pixels_per_image` values each into `out` (an engine's
// sweep_center over a fixed region).
using CenterSweep = std::function<void(std::span<const float> offsets, std::span<float> out)>;

// Minimises center_metric over candidates: a coarse pass over (-max_offset_px, max_offset_px), then finer passes
// around the best, each at most kMaxSweepCandidates candidates (engine.hpp), then a sub-pixel refinement.
CenterEstimate estimate_center_by_metric(const CenterSweep& sweep, std::size_t pixels_per_image, double max_offset_px);

}  // namespace tomolive::kernels
