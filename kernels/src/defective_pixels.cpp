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
// The robust spreads are taken over at most this many values, evenly strided over the frame: a median of 2^16
// samples is within a fraction of a per cent of the whole frame's, at a hundredth of the cost for 2048^2 frames.
constexpr std::size_t kMaxSpreadSamples = std::size_t{1} << 16;

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

// The row neighbours (up to kNeighbourRadius on each side, inside the row) of column c of `row`, sorted: at most 6
// values, by insertion sort (the cheapest way for so few).
struct Neighbours {
  std::array<float, 2 * kNeighbourRadius> sorted{};
  std::size_t n = 0;
  Neighbours(const float* row, std::uint32_t cols, std::uint32_t c) {
    for (std::uint32_t d = 1; d <= kNeighbourRadius; ++d) {
      if (c >= d) sorted[n++] = row[c - d];
      if (c + d < cols) sorted[n++] = row[c + d];
    }
    for (std::size_t i = 1; i < n; ++i) {
      const float v = sorted[i];
      std::size_t j = i;
      for (; j > 0 && sorted[j - 1] > v; --j) sorted[j] = sorted[j - 1];
      sorted[j] = v;
    }
  }
  float median() const {
    if (n == 0) return 0.f;
    return n % 2 == 1 ? sorted[n / 2] : 0.5f * (sorted[n / 2 - 1] + sorted[n / 2]);
  }
};

// The smallest and largest row neighbour of column c (the cheap bounds of its neighbours' median: a test against the
// median is decided by them for almost every pixel).
struct Extremes {
  float low = 0.f, high = 0.f;
};
Extremes neighbour_extremes(const float* row, std::uint32_t cols, std::uint32_t c) {
  Extremes e{INFINITY, -INFINITY};
  for (std::uint32_t d = 1; d <= kNeighbourRadius; ++d) {
    if (c >= d) e = {std::min(e.low, row[c - d]), std::max(e.high, row[c - d])};
    if (c + d < cols) e = {std::min(e.low, row[c + d]), std::max(e.high, row[c + d])};
  }
  return e;
}

// value_of(k) for at most kMaxSpreadSamples pixels k, evenly strided over `pixels`.
template <class ValueOf>
std::vector<float> strided_samples(std::size_t pixels, ValueOf value_of) {
  const std::size_t stride = std::max<std::size_t>(1, (pixels + kMaxSpreadSamples - 1) / kMaxSpreadSamples);
  std::vector<float> samples;
  samples.reserve(pixels / stride + 1);
  for (std::size_t k = 0; k < pixels; k += stride) samples.push_back(value_of(k));
  return samples;
}

// The centre (median) and robust spread (1.4826 x MAD, at least kMinRobustSigmaCounts) of `samples`.
struct RobustSpread {
  float centre = 0.f, sigma = 0.f;
};
RobustSpread robust_spread(std::vector<float> samples) {
  std::vector<float> work = samples;
  RobustSpread s;
  s.centre = median_of(work);
  for (std::size_t k = 0; k < samples.size(); ++k) work[k] = std::fabs(samples[k] - s.centre);
  s.sigma = std::max(kMadToSigma * median_of(work), kMinRobustSigmaCounts);
  return s;
}

void require_in(float value, float low, float high, const char* what, const char* expected) {
  if (!(std::isfinite(value) && value > low && value < high)) {
    throw EngineError(std::string(what) + " " + format_number(value) + " must be " + expected);
  }
}

// Marks kDefectNoisy where a set's temporal standard deviation is an outlier (the noisy test of the header).
void mark_noisy(const ReferenceStatistics& set, std::size_t pixels, float threshold, std::vector<std::uint8_t>& kinds) {
  if (set.frames < kMinFramesForNoise || set.variance == nullptr) return;
  const auto deviation = [&](std::size_t k) { return std::sqrt(std::max(set.variance[k], 0.f)); };
  const RobustSpread spread = robust_spread(strided_samples(pixels, deviation));
  const float limit = spread.centre + threshold * spread.sigma;  // > 0: sigma is at least 1 count
  const float variance_limit = limit * limit;
  for (std::size_t k = 0; k < pixels; ++k) {
    if (set.variance[k] > variance_limit) kinds[k] |= kDefectNoisy;
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
    const float t = detection.dead_threshold;
    for (std::uint32_t r = 0; r < rows; ++r) {
      const std::size_t row0 = std::size_t{r} * cols;
      for (std::uint32_t c = 0; c < cols; ++c) {
        open[c] = flat.mean[row0 + c] - (dark.frames > 0 ? dark.mean[row0 + c] : 0.f);
      }
      for (std::uint32_t c = 0; c < cols; ++c) {
        // open < t x median needs open < t x the largest neighbour: only then is the median looked at.
        const bool dead = !(open[c] > 0.f) || (open[c] < t * neighbour_extremes(open.data(), cols, c).high &&
                                               open[c] < t * Neighbours(open.data(), cols, c).median());
        if (dead) map.kinds[row0 + c] |= kDefectDead;
      }
    }
  }

  if (dark.frames > 0) {
    // Excess: dark above the median of its row neighbours, counts; its spread from strided samples.
    const auto excess = [&](std::size_t k) {
      const float* row = dark.mean + (k / cols) * cols;
      const auto c = static_cast<std::uint32_t>(k % cols);
      return row[c] - Neighbours(row, cols, c).median();
    };
    const RobustSpread spread = robust_spread(strided_samples(pixels, excess));
    const float limit = spread.centre + detection.hot_threshold * spread.sigma;
    for (std::uint32_t r = 0; r < rows; ++r) {
      const float* row = dark.mean + std::size_t{r} * cols;
      for (std::uint32_t c = 0; c < cols; ++c) {
        // The excess over the median is at most the excess over the smallest neighbour.
        if (row[c] - neighbour_extremes(row, cols, c).low > limit &&
            row[c] - Neighbours(row, cols, c).median() > limit) {
          map.kinds[std::size_t{r} * cols + c] |= kDefectHot;
        }
      }
    }
  }

  mark_noisy(dark, pixels, detection.noisy_threshold, map.kinds);
  mark_noisy(flat, pixels, detection.noisy_threshold, map.kinds);
  return map;
}

std::vector<std::uint32_t> repair_group_offsets(std::span<const PixelRepair> repairs, std::uint32_t cols,
                                                std::uint32_t rows_per_group, std::uint32_t groups) {
  std::vector<std::uint32_t> begin(std::size_t{groups} + 1);
  std::uint32_t k = 0;
  for (std::uint32_t g = 0; g <= groups; ++g) {
    const std::uint64_t first_pixel = std::uint64_t{g} * rows_per_group * cols;
    while (k < repairs.size() && repairs[k].pixel < first_pixel) ++k;
    begin[g] = k;
  }
  return begin;
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
