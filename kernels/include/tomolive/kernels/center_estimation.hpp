// Center-of-rotation estimation (PROTOCOL.md 10.4), engine-independent host code: registration of projections
// taken 180 degrees apart, and an image-sharpness metric minimised over candidate centers. Offsets are in detector
// pixels from (cols - 1) / 2, as ReconParams::center_offset_px. Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "tomolive/kernels/engine.hpp"

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
// refinement; nullopt when pairs is empty. Each projection holds rows * cols values (an engine's stored projections:
// corrected, -log'ed, ramp-filtered).
//
// Method: p(theta + 180, j) = p(theta, 2 a - j) with the axis at a = (cols - 1) / 2 + offset, so the second row
// mirrored, m(j) = second(cols - 1 - j), equals first(j + 2 offset). Every row of both is made mean-free, multiplied by
// a Tukey window (raised-cosine taper over cols / 16 columns at each end, against the ramp filter's edge emphasis),
// zero-padded to padded_length(cols) (no wrap-around) and transformed; the cross-power spectra are summed over rows
// and pairs and weighted by a Hann low-pass cos^2(pi f / 2) (f = frequency / Nyquist; the ramp filter amplifies
// noise in proportion to f). The inverse FFT gives the best integer shift in [-(cols - 1), cols - 1]; the
// band-limited correlation is then sampled every 1/32 pixel over +-1 pixel around it and a parabola through the
// best sample and its neighbours gives the shift s; offset = s / 2. Measured bias on noise-free phantom line
// integrals: <= 0.07 px for a single pair, <= 0.01 px over 180 pairs.
//
// confidence = sharpness * agreement, both in 0..1. sharpness = r^2 / (r^2 + 100), r the peak-to-side-lobe ratio of
// the summed correlation: (value at the integer peak - mean of the side lobes) / their standard deviation, the side
// lobes being every integer lag in [-(cols - 1), cols - 1] more than 3 px from the peak (1/2 at r = 10; pure noise
// gives r ~ 3.5, sharpness ~ 0.1; a phantom r >= 20, sharpness >= 0.8). agreement = 1 / (1 + (rms / 0.25 px)^2) with rms the root-mean-square difference between each pair's own offset
// (the same method on that pair alone) and the combined offset (1 for one pair). samples = pairs used: pairs whose
// rows are constant (nothing left once the mean is removed) are skipped; if every pair is, the estimate is
// {0, confidence 0, samples 0}.
// Cost: 2 * pairs * rows real FFTs of padded_length(cols) points plus O(pairs * cols) for the refinement; single
// threaded. Throws std::invalid_argument when rows is 0, cols < 2 or a projection does not hold rows * cols values.
std::optional<CenterEstimate> estimate_center_by_registration(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                              std::uint32_t cols);

// Registration for half acquisition (a 360 degree scan with the axis near one edge of the detector): each pair's
// projections overlap only in a band around the axis, so the estimate compares them there alone. The inputs are
// projections in the detector's own columns (rows x cols, attenuation as corrected: not ramp-filtered, not weighted);
// candidate offsets (pixels from (cols - 1) / 2) span prior_offset_px +- range_px.
//
// Method: with the axis at a = (cols - 1) / 2 + offset, first(j) = second(2 a - j). Both are differentiated along
// the row (d(j) = p(j + 1) - p(j): edges carry the information, slowly varying offsets drop out), and for every
// shift s = 2 offset on a grid of 1/2 px the Pearson correlation of d_first(j) with d_second(2 a - j) (linear
// interpolation) is pooled over all rows and pairs, over the columns where both exist (at least
// max(8, cols / 16)). The best grid shift is refined every 1/32 px over +-1/2 px, and a parabola through the best
// refined sample and its neighbours gives the offset. confidence = the pooled correlation at the peak, clamped to
// 0..1; samples = pairs. nullopt when pairs is empty or no candidate has enough overlap. Cost: O(pairs * rows *
// cols * (4 range_px + 64)); single threaded, so callers pass a few rows (e.g. 16) and pairs (e.g. 8).
// Throws std::invalid_argument when rows is 0, cols < 16, range_px is not positive and finite, prior_offset_px is
// not finite, or a projection does not hold rows * cols values.
std::optional<CenterEstimate> estimate_half_acquisition_center(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                               std::uint32_t cols, double prior_offset_px,
                                                               double range_px);

// The sharpness metric of one reconstructed image (lower = sharper): the Shannon entropy, in bits, of its histogram
// over 256 equal bins spanning the image's own 1st to 99th percentile (values beyond go to the end bins; non-finite
// values are left out). The robust range keeps a few extreme streak or noise pixels, which move from candidate to
// candidate, from rescaling every bin. 0 for an empty or constant image; invariant under v -> a v + b (a > 0).
double center_metric(std::span<const float> image);

// Reconstructs `offsets.size()` (1..kMaxSweepCandidates) candidate images of `region` (region.rows x region.cols
// values each) into `out`: an engine's sweep_center at a fixed detector row.
using CenterSweep =
    std::function<void(std::span<const float> offsets, const SliceRegion& region, std::span<float> out)>;
// Called before the first pass and after each with the candidates reconstructed so far and the total the estimate
// reconstructs.
using MetricProgress = std::function<void(std::uint32_t done, std::uint32_t total)>;

// Minimises center_metric over candidate offsets in three passes, each on a band of the middle rows of `region`
// (all its columns); metric values are compared within a pass only:
//  1. coarse: kMaxSweepCandidates candidates evenly over [-max_offset_px, max_offset_px] (step h = 2 max / 63) on
//     region.rows / 8 rows (at least 16, or all);
//  2. refine, only when h > 1 px: +-h around the coarse best at max(h / 8, 0.25 px) (17 candidates for h <= 2 px)
//     on rows / 4;
//  3. fit: 17 candidates 0.25 px apart over +-2 px around the best so far, on rows / 2.
// Sub-pixel: a least-squares parabola through the fit pass's candidates within +-1.5 px of its vertex, re-centred on
// the vertex 4 times (near the truth the metric also follows the interpolation phase of the axis, above all over
// 360 degrees where it dips +-0.4 px either side of the truth; a fit over +-1.5 px follows the blur and averages the
// phase out).
// confidence: t = c / se(c), the fitted curvature c over its standard error (from the fit's residuals: the
// curvature relative to the metric's noise around the optimum); confidence = t^2 / (t^2 + 64), so 1/2 at t = 8,
// 0.9 at t = 24, 0.12 at t = 3 (a featureless sample, only noise, gives t <= 3); 1 for an exact parabola. 0 when the metric
// has no minimum there: a flat curve (featureless sample: every candidate alike), a parabola opening downward or its
// vertex beyond the fit pass (the best candidate's offset is then returned). samples = candidates reconstructed
// (98 for max 64 px). Cost for a 256 x 256 region: about 21 full-region reconstructions. Precision on the 256-column
// phantom with noise, 180 and 360 degrees, offsets +-0.4 and +-3.7 px: <= 0.1 px (tests/kernels).
// `progress`, when set, is called before the first pass (done 0) and after each pass. Throws std::invalid_argument when the region is empty or
// max_offset_px is not positive and finite; exceptions of `sweep` and `progress` propagate.
CenterEstimate estimate_center_by_metric(const CenterSweep& sweep, const SliceRegion& region, double max_offset_px,
                                         const MetricProgress& progress = {});

}  // namespace tomolive::kernels
