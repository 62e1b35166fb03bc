#include "tomolive/sim/detector.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "counter_random.hpp"

namespace tomolive::sim {
namespace {

using protocol::FrameKind;

// Fixed-pattern magnitudes (see detector.hpp).
constexpr double kDarkPatternSigmaCounts = 3.0;
constexpr double kColumnGainSigma = 0.03;
constexpr double kPixelGainSigma = 0.01;
constexpr double kMinGain = 0.5;
// Beam profile: a Gaussian peaking at this fraction of the height/width, falling to these values at the edges.
constexpr double kBeamPeakRow = 0.48, kBeamPeakCol = 0.53;
constexpr double kBeamAtRowEdge = 0.75, kBeamAtColEdge = 0.85;
// Below this mean, photon counts are drawn exactly; above, from the normal approximation.
constexpr double kExactPoissonBelow = 30.0;
constexpr std::uint32_t kPixelsPerDefect = 16384;

// Labels that separate the random streams derived from the seed.
enum Stream : std::uint64_t { dark_pattern = 100, column_gain, pixel_gain, defects, frame_normal = 200, frame_uniform };

// Exact Poisson sample by inversion (sequential search) from a uniform u in (0, 1); mean < kExactPoissonBelow.
double poisson_by_inversion(double mean, double u) {
  double probability = std::exp(-mean);
  double cumulative = probability;
  double k = 0.0;
  while (u > cumulative && probability > 0.0) {
    k += 1.0;
    probability *= mean / k;
    cumulative += probability;
  }
  return k;
}

// Rounds to the nearest count (halves up) and clamps to the uint16 range.
std::uint16_t to_counts(double value) { return static_cast<std::uint16_t>(std::clamp(value, 0.0, 65535.0) + 0.5); }

double beam_profile(double t, double peak, double at_edge) {
  // t, peak in [0, 1] across the detector; the profile is at_edge at distance 1/2 from the peak.
  const double d = (t - peak) / 0.5;
  return std::exp(std::log(at_edge) * d * d);
}

}  // namespace

DetectorModel::DetectorModel(const DetectorConfig& config) : config_(config) {
  const std::uint64_t pixels = std::uint64_t{config.rows} * config.cols;
  const bool levels_ok = std::isfinite(config.photons) && config.photons >= 0.0 &&
                         std::isfinite(config.dark_level_counts) && config.dark_level_counts >= 0.0 &&
                         std::isfinite(config.read_noise_counts) && config.read_noise_counts >= 0.0;
  if (pixels == 0 || pixels >= (std::uint64_t{1} << 32) || !levels_ok) {
    throw std::invalid_argument("DetectorModel: expected 0 < rows * cols < 2^32 and finite, non-negative photons, "
                                "dark level and read noise; got " + std::to_string(config.rows) + " x " +
                                std::to_string(config.cols) + ", photons " + std::to_string(config.photons) +
                                ", dark " + std::to_string(config.dark_level_counts) + ", read noise " +
                                std::to_string(config.read_noise_counts));
  }
  const std::uint32_t rows = config.rows, cols = config.cols;
  const detail::CounterRandom dark_random(detail::derive_key(config.seed, Stream::dark_pattern));
  const detail::CounterRandom column_random(detail::derive_key(config.seed, Stream::column_gain));
  const detail::CounterRandom pixel_random(detail::derive_key(config.seed, Stream::pixel_gain));

  std::vector<double> column_gain(cols);
  for (std::uint32_t c = 0; c < cols; ++c) column_gain[c] = 1.0 + kColumnGainSigma * column_random.normal(c);

  dark_.resize(pixels);
  gain_.resize(pixels);
  const double row_span = rows > 1 ? static_cast<double>(rows - 1) : 1.0;
  const double col_span = cols > 1 ? static_cast<double>(cols - 1) : 1.0;
  for (std::uint32_t r = 0; r < rows; ++r) {
    const double row_profile = beam_profile(r / row_span, kBeamPeakRow, kBeamAtRowEdge);
    for (std::uint32_t c = 0; c < cols; ++c) {
      const std::uint64_t i = std::uint64_t{r} * cols + c;
      dark_[i] = static_cast<float>(config.dark_level_counts + kDarkPatternSigmaCounts * dark_random.normal(i));
      const double gain = column_gain[c] * (1.0 + kPixelGainSigma * pixel_random.normal(i)) * row_profile *
                          beam_profile(c / col_span, kBeamPeakCol, kBeamAtColEdge);
      gain_[i] = static_cast<float>(std::max(kMinGain, gain));
    }
  }

  defect_.assign(pixels, Defect::none);
  if (config.defects) {
    const std::uint64_t per_kind = std::min<std::uint64_t>(std::max<std::uint64_t>(2, pixels / kPixelsPerDefect),
                                                           pixels / 4);
    const detail::CounterRandom defect_random(detail::derive_key(config.seed, Stream::defects));
    for (std::uint64_t draw = 0; dead_.size() + hot_.size() < 2 * per_kind; ++draw) {
      const auto pixel = static_cast<std::uint32_t>(defect_random.bits(draw) % pixels);
      if (defect_[pixel] != Defect::none) continue;
      const bool dead = dead_.size() < per_kind;
      defect_[pixel] = dead ? Defect::dead : Defect::hot;
      (dead ? dead_ : hot_).push_back(pixel);
    }
    std::sort(dead_.begin(), dead_.end());
    std::sort(hot_.begin(), hot_.end());
  }
}

void DetectorModel::expose_row(FrameKind kind, std::uint64_t frame_id, std::uint32_t row,
                               std::span<const float> line_integrals, std::span<std::uint16_t> out) const {
  const std::uint32_t cols = config_.cols;
  const std::size_t expected_integrals = kind == FrameKind::projection ? cols : 0;
  if (row >= config_.rows || out.size() != cols || line_integrals.size() != expected_integrals) {
    throw std::invalid_argument("DetectorModel::expose_row: row " + std::to_string(row) + " of " +
                                std::to_string(config_.rows) + ", " + std::to_string(out.size()) + " outputs and " +
                                std::to_string(line_integrals.size()) + " line integrals; expected " +
                                std::to_string(cols) + " and " + std::to_string(expected_integrals));
  }
  const auto kind_label = static_cast<std::uint64_t>(kind);
  const detail::CounterRandom normal_random(detail::derive_key(config_.seed, Stream::frame_normal + 16 * kind_label,
                                                               frame_id));
  const detail::CounterRandom uniform_random(detail::derive_key(config_.seed, Stream::frame_uniform + 16 * kind_label,
                                                                frame_id));
  const std::uint64_t first = std::uint64_t{row} * cols;
  for (std::uint32_t c = 0; c < cols; ++c) {
    const std::uint64_t i = first + c;
    if (defect_[i] == Defect::hot) {
      out[c] = 65535;
      continue;
    }
    double mean = 0.0;
    if (kind != FrameKind::dark && defect_[i] != Defect::dead) {
      mean = config_.photons * gain_[i];
      if (kind == FrameKind::projection) mean *= std::exp(-static_cast<double>(line_integrals[c]));
    }
    double value = dark_[i] + mean;
    if (config_.noise) {
      double signal = 0.0;
      if (mean >= kExactPoissonBelow) {
        signal = std::max(0.0, mean + std::sqrt(mean) * normal_random.normal(2 * i + 1));
      } else if (mean > 0.0) {
        signal = poisson_by_inversion(mean, uniform_random.uniform(i));
      }
      value = dark_[i] + signal + config_.read_noise_counts * normal_random.normal(2 * i);
    }
    out[c] = to_counts(value);
  }
}

void DetectorModel::expose_frame(FrameKind kind, std::uint64_t frame_id, std::span<const float> line_integrals,
                                 std::span<std::uint16_t> out) const {
  const std::size_t cols = config_.cols;
  const std::size_t pixels = dark_.size();
  const std::size_t expected_integrals = kind == FrameKind::projection ? pixels : 0;
  if (out.size() != pixels || line_integrals.size() != expected_integrals) {
    throw std::invalid_argument("DetectorModel: frame of " + std::to_string(out.size()) + " pixels and " +
                                std::to_string(line_integrals.size()) + " line integrals; expected " +
                                std::to_string(pixels) + " and " + std::to_string(expected_integrals));
  }
  for (std::uint32_t r = 0; r < config_.rows; ++r) {
    const std::span<const float> row_integrals =
        line_integrals.empty() ? line_integrals : line_integrals.subspan(r * cols, cols);
    expose_row(kind, frame_id, r, row_integrals, out.subspan(r * cols, cols));
  }
}

void DetectorModel::dark(std::uint64_t frame_id, std::span<std::uint16_t> out) const {
  expose_frame(FrameKind::dark, frame_id, {}, out);
}

void DetectorModel::flat(std::uint64_t frame_id, std::span<std::uint16_t> out) const {
  expose_frame(FrameKind::flat, frame_id, {}, out);
}

void DetectorModel::projection(std::uint64_t frame_id, std::span<const float> line_integrals,
                               std::span<std::uint16_t> out) const {
  expose_frame(FrameKind::projection, frame_id, line_integrals, out);
}

}  // namespace tomolive::sim
