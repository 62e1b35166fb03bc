#include "tomolive/kernels/defective_pixels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"

namespace tomolive::kernels {
namespace {

constexpr float kMadToSigma = 1.4826f;  // sigma of a normal distribution over its median absolute deviation

// Median of `values` (reordered). Empty: 0.
float median_of(std::span<float> values) {
  if (values.empty()) return 0.f;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  const float upper = *middle;
  if (values.size() % 2 == 1) return upper;
  const float lower = *std::max_element(values.begin(), middle);
  return 0.5f * (lower + upper);
}

// Median of the row neighbours (up to kNeighbourRadius on each side, inside the row) of column c of `row`.
float neighbour_median(const float* row, std::uint32_t cols, std::uint32_t c) {
  std::array<float, 2 * kNeighbourRadius> values{};
  std::size_t n = 0;
  for (std::uint32_t d = 1; d <= kNeighbourRadius; ++d) {
    if (c >= d) values[n++] = row[c - d];
    if (c + d < cols) values[n++] = row[c + d];
  }
  return median_of(std::span<float>(values.data(), n));
}

// The centre (median) and robust spread (1.4826 x MAD, at least kMinRobustSigmaCounts) of `values`.
struct RobustSpread {
  float centre = 0.f, sigma = 0.f;
};
RobustSpread robust_spread(const std::vector<float>& values) {
  std::vector<float> work = values;
  RobustSpread s;
  s.centre = median_of(work);
  for (std::size_t k = 0; k < values.size(); ++k) work[k] = std::fabs(values[k] - s.centre);
  s.sigma = std::max(kMadToSigma * median_of(work), kMinRobustSigmaCounts);
  return s;
}

void require_in(float value, float low, float high, const char* what, const char* expected) {
  if (!(std::isfinite(value) && value > low && value < high)) {
    throw EngineError(std::string(what) + " " + format_number(value) + " must be " + expected);
  }
}

// Marks `kind` where a set's temporal standard deviation is an outlier (the noisy test of the header).
void mark_noisy(const ReferenceStatistics& set, std::size_t pixels, float threshold, std::vector<std::uint8_t>& kinds) {
  if (set.frames < kMinFramesForNoise || set.variance == nullptr) return;
  std::vector<float> deviation(pixels);
  for (std::size_t k = 0; k < pixels; ++k) deviation[k] = std::sqrt(std::max(set.variance[k], 0.f));
  const RobustSpread spread = robust_spread(deviation);
  for (std::size_t k = 0; k < pixels; ++k) {
    if (deviation[k] - spread.centre > threshold * spread.sigma) kinds[k] |= kDefectNoisy;
  }
}

}  // namespace

bool operator==(const DefectivePixelDetection& a, const DefectivePixelDetection& b) {
  return a.enabled == b.enabled && a.dead_threshold == b.dead_threshold && a.hot_threshold == b.hot_threshold &&
         a.noisy_threshold == b.noisy_threshold;
}

void check_defective_pixel_detection(const DefectivePixelDetection& d) {
  require_in(d.dead_threshold, 0.f, 1.f, "dead-pixel threshold", "a fraction in (0, 1)");
  require_in(d.hot_threshold, 0.f, INFINITY, "hot-pixel threshold", "a finite number of robust sigmas > 0");
  require_in(d.noisy_threshold, 0.f, INFINITY, "noisy-pixel threshold", "a finite number of robust sigmas > 0");
}

DefectCounts DefectivePixelMap::counts() const {
  DefectCounts c;
  for (const std::uint8_t k : kinds) {
    c.dead += (k & kDefectDead) != 0;
    c.hot += (k & kDefectHot) != 0;
    c.noisy += (k & kDefectNoisy) != 0;
    c.detector_mask += (k & kDefectDetectorMask) != 0;
    c.total += k != 0;
  }
  return c;
}

DefectivePixelMap classify_defective_pixels(std::uint32_t rows, std::uint32_t cols, const ReferenceStatistics& dark,
                                            const ReferenceStatistics& flat,
                                            std::span<const std::uint8_t> detector_mask,
                                            const DefectivePixelDetection& detection) {
  const std::size_t pixels = std::size_t{rows} * cols;
  if (!detector_mask.empty() && detector_mask.size() != pixels) {
    throw EngineError("detector mask of " + std::to_string(detector_mask.size()) + " pixels; the scan's frames have " +
                      std::to_string(pixels) + " (" + std::to_string(rows) + " x " + std::to_string(cols) + ")");
  }
  DefectivePixelMap map{rows, cols, std::vector<std::uint8_t>(pixels, 0)};
  for (std::size_t k = 0; k < detector_mask.size(); ++k) {
    if (detector_mask[k] != 0) map.kinds[k] |= kDefectDetectorMask;
  }

  if (flat.frames > 0) {
    std::vector<float> open(cols);
    for (std::uint32_t r = 0; r < rows; ++r) {
      const std::size_t row0 = std::size_t{r} * cols;
      for (std::uint32_t c = 0; c < cols; ++c) {
        open[c] = flat.mean[row0 + c] - (dark.frames > 0 ? dark.mean[row0 + c] : 0.f);
      }
      for (std::uint32_t c = 0; c < cols; ++c) {
        if (!(open[c] > 0.f) || open[c] < detection.dead_threshold * neighbour_median(open.data(), cols, c)) {
          map.kinds[row0 + c] |= kDefectDead;
        }
      }
    }
  }

  if (dark.frames > 0) {
    std::vector<float> excess(pixels);  // dark above the median of its row neighbours, counts
    for (std::uint32_t r = 0; r < rows; ++r) {
      const float* row = dark.mean + std::size_t{r} * cols;
      for (std::uint32_t c = 0; c < cols; ++c) {
        excess[std::size_t{r} * cols + c] = row[c] - neighbour_median(row, cols, c);
      }
    }
    const RobustSpread spread = robust_spread(excess);
    for (std::size_t k = 0; k < pixels; ++k) {
      if (excess[k] - spread.centre > detection.hot_threshold * spread.sigma) map.kinds[k] |= kDefectHot;
    }
  }

  mark_noisy(dark, pixels, detection.noisy_threshold, map.kinds);
  mark_noisy(flat, pixels, detection.noisy_threshold, map.kinds);
  return map;
}

std::vector<PixelRepair> plan_pixel_repairs(const DefectivePixelMap& map) {
  std::vector<PixelRepair> repairs;
  for (std::uint32_t r = 0; r < map.rows; ++r) {
    const std::size_t row0 = std::size_t{r} * map.cols;
    const std::uint8_t* kinds = map.kinds.data() + row0;
    std::uint32_t c = 0;
    while (c < map.cols) {
      if (kinds[c] == 0) {
        ++c;
        continue;
      }
      const std::uint32_t begin = c;  // a run of masked pixels [begin, end)
      while (c < map.cols && kinds[c] != 0) ++c;
      const std::uint32_t end = c;
      const bool has_left = begin > 0, has_right = end < map.cols;
      if (!has_left && !has_right) continue;  // no good pixel in this row
      const std::uint32_t left = has_left ? begin - 1 : end;
      const std::uint32_t right = has_right ? end : begin - 1;
      for (std::uint32_t i = begin; i < end; ++i) {
        PixelRepair repair;
        repair.pixel = static_cast<std::uint32_t>(row0 + i);
        repair.left = static_cast<std::uint32_t>(row0 + left);
        repair.right = static_cast<std::uint32_t>(row0 + right);
        repair.right_weight =
            has_left && has_right ? static_cast<float>(i - left) / static_cast<float>(right - left) : 0.f;
        repairs.push_back(repair);
      }
    }
  }
  return repairs;
}

void ScanDefectivePixels::reset(std::uint32_t rows, std::uint32_t cols) {
  rows_ = rows;
  cols_ = cols;
  built_ = false;
  detector_mask_.clear();
  map_ = {};
  repairs_.clear();
}

void ScanDefectivePixels::set_detector_mask(std::span<const std::uint8_t> mask) {
  if (built_) {
    throw EngineError("set_detector_mask: the scan's defective-pixel map was built at its first projection; a mask "
                      "must come before it");
  }
  if (!mask.empty() && mask.size() != std::size_t{rows_} * cols_) {
    throw EngineError("set_detector_mask: the mask has " + std::to_string(mask.size()) + " pixels; expected " +
                      std::to_string(std::size_t{rows_} * cols_) + " (" + std::to_string(rows_) + " x " +
                      std::to_string(cols_) + ")");
  }
  detector_mask_.assign(mask.begin(), mask.end());
}

void ScanDefectivePixels::build(const ReferenceStatistics& dark, const ReferenceStatistics& flat,
                                const DefectivePixelDetection& detection) {
  built_ = true;
  if (!detection.enabled) return;
  map_ = classify_defective_pixels(rows_, cols_, dark, flat, detector_mask_, detection);
  repairs_ = plan_pixel_repairs(map_);
}

}  // namespace tomolive::kernels
