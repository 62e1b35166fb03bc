#include "tomolive/kernels/processing.hpp"

#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"

namespace tomolive::kernels {
namespace {

constexpr std::array<std::pair<FilterWindow, const char*>, 6> kWindowNames = {{
    {FilterWindow::ram_lak, "ram-lak"},
    {FilterWindow::shepp_logan, "shepp-logan"},
    {FilterWindow::cosine, "cosine"},
    {FilterWindow::hamming, "hamming"},
    {FilterWindow::hann, "hann"},
    {FilterWindow::parzen, "parzen"},
}};

void require_positive(double value, const char* what, const char* unit) {
  if (!(std::isfinite(value) && value > 0.0)) {
    throw EngineError(std::string(what) + " " + format_number(static_cast<float>(value)) + unit +
                      " must be a finite number > 0");
  }
}

}  // namespace

bool operator==(const ZingerFilter& a, const ZingerFilter& b) {
  return a.enabled == b.enabled && a.threshold == b.threshold;
}
bool operator==(const PhaseRetrieval& a, const PhaseRetrieval& b) {
  return a.enabled == b.enabled && a.energy_kev == b.energy_kev && a.distance_m == b.distance_m &&
         a.pixel_size_um == b.pixel_size_um && a.delta_over_beta == b.delta_over_beta;
}
bool operator==(const RingRemoval& a, const RingRemoval& b) { return a.enabled == b.enabled && a.size == b.size; }
bool operator==(const HalfAcquisition& a, const HalfAcquisition& b) {
  return a.enabled == b.enabled && a.detector_col0 == b.detector_col0 && a.detector_cols == b.detector_cols;
}
bool operator==(const ProcessingParams& a, const ProcessingParams& b) {
  return a.window == b.window && a.zingers == b.zingers && a.phase == b.phase && a.rings == b.rings &&
         a.defective_pixels == b.defective_pixels;
}

const char* window_name(FilterWindow window) {
  for (const auto& [value, name] : kWindowNames) {
    if (value == window) return name;
  }
  return "unknown";
}

std::optional<FilterWindow> parse_window(std::string_view name) {
  for (const auto& [value, known] : kWindowNames) {
    if (name == known) return value;
  }
  return std::nullopt;
}

void check_processing(const ProcessingParams& p) {
  // Parameters are checked whether or not their step is enabled, so that enabling a step never meets a bad value.
  require_positive(p.zingers.threshold, "zinger threshold", "");
  require_positive(p.phase.energy_kev, "phase retrieval energy", " keV");
  require_positive(p.phase.distance_m, "phase retrieval distance", " m");
  require_positive(p.phase.pixel_size_um, "phase retrieval pixel size", " um");
  require_positive(p.phase.delta_over_beta, "phase retrieval delta/beta", "");
  if (p.rings.size < 3 || p.rings.size > kMaxRingSize || p.rings.size % 2 == 0) {
    throw EngineError("ring removal size " + std::to_string(p.rings.size) + " must be odd, 3.." +
                      std::to_string(kMaxRingSize) + " pixels");
  }
  if (window_name(p.window) == std::string_view("unknown")) {
    throw EngineError("filter window " + std::to_string(static_cast<int>(p.window)) + " is not one of ram-lak, " +
                      "shepp-logan, cosine, hamming, hann, parzen");
  }
  check_defective_pixel_detection(p.defective_pixels);
}

void check_half_acquisition(const HalfAcquisition& half, std::uint32_t cols) {
  if (half.enabled &&
      (half.detector_cols == 0 || half.detector_col0 > cols || half.detector_cols > cols - half.detector_col0)) {
    throw EngineError("half acquisition: detector columns [" + std::to_string(half.detector_col0) + ", " +
                      std::to_string(std::uint64_t{half.detector_col0} + half.detector_cols) +
                      ") must be a non-empty range inside the frame's " + std::to_string(cols) + " columns");
  }
}

std::vector<float> half_acquisition_weights(const HalfAcquisition& half, std::uint32_t cols, float axis_col) {
  std::vector<float> weights(cols);
  for (std::uint32_t c = 0; c < cols; ++c) {
    weights[c] = half_acquisition_weight(static_cast<float>(c) - axis_col, axis_col, half.detector_col0,
                                         half.detector_cols);
  }
  return weights;
}

double paganin_reach_rows(const PhaseRetrieval& phase) {
  constexpr double pi = 3.14159265358979323846;
  return 5.0 * std::sqrt(paganin_coefficient_m2(phase)) / (2.0 * pi * phase.pixel_size_um * 1e-6);
}

}  // namespace tomolive::kernels
