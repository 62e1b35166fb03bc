#include "tomolive/kernels/center_estimation.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include "fftw_handles.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {
namespace {

// --- Registration ---

// Columns tapered at each end of a row by the apodizing window: cols / kTaperDivisor (at least 1).
constexpr std::uint32_t kTaperDivisor = 16;
// Sub-pixel refinement: the band-limited correlation is evaluated over (peak - 1, peak + 1) at this step (pixels of
// shift), then a parabola goes through the best sample and its two neighbours.
constexpr double kRefineStep = 1.0 / 32.0;
// Pairs whose offsets spread by this much (RMS, pixels) get agreement 1/2 (Q4's tolerance).
constexpr double kAgreementScalePx = 0.25;
// Lags within this many pixels of the correlation peak belong to its main lobe (the Hann-weighted peak is a few
// pixels wide); the others are side lobes.
constexpr std::int64_t kMainLobeHalfWidth = 3;
// Peak-to-side-lobe ratio that gives sharpness 1/2: the largest of ~2 cols lags of pure noise stands about 3.5
// standard deviations out (sharpness 0.1), a phantom's peak 20 or more (sharpness >= 0.8).
constexpr double kSidelobeRatioScale = 10.0;

// Tukey window over the columns: 1 in the middle, a raised cosine over `taper` columns at each end, symmetric
// (w[j] == w[cols - 1 - j]), so that mirroring a row does not change its window.
std::vector<double> column_window(std::uint32_t cols) {
  std::vector<double> w(cols, 1.0);
  const std::uint32_t taper = std::max<std::uint32_t>(1, cols / kTaperDivisor);
  for (std::uint32_t j = 0; j < std::min(taper, cols); ++j) {
    const double v = 0.5 * (1.0 - std::cos(std::numbers::pi * (static_cast<double>(j) + 0.5) / taper));
    w[j] = std::min(w[j], v);
    w[cols - 1 - j] = std::min(w[cols - 1 - j], v);
  }
  return w;
}

// The cross-power spectrum of a pair (or a sum of pairs) and the energies of both sides, over the padded_ / 2 + 1
// bins of a real FFT; the spectral weight is already applied to all three.
struct CrossSpectrum {
  std::vector<std::complex<double>> bins;
  double energy_first = 0.0;
  double energy_second = 0.0;

  void add(const CrossSpectrum& other) {
    for (std::size_t m = 0; m < bins.size(); ++m) bins[m] += other.bins[m];
    energy_first += other.energy_first;
    energy_second += other.energy_second;
  }
};

// Correlation c(x) = sum_j B(j) A(j + x) of the rows behind a CrossSpectrum (A = first, B = second mirrored, both
// windowed, mean-free and weighted), as the band-limited interpolant of the inverse DFT: defined for any real shift x
// (pixels) and equal to the circular correlation at integer x.
class Correlation {
 public:
  explicit Correlation(const CrossSpectrum& spectrum, std::uint32_t padded)
      : spectrum_(spectrum), padded_(padded) {}

  double at(double x) const {
    const std::size_t bins = spectrum_.bins.size();
    const double phase = 2.0 * std::numbers::pi * x / padded_;
    const std::complex<double> step(std::cos(phase), std::sin(phase));
    std::complex<double> rotor(1.0, 0.0);
    double sum = 0.0;
    for (std::size_t m = 0; m < bins; ++m) {
      // Half-spectrum of a real signal: interior bins stand for themselves and their conjugates.
      const double fold = (m == 0 || m + 1 == bins) ? 1.0 : 2.0;
      sum += fold * (spectrum_.bins[m] * rotor).real();
      rotor *= step;
      if (m % 64 == 63) rotor /= std::abs(rotor);  // keep the recurrence on the unit circle
    }
    return sum / padded_;
  }

 private:
  const CrossSpectrum& spectrum_;
  std::uint32_t padded_;
};

struct Peak {
  double shift_px = 0.0;
  double value = 0.0;
  // (integer peak - mean of the side lobes) / their standard deviation, the side lobes being every integer lag in
  // [-(cols - 1), cols - 1] farther than kMainLobeHalfWidth from the integer peak; 0 when they do not vary.
  double sidelobe_ratio = 0.0;
};

// Registration of one pair, or of all pairs summed: the inverse FFT finds the best integer shift in
// [-(cols - 1), cols - 1]; the band-limited correlation is then sampled at kRefineStep around it and a parabola
// through the best sample and its neighbours gives the sub-pixel shift.
class PeakFinder {
 public:
  explicit PeakFinder(std::uint32_t cols)
      : cols_(cols),
        padded_(padded_length(cols)),
        spectrum_(detail::fftw_alloc_array<std::complex<float>>(padded_ / 2 + 1)),
        output_(detail::fftw_alloc_array<float>(padded_)) {
    int n = static_cast<int>(padded_);
    const std::lock_guard lock(fftw_planner_mutex());
    inverse_.reset(fftwf_plan_many_dft_c2r(1, &n, 1, detail::as_fftw(spectrum_.get()), nullptr, 1, 0,
                                           output_.get(), nullptr, 1, 0, FFTW_ESTIMATE));
    if (!inverse_) throw std::bad_alloc();
  }

  Peak find(const CrossSpectrum& spectrum) {
    const std::size_t bins = padded_ / 2 + 1;
    for (std::size_t m = 0; m < bins; ++m) spectrum_[m] = std::complex<float>(spectrum.bins[m]);
    fftwf_execute(inverse_.get());
    const auto lag_value = [&](std::int64_t k) {
      return output_[static_cast<std::size_t>(k < 0 ? k + std::int64_t{padded_} : k)];
    };
    std::int64_t best = 0;
    for (std::int64_t k = -std::int64_t{cols_} + 1; k < std::int64_t{cols_}; ++k) {
      if (lag_value(k) > lag_value(best)) best = k;
    }

    const Correlation correlation(spectrum, padded_);
    const int half = static_cast<int>(std::lround(1.0 / kRefineStep));
    std::vector<double> samples(2 * half + 1);
    int best_sample = half;
    for (int i = 0; i <= 2 * half; ++i) {
      samples[i] = correlation.at(static_cast<double>(best) + (i - half) * kRefineStep);
      if (samples[i] > samples[best_sample]) best_sample = i;
    }
    double delta = 0.0;
    if (best_sample > 0 && best_sample < 2 * half) {
      const double left = samples[best_sample - 1], mid = samples[best_sample], right = samples[best_sample + 1];
      const double curvature = left - 2.0 * mid + right;
      if (curvature < 0.0) delta = std::clamp(0.5 * (left - right) / curvature, -0.5, 0.5);
    }
    const double shift = static_cast<double>(best) + (best_sample - half + delta) * kRefineStep;
    double n = 0.0, sum = 0.0, sum_squares = 0.0;
    for (std::int64_t k = -std::int64_t{cols_} + 1; k < std::int64_t{cols_}; ++k) {
      if (std::abs(k - best) <= kMainLobeHalfWidth) continue;
      const double v = lag_value(k);
      n += 1.0, sum += v, sum_squares += v * v;
    }
    double ratio = 0.0;
    if (n >= 2.0) {
      const double mean = sum / n;
      const double deviation = std::sqrt(std::max(0.0, sum_squares / n - mean * mean));
      if (deviation > 0.0) ratio = (lag_value(best) - mean) / deviation;
    }
    return {shift, correlation.at(shift), ratio};
  }

 private:
  std::uint32_t cols_;
  std::uint32_t padded_;
  detail::FftwArray<std::complex<float>> spectrum_;
  detail::FftwArray<float> output_;
  detail::FftwPlan inverse_;
};

// Builds the weighted cross-power spectrum of one pair, row by row: each row is made mean-free, windowed,
// zero-padded to padded_length(cols) (no wrap-around for shifts up to cols - 1) and transformed. The spectral weight
// is a Hann low-pass, cos^2(pi f / 2) over f = 0 .. 1 (Nyquist): the ramp filter amplifies noise in proportion to
// frequency, and the weight takes the noisiest bins out while keeping the correlation peak sharp.
class PairSpectrum {
 public:
  explicit PairSpectrum(std::uint32_t cols)
      : cols_(cols),
        padded_(padded_length(cols)),
        window_(column_window(cols)),
        weight_(padded_ / 2 + 1),
        input_(detail::fftw_alloc_array<float>(2 * std::size_t{padded_})),
        spectra_(detail::fftw_alloc_array<std::complex<float>>(2 * (std::size_t{padded_} / 2 + 1))) {
    const std::size_t bins = padded_ / 2 + 1;
    for (std::size_t m = 0; m < bins; ++m) {
      const double c = std::cos(0.5 * std::numbers::pi * static_cast<double>(m) / static_cast<double>(bins - 1));
      weight_[m] = c * c;
    }
    int n = static_cast<int>(padded_);
    const int real_dist = static_cast<int>(padded_);
    const int complex_dist = static_cast<int>(bins);
    const std::lock_guard lock(fftw_planner_mutex());
    forward_.reset(fftwf_plan_many_dft_r2c(1, &n, 2, input_.get(), nullptr, 1, real_dist,
                                           detail::as_fftw(spectra_.get()), nullptr, 1, complex_dist,
                                           FFTW_ESTIMATE));
    if (!forward_) throw std::bad_alloc();
  }

  CrossSpectrum compute(const OpposedPair& pair, std::uint32_t rows) {
    const std::size_t bins = padded_ / 2 + 1;
    CrossSpectrum out;
    out.bins.assign(bins, {0.0, 0.0});
    float* first = input_.get();
    float* mirrored = input_.get() + padded_;
    const std::complex<float>* first_spectrum = spectra_.get();
    const std::complex<float>* mirrored_spectrum = spectra_.get() + bins;
    for (std::uint32_t r = 0; r < rows; ++r) {
      const float* a = pair.first.data() + std::size_t{r} * cols_;
      const float* b = pair.second.data() + std::size_t{r} * cols_;
      double mean_a = 0.0, mean_b = 0.0;
      for (std::uint32_t j = 0; j < cols_; ++j) mean_a += a[j], mean_b += b[j];
      mean_a /= cols_;
      mean_b /= cols_;
      for (std::uint32_t j = 0; j < cols_; ++j) {
        first[j] = static_cast<float>(window_[j] * (a[j] - mean_a));
        mirrored[j] = static_cast<float>(window_[j] * (b[cols_ - 1 - j] - mean_b));
      }
      // Beyond cols the input stays zero (from fftw_alloc_array; the r2c transform does not write its input).
      fftwf_execute(forward_.get());
      for (std::size_t m = 0; m < bins; ++m) {
        const std::complex<double> fa(first_spectrum[m]);
        const std::complex<double> fb(mirrored_spectrum[m]);
        const double fold = (m == 0 || m + 1 == bins) ? 1.0 : 2.0;
        out.bins[m] += weight_[m] * std::conj(fb) * fa;
        out.energy_first += fold * weight_[m] * std::norm(fa);
        out.energy_second += fold * weight_[m] * std::norm(fb);
      }
    }
    // Energies as sum_j x(j)^2 of the weighted rows (Parseval: the unnormalised DFT carries a factor padded).
    out.energy_first /= padded_;
    out.energy_second /= padded_;
    return out;
  }

 private:
  std::uint32_t cols_;
  std::uint32_t padded_;
  std::vector<double> window_;
  std::vector<double> weight_;
  detail::FftwArray<float> input_;              // two rows of padded_: first, then second mirrored
  detail::FftwArray<std::complex<float>> spectra_;
  detail::FftwPlan forward_;
};

// --- Half-acquisition registration ---

// Shift grid of the coarse search and the refinement around its best point, pixels of shift (twice the offset).
constexpr double kOverlapGridPx = 0.5;
constexpr double kOverlapRefineStepPx = 1.0 / 32.0;

// Row derivatives of every pair, and the pooled Pearson correlation of first's with second's mirrored at a shift.
class OverlapCorrelation {
 public:
  OverlapCorrelation(std::span<const OpposedPair> pairs, std::uint32_t rows, std::uint32_t cols)
      : length_(cols - 1), min_overlap_(std::max<std::uint32_t>(8, cols / 16)) {
    for (const OpposedPair& pair : pairs) {
      for (std::uint32_t r = 0; r < rows; ++r) {
        rows_.push_back({derivative(pair.first, r, cols), derivative(pair.second, r, cols)});
      }
    }
  }

  // The correlation of d_first(j) with -d_second(length - 1 - j + shift) (first(x) = second(2 a - x), so the
  // derivatives are mirror images with opposite signs), linearly interpolated, pooled over rows and pairs; nullopt
  // when fewer than min_overlap columns overlap.
  std::optional<double> at(double shift) const {
    // Columns j with k = length - 1 - j + shift in [0, length - 1].
    const double last = static_cast<double>(length_) - 1.0;
    const double j_begin = std::max(0.0, std::ceil(shift));
    const double j_end = std::min(last, std::floor(last + shift));  // inclusive
    if (!(j_end - j_begin + 1.0 >= static_cast<double>(min_overlap_))) return std::nullopt;
    double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (const auto& [first, second] : rows_) {
      for (auto j = static_cast<std::uint32_t>(j_begin); j <= static_cast<std::uint32_t>(j_end); ++j) {
        const double k = last - j + shift;
        const auto k0 = static_cast<std::uint32_t>(std::min(std::floor(k), last));
        const double t = k - k0;
        const double below = second[k0];
        const double above = k0 + 1 < length_ ? second[k0 + 1] : below;
        const double x = first[j];
        const double y = -(below + t * (above - below));
        n += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
      }
    }
    const double spread = (n * sxx - sx * sx) * (n * syy - sy * sy);
    if (!(spread > 0.0)) return std::nullopt;
    return (n * sxy - sx * sy) / std::sqrt(spread);
  }

 private:
  // d(j) = s(j + 1) - s(j) of the row, first despiked (each value the median of itself and its two neighbours), then
  // smoothed by the binomial kernel [1 4 6 4 1] / 16 (indices clamped at the ends): a derivative that does not amplify
  // pixel noise above a quarter of the sampling frequency. The median of 3 removes single defective pixels (dead ones
  // clamped to a large attenuation, hot ones reading the open beam): they sit at the same detector column in both
  // projections of a pair, unlike the object, which is mirrored, and their spikes would pull the correlation towards
  // the shifts that overlap them (0.45 px off on tomolive-sim's detector). It leaves monotone runs unchanged.
  static std::vector<double> derivative(std::span<const float> projection, std::uint32_t row, std::uint32_t cols) {
    const float* p = projection.data() + std::size_t{row} * cols;
    const auto raw = [&](std::int64_t j) {
      return static_cast<double>(p[std::clamp<std::int64_t>(j, 0, std::int64_t{cols} - 1)]);
    };
    std::vector<double> despiked(cols);
    for (std::int64_t j = 0; j < cols; ++j) {
      const double a = raw(j - 1), b = raw(j), c = raw(j + 1);
      despiked[j] = std::max(std::min(a, b), std::min(std::max(a, b), c));
    }
    const auto at = [&](std::int64_t j) { return despiked[std::clamp<std::int64_t>(j, 0, std::int64_t{cols} - 1)]; };
    std::vector<double> smooth(cols);
    for (std::int64_t j = 0; j < cols; ++j) {
      smooth[j] = (at(j - 2) + 4.0 * at(j - 1) + 6.0 * at(j) + 4.0 * at(j + 1) + at(j + 2)) / 16.0;
    }
    std::vector<double> d(cols - 1);
    for (std::uint32_t j = 0; j + 1 < cols; ++j) d[j] = smooth[j + 1] - smooth[j];
    return d;
  }

  std::uint32_t length_;  // values per derivative row
  std::uint32_t min_overlap_;
  std::vector<std::pair<std::vector<double>, std::vector<double>>> rows_;
};

// --- Metric ---

constexpr std::size_t kHistogramBins = 256;
// The histogram's range: from this quantile of the image's values to 1 minus it; values beyond go to the end bins.
constexpr double kRangeQuantile = 0.01;
// Largest number of candidates of one sweep call: what an engine's sweep_center takes.
constexpr std::size_t kMaxCandidates = kMaxSweepCandidates;
// The passes reconstruct a band of the region's middle rows: rows / kCoarseBandDivisor for the coarse pass,
// rows / kRefineBandDivisor for the refine pass, rows / kFitBandDivisor for the fit pass, each at least
// kMinBandRows (or all rows). Metric values are compared within a pass only: bands differ between passes.
constexpr std::uint32_t kCoarseBandDivisor = 8;
constexpr std::uint32_t kRefineBandDivisor = 4;
constexpr std::uint32_t kFitBandDivisor = 2;
constexpr std::uint32_t kMinBandRows = 16;
// The fit pass: candidates kFitStepPx apart over +-kFitSpanPx around the best refine candidate; a refine pass runs
// first when the coarse step is larger than kFitSpanPx / 2 (the fit pass must hold the truth well inside).
constexpr double kFitStepPx = 0.25;
constexpr double kFitSpanPx = 2.0;
// The parabola is fitted to the fit pass's candidates within +-kFitHalfWidthPx of its vertex, re-centred
// kFitIterations times: within about half a pixel of the truth the metric follows the interpolation phase of the axis
// as much as the blur (over 360 degrees above all: two dips +-0.4 px around the truth); a fit over +-1.5 px follows
// the blur and averages the phase out, and re-centring removes the pull towards the first window's centre.
constexpr double kFitHalfWidthPx = 1.5;
constexpr int kFitIterations = 4;
// Confidence = t^2 / (t^2 + kCurvatureT^2), t the fitted curvature over its standard error: 1/2 at t = 8 (the
// metric of a featureless sample, only noise, gives t up to about 3: its neighbouring candidates are alike, so its
// residuals are correlated).
constexpr double kCurvatureT = 8.0;

struct Scored {
  double offset = 0.0;
  double metric = 0.0;
};

// Reconstructs and scores `offsets` over `region` (at most kMaxCandidates per sweep call).
std::vector<Scored> score(const CenterSweep& sweep, std::span<const float> offsets, const SliceRegion& region,
                          std::vector<float>& images) {
  const std::size_t pixels = std::size_t{region.rows} * region.cols;
  std::vector<Scored> scored;
  scored.reserve(offsets.size());
  for (std::size_t first = 0; first < offsets.size(); first += kMaxCandidates) {
    const std::size_t count = std::min(kMaxCandidates, offsets.size() - first);
    images.resize(count * pixels);
    sweep(offsets.subspan(first, count), region, images);
    for (std::size_t c = 0; c < count; ++c) {
      const std::span<const float> image(images.data() + c * pixels, pixels);
      scored.push_back({offsets[first + c], center_metric(image)});
    }
  }
  return scored;
}

std::vector<float> evenly_spaced(double from, double to, std::size_t count) {
  std::vector<float> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double t = count > 1 ? static_cast<double>(i) / static_cast<double>(count - 1) : 0.5;
    values[i] = static_cast<float>(from + t * (to - from));
  }
  return values;
}

// The middle rows of `region`: rows / divisor of them, at least kMinBandRows (or all).
SliceRegion middle_band(const SliceRegion& region, std::uint32_t divisor) {
  const std::uint32_t rows = std::min(region.rows, std::max(kMinBandRows, region.rows / divisor));
  return {region.row0 + (region.rows - rows) / 2, region.col0, rows, region.cols};
}

// The candidates of one pass: `count` evenly spaced over [centre - span, centre + span].
struct PassPlan {
  double span = 0.0;
  std::size_t count = 0;
};

// The passes' schedule, fixed by max_offset_px alone: the coarse pass, an optional refine pass, the fit pass.
struct MetricSchedule {
  PassPlan coarse;
  std::optional<PassPlan> refine;
  PassPlan fit;

  explicit MetricSchedule(double max_offset_px) {
    coarse = {max_offset_px, kMaxCandidates};
    const double coarse_step = 2.0 * max_offset_px / static_cast<double>(kMaxCandidates - 1);
    if (coarse_step > 0.5 * kFitSpanPx) {
      // +-one coarse step at an eighth of it (no finer than the fit step): the best lands within half a refine step.
      const double step = std::max(coarse_step / 8.0, kFitStepPx);
      refine = PassPlan{coarse_step, std::min(kMaxCandidates, static_cast<std::size_t>(std::ceil(2.0 * coarse_step /
                                                                                                  step - 1e-9)) + 1)};
    }
    fit = {kFitSpanPx, static_cast<std::size_t>(std::lround(2.0 * kFitSpanPx / kFitStepPx)) + 1};
  }
  std::uint32_t candidates() const {
    return static_cast<std::uint32_t>(coarse.count + (refine ? refine->count : 0) + fit.count);
  }
};

// A least-squares parabola metric = a + b x + c x^2 through the candidates within +-kFitHalfWidthPx of `centre`
// (x = offset - centre), and t = c over its standard error (infinite for an exact fit with c > 0).
struct Parabola {
  double vertex = 0.0;  // offset, px; meaningful when curvature > 0
  double curvature = 0.0;
  double t = 0.0;
  bool valid = false;  // at least 4 points, the normal equations solvable, opening upward
};

Parabola fit_parabola(const std::vector<Scored>& pass, double centre) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, t0 = 0, t1 = 0, t2 = 0;
  for (const Scored& c : pass) {
    const double x = c.offset - centre;
    if (std::fabs(x) > kFitHalfWidthPx + 1e-6) continue;
    s0 += 1, s1 += x, s2 += x * x, s3 += x * x * x, s4 += x * x * x * x;
    t0 += c.metric, t1 += x * c.metric, t2 += x * x * c.metric;
  }
  // Normal equations, solved by Cramer's rule.
  const auto det3 = [](double a11, double a12, double a13, double a21, double a22, double a23, double a31, double a32,
                       double a33) {
    return a11 * (a22 * a33 - a23 * a32) - a12 * (a21 * a33 - a23 * a31) + a13 * (a21 * a32 - a22 * a31);
  };
  const double det = det3(s0, s1, s2, s1, s2, s3, s2, s3, s4);
  Parabola p;
  if (s0 < 4 || !(std::fabs(det) > 0.0)) return p;
  const double a = det3(t0, s1, s2, t1, s2, s3, t2, s3, s4) / det;
  const double b = det3(s0, t0, s2, s1, t1, s3, s2, t2, s4) / det;
  const double c = det3(s0, s1, t0, s1, s2, t1, s2, s3, t2) / det;
  double residual = 0.0;
  for (const Scored& q : pass) {
    const double x = q.offset - centre;
    if (std::fabs(x) > kFitHalfWidthPx + 1e-6) continue;
    const double r = q.metric - (a + b * x + c * x * x);
    residual += r * r;
  }
  // Var(c) = sigma^2 [(X^T X)^-1]_22, the cofactor of s4 over det; sigma^2 = residual / (n - 3).
  const double variance = residual / (s0 - 3.0) * (s0 * s2 - s1 * s1) / det;
  p.curvature = c;
  p.valid = c > 0.0;
  p.vertex = p.valid ? centre - b / (2.0 * c) : centre;
  p.t = variance > 0.0 ? c / std::sqrt(variance) : (c > 0.0 ? std::numeric_limits<double>::infinity() : 0.0);
  return p;
}

}  // namespace

std::optional<CenterEstimate> estimate_center_by_registration(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                              std::uint32_t cols) {
  if (pairs.empty()) return std::nullopt;
  const std::size_t values = std::size_t{rows} * cols;
  if (rows == 0 || cols < 2) {
    throw std::invalid_argument("estimate_center_by_registration: rows " + std::to_string(rows) + " and cols " +
                                std::to_string(cols) + " must be >= 1 and >= 2");
  }
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    if (pairs[p].first.size() != values || pairs[p].second.size() != values) {
      throw std::invalid_argument("estimate_center_by_registration: pair " + std::to_string(p) + " holds " +
                                  std::to_string(pairs[p].first.size()) + " and " +
                                  std::to_string(pairs[p].second.size()) + " values, expected rows * cols = " +
                                  std::to_string(values));
    }
  }

  PairSpectrum pair_spectrum(cols);
  PeakFinder peak_finder(cols);
  CrossSpectrum total;
  total.bins.assign(padded_length(cols) / 2 + 1, {0.0, 0.0});
  std::vector<double> pair_offsets;
  pair_offsets.reserve(pairs.size());
  for (const OpposedPair& pair : pairs) {
    const CrossSpectrum spectrum = pair_spectrum.compute(pair, rows);
    if (!(spectrum.energy_first > 0.0) || !(spectrum.energy_second > 0.0)) continue;  // a blank pair: no information
    pair_offsets.push_back(0.5 * peak_finder.find(spectrum).shift_px);
    total.add(spectrum);
  }
  if (pair_offsets.empty()) {
    return CenterEstimate{0.0, 0.0, 0};
  }

  const Peak peak = peak_finder.find(total);
  const double offset = 0.5 * peak.shift_px;
  const double ratio = std::max(0.0, peak.sidelobe_ratio);
  const double sharpness = ratio * ratio / (ratio * ratio + kSidelobeRatioScale * kSidelobeRatioScale);
  double spread = 0.0;
  for (const double o : pair_offsets) spread += (o - offset) * (o - offset);
  spread = std::sqrt(spread / static_cast<double>(pair_offsets.size()));
  const double agreement = 1.0 / (1.0 + (spread / kAgreementScalePx) * (spread / kAgreementScalePx));
  return CenterEstimate{offset, sharpness * agreement, static_cast<std::uint32_t>(pair_offsets.size())};
}

std::optional<CenterEstimate> estimate_half_acquisition_center(std::span<const OpposedPair> pairs, std::uint32_t rows,
                                                               std::uint32_t cols, double prior_offset_px,
                                                               double range_px) {
  if (rows == 0 || cols < 16 || !(std::isfinite(range_px) && range_px > 0.0) || !std::isfinite(prior_offset_px)) {
    throw std::invalid_argument("estimate_half_acquisition_center: rows " + std::to_string(rows) + ", cols " +
                                std::to_string(cols) + ", prior " + std::to_string(prior_offset_px) + " px, range " +
                                std::to_string(range_px) +
                                " px: expected rows >= 1, cols >= 16, a finite prior and a range > 0");
  }
  const std::size_t values = std::size_t{rows} * cols;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    if (pairs[p].first.size() != values || pairs[p].second.size() != values) {
      throw std::invalid_argument("estimate_half_acquisition_center: pair " + std::to_string(p) + " holds " +
                                  std::to_string(pairs[p].first.size()) + " and " +
                                  std::to_string(pairs[p].second.size()) + " values, expected rows * cols = " +
                                  std::to_string(values));
    }
  }
  if (pairs.empty()) return std::nullopt;

  const OverlapCorrelation correlation(pairs, rows, cols);
  struct Sample {
    double shift = 0.0;
    double value = -std::numeric_limits<double>::infinity();
  };
  const auto best_of = [&](double from, double to, double step) {
    Sample best;
    const auto steps = static_cast<std::int64_t>(std::floor((to - from) / step + 1e-9));
    for (std::int64_t i = 0; i <= steps; ++i) {
      const double shift = from + static_cast<double>(i) * step;
      const std::optional<double> value = correlation.at(shift);
      if (value && *value > best.value) best = {shift, *value};
    }
    return best;
  };
  const Sample coarse = best_of(2.0 * (prior_offset_px - range_px), 2.0 * (prior_offset_px + range_px),
                                kOverlapGridPx);
  if (!std::isfinite(coarse.value)) return std::nullopt;
  const Sample fine = best_of(coarse.shift - kOverlapGridPx, coarse.shift + kOverlapGridPx, kOverlapRefineStepPx);
  double shift = fine.shift;
  const std::optional<double> left = correlation.at(fine.shift - kOverlapRefineStepPx);
  const std::optional<double> right = correlation.at(fine.shift + kOverlapRefineStepPx);
  if (left && right) {
    const double curvature = *left - 2.0 * fine.value + *right;
    if (curvature < 0.0) shift += 0.5 * kOverlapRefineStepPx * (*left - *right) / curvature;
  }
  return CenterEstimate{0.5 * shift, std::clamp(fine.value, 0.0, 1.0), static_cast<std::uint32_t>(pairs.size())};
}

double center_metric(std::span<const float> image) {
  std::vector<float> finite;
  finite.reserve(image.size());
  for (const float v : image) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  if (finite.empty()) return 0.0;
  // The histogram spans the image's own robust range, its kRangeQuantile and 1 - kRangeQuantile quantiles: the
  // extremes (a few streak or noise pixels) move from candidate to candidate and would rescale every bin.
  const auto quantile = [&](double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(finite.size() - 1));
    std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(k), finite.end());
    return static_cast<double>(finite[k]);
  };
  const double lo = quantile(kRangeQuantile);
  const double hi = quantile(1.0 - kRangeQuantile);
  if (!(hi > lo)) return 0.0;
  std::vector<std::size_t> counts(kHistogramBins, 0);
  const double scale = static_cast<double>(kHistogramBins) / (hi - lo);
  for (const float v : finite) {
    const double position = std::clamp((static_cast<double>(v) - lo) * scale, 0.0, kHistogramBins - 1.0);
    ++counts[static_cast<std::size_t>(position)];
  }
  double entropy = 0.0;
  for (const std::size_t n : counts) {
    if (n == 0) continue;
    const double p = static_cast<double>(n) / static_cast<double>(finite.size());
    entropy -= p * std::log2(p);
  }
  return entropy;
}

CenterEstimate estimate_center_by_metric(const CenterSweep& sweep, const SliceRegion& region, double max_offset_px,
                                         const MetricProgress& progress) {
  if (region.rows == 0 || region.cols == 0) {
    throw std::invalid_argument("estimate_center_by_metric: the region " + std::to_string(region.rows) + " x " +
                                std::to_string(region.cols) + " (rows x cols) is empty");
  }
  if (!(max_offset_px > 0.0) || !std::isfinite(max_offset_px)) {
    throw std::invalid_argument("estimate_center_by_metric: max_offset_px " + std::to_string(max_offset_px) +
                                " must be positive and finite");
  }
  const MetricSchedule schedule(max_offset_px);
  std::vector<float> images;
  std::uint32_t samples = 0;
  const auto by_metric = [](const Scored& a, const Scored& b) { return a.metric < b.metric; };
  // One pass: its candidates around `centre` on `band`, the progress reported after it; returns its best.
  const auto run_pass = [&](const PassPlan& plan, double centre, const SliceRegion& band, std::vector<Scored>& out) {
    out = score(sweep, evenly_spaced(centre - plan.span, centre + plan.span, plan.count), band, images);
    samples += static_cast<std::uint32_t>(out.size());
    if (progress) progress(samples, schedule.candidates());
    return *std::min_element(out.begin(), out.end(), by_metric);
  };

  if (progress) progress(0, schedule.candidates());
  std::vector<Scored> pass;
  Scored best = run_pass(schedule.coarse, 0.0, middle_band(region, kCoarseBandDivisor), pass);
  if (schedule.refine) best = run_pass(*schedule.refine, best.offset, middle_band(region, kRefineBandDivisor), pass);
  const double fit_centre = best.offset;
  best = run_pass(schedule.fit, fit_centre, middle_band(region, kFitBandDivisor), pass);

  // Sub-pixel: the parabola through the fit pass's candidates around its vertex, re-centred on the vertex (the
  // window stays inside the fit pass). Without a valid parabola the best candidate stands, confidence 0.
  const double lowest = fit_centre - kFitSpanPx + kFitHalfWidthPx;
  const double highest = fit_centre + kFitSpanPx - kFitHalfWidthPx;
  double centre = best.offset;
  Parabola parabola;
  for (int i = 0; i < kFitIterations; ++i) {
    parabola = fit_parabola(pass, centre);
    if (!parabola.valid) break;
    centre = std::clamp(parabola.vertex, lowest, highest);
  }
  const bool inside = parabola.valid && std::fabs(parabola.vertex - fit_centre) <= kFitSpanPx;
  if (!inside) return CenterEstimate{best.offset, 0.0, samples};
  const double t2 = parabola.t * parabola.t;
  const double confidence = std::isinf(t2) ? 1.0 : t2 / (t2 + kCurvatureT * kCurvatureT);
  return CenterEstimate{parabola.vertex, confidence, samples};
}

}  // namespace tomolive::kernels
