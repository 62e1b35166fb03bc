// Defective detector pixels (PROTOCOL.md 10.10), shared by the CPU and CUDA engines: the classifier that builds a
// scan's pixel map from its darks and flats (and any mask the detector sent), and the repair that replaces a masked
// pixel's transmission by linear interpolation between its nearest good row neighbours, before -log.
//
// Classification of pixel (r, c), with dark and flat the per-pixel means (counts), open = flat - dark, and the
// "row neighbours" the up to 2 x kNeighbourRadius pixels (r, c +- 1 .. kNeighbourRadius) inside the frame:
//   dead   no flats, so no dead test; else open <= 0, or open < dead_threshold x the median open of the row neighbours
//          (dead_threshold: a fraction, 0 < t < 1).
//   hot    darks present and dark - median dark of the row neighbours > hot_threshold x sigma_dark, sigma_dark the
//          robust spread of that difference over the frame (1.4826 x its median absolute deviation, at least
//          kMinRobustSigmaCounts counts). hot_threshold in robust sigmas.
//          (Frame-wide medians and MADs, here and below, are taken over at most 2^16 values evenly strided over the
//          frame.)
//   noisy  for the darks and for the flats separately, when that set holds >= 3 frames: the pixel's standard
//          deviation across the frames exceeds the frame's median standard deviation by more than noisy_threshold x
//          the robust spread of the standard deviations (1.4826 x MAD, at least kMinRobustSigmaCounts counts).
//          noisy_threshold in robust sigmas.
//   detector_mask  the detector flagged the pixel (a non-zero mask value, e.g. DECTRIS pixel_mask).
// A pixel may have several kinds (bits of DefectKind); it is masked when it has any.
//
// Repair (PixelRepair, repaired_attenuation): a masked pixel's transmission is (1 - w) T(left) + w T(right), T the
// flat-field corrected transmission (raw - dark) / (flat - dark) of the nearest good pixels to its left and right in
// its row, w = (c - left) / (right - left); at a row's edge the one good neighbour is copied; a row with no good pixel
// is left alone. The result is clamped and -log'ed as attenuation() (preprocess.hpp). The same for every frame of the
// scan (projections; the darks and flats are only read through the good neighbours).
//
// Thread safety: pure data and pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// Bits of a pixel's entry in a DefectivePixelMap.
enum DefectKind : std::uint8_t {
  kDefectDead = 1,
  kDefectHot = 2,
  kDefectNoisy = 4,
  kDefectDetectorMask = 8,
};

inline constexpr std::uint32_t kNeighbourRadius = 3;      // columns on each side that a pixel is compared with
inline constexpr float kMinRobustSigmaCounts = 1.f;       // floor of the robust spreads, counts
inline constexpr std::uint32_t kMinFramesForNoise = 3;    // frames a reference set needs for the noisy test

// The detection setting (part of ProcessingParams, processing.hpp). The map is built once per scan, at its first
// projection, with the setting in force then.
struct DefectivePixelDetection {
  bool enabled = true;
  float dead_threshold = 0.5f;   // fraction of the row neighbours' median open-beam signal; 0 < t < 1
  float hot_threshold = 10.f;    // robust sigmas of the dark's deviation from its row neighbours; > 0
  float noisy_threshold = 10.f;  // robust sigmas of the per-pixel temporal standard deviation; > 0
};

bool operator==(const DefectivePixelDetection& a, const DefectivePixelDetection& b);

// Throws EngineError (engine.hpp) naming the first threshold out of range.
void check_defective_pixel_detection(const DefectivePixelDetection& detection);

// Pixels of each kind (a pixel with several kinds counts in each) and masked pixels in all (each once).
struct DefectCounts {
  std::uint64_t dead = 0, hot = 0, noisy = 0, detector_mask = 0, total = 0;
};

// One scan's map: rows x cols DefectKind bit sets, row-major.
struct DefectivePixelMap {
  std::uint32_t rows = 0, cols = 0;
  std::vector<std::uint8_t> kinds;

  DefectCounts counts() const;
};

// Statistics of one reference set (darks or flats), rows x cols floats each, counts: the mean, and the sample
// variance across the frames (unbiased; only read when frames >= kMinFramesForNoise). frames == 0: no such set.
struct ReferenceStatistics {
  const float* mean = nullptr;
  const float* variance = nullptr;
  std::uint32_t frames = 0;
};

// The map of a rows x cols detector, as the header says. `detector_mask` is empty or rows x cols values (non-zero:
// defective). Throws EngineError when the mask has another size.
DefectivePixelMap classify_defective_pixels(std::uint32_t rows, std::uint32_t cols, const ReferenceStatistics& dark,
                                            const ReferenceStatistics& flat,
                                            std::span<const std::uint8_t> detector_mask,
                                            const DefectivePixelDetection& detection);

// How to repair one masked pixel: indices (row * cols + col) of the pixel and of its good neighbours, and the weight
// of the right one. With one good neighbour, left == right and right_weight = 0.
struct PixelRepair {
  std::uint32_t pixel = 0;
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  float right_weight = 0.f;
};

// The repairs of every masked pixel that has a good pixel in its row, in increasing pixel order.
std::vector<PixelRepair> plan_pixel_repairs(const DefectivePixelMap& map);

// Where each group of `rows_per_group` frame rows starts in `repairs` (increasing pixel order, a frame `cols` wide):
// entries begin[g] .. begin[g + 1] - 1 repair pixels of rows g * rows_per_group .. (g + 1) * rows_per_group - 1, for
// g < groups; groups + 1 values. Repairs past the last group are left out. (The fused GPU filter takes quads of 4 rows.)
std::vector<std::uint32_t> repair_group_offsets(std::span<const PixelRepair> repairs, std::uint32_t cols,
                                                std::uint32_t rows_per_group, std::uint32_t groups);

// Flat-field corrected transmission of one good pixel (counts in, dimensionless out; not clamped).
TOMOLIVE_HD inline float transmission_of(float raw, float dark, float flat) { return (raw - dark) / (flat - dark); }

// Attenuation of a repaired pixel from its neighbours' raw values and levels (counts): the interpolated transmission,
// clamped below at min_transmission (also NaN; `clamped` set then) and -log'ed.
TOMOLIVE_HD inline float repaired_attenuation(float raw_left, float dark_left, float flat_left, float raw_right,
                                              float dark_right, float flat_right, float right_weight,
                                              float min_transmission, bool& clamped) {
  const float left = transmission_of(raw_left, dark_left, flat_left);
  const float right = transmission_of(raw_right, dark_right, flat_right);
  float transmission = (1.f - right_weight) * left + right_weight * right;
  clamped = !(transmission >= min_transmission);
  if (clamped) transmission = min_transmission;
  return -logf(transmission);
}

// What an engine keeps of one scan's defective pixels: the detector's mask until the first projection, then the map
// and its repairs. Not thread-safe; one owner (the engine).
class ScanDefectivePixels {
 public:
  // A new scan of rows x cols: no mask, no map.
  void reset(std::uint32_t rows, std::uint32_t cols);

  // Keeps a copy of the detector's mask (empty: none). Throws EngineError when the map is already built (a projection
  // arrived) or the mask is not rows x cols.
  void set_detector_mask(std::span<const std::uint8_t> mask);

  // Builds the map (classify_defective_pixels with the kept mask) and its repairs when detection.enabled; else
  // leaves both empty. Called once, at the scan's first projection.
  void build(const ReferenceStatistics& dark, const ReferenceStatistics& flat,
             const DefectivePixelDetection& detection);

  bool built() const { return built_; }
  // The map, or nullptr when not built or detection was off.
  const DefectivePixelMap* map() const { return map_.kinds.empty() ? nullptr : &map_; }
  const std::vector<PixelRepair>& repairs() const { return repairs_; }

 private:
  std::uint32_t rows_ = 0, cols_ = 0;
  bool built_ = false;
  std::vector<std::uint8_t> detector_mask_;
  DefectivePixelMap map_;
  std::vector<PixelRepair> repairs_;
};

}  // namespace tomolive::kernels
