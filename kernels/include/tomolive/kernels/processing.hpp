// Projection processing between flat-field correction and backprojection, shared by the CPU and CUDA engines:
// the FBP filter window, zinger removal, Paganin phase retrieval and ring removal (PROTOCOL.md 10.5).
//
// Every engine keeps two stores per scan: the corrected store (per slot, the attenuation A = -ln T of the
// flat-field-corrected transmission T, clamped as attenuation() in preprocess.hpp, with the scan's defective pixels
// repaired (defective_pixels.hpp), before any step below) and the
// filtered store it backprojects. A projection goes from the corrected to the filtered store through, in this order:
//   1. zingers (ZingerFilter): a pixel whose transmission differs from the median transmission of its 3 x 3
//      neighbourhood (indices clamped at the frame's edges) by more than threshold x that median is replaced by the
//      median. Since exp is monotone, in attenuation: m = median of the 9 A values; replace A by m when
//      |exp(m - A) - 1| > threshold (zinger_replaces below).
//   then, when the scan's axis tilt is corrected (ReconParams::axis_tilt_deg), the rotation of
//      axis_tilt_correction.hpp, which makes the axis vertical for the steps after it;
//   2. phase (PhaseRetrieval, Paganin et al. 2002, single material): T = exp(-A) is padded to
//      padded_length(rows) x padded_length(cols) (ramp_filter.hpp) by repeating the nearest edge pixel, transformed
//      (2D FFT), multiplied by paganin_response(f_row, f_col) (frequencies in cycles per metre: k / (padded * pixel
//      size), k the signed FFT index), transformed back and cropped; then A = -ln(max(T, kMinTransmission)).
//   3. rings (RingRemoval, Vo, Atwood & Drakopoulos 2018, "sorting-based" stripe removal, their algorithm 3): for
//      each detector row, the sinogram of the stored projections (slots in increasing order) has each column sorted
//      by value (ties keep slot order), each rank's row of the sorted sinogram median-filtered across `size` columns
//      (indices clamped at the edges), and the values put back where they came from. This needs every stored
//      projection, so it runs over the whole store on every re-filter; a projection that arrives later gets the
//      per-(row, column) offset of the last pass instead: the mean over that pass's projections of (after - before).
//      Before the first pass of a scan the offset is zero.
//   4. half acquisition (HalfAcquisition, 360 deg scans with the rotation axis near one edge of the detector): every
//      column c is multiplied by half_acquisition_weight() of u = c - axis, axis = (cols - 1) / 2 + center offset,
//      so that each line measured twice (once from each side) adds up to weight 1 and the scan is reconstructed with
//      the 360 deg weight 2 pi / slots. The weights follow the center: set_center re-filters while it is enabled.
//      The daemon widens each frame so that the detector's columns [detector_col0, detector_col0 + detector_cols)
//      sit around the axis and the other columns hold transmission 1 (attenuation 0); steps 1-3 see only the
//      detector's columns then (the padding of step 2 repeats the detector's edge, not the filler).
//   5. filter: every row zero-padded to padded_length(cols) and multiplied by filter_response(padded, window)
//      (ramp_filter.hpp): the ramp of ramp_response() times window_weight() of the bin's frequency.
// With every step off and the Ram-Lak window this is exactly what add_projection did before processing existed.
//
// Thread safety: pure data and pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// Apodisation of the ramp filter. window_weight() defines each, as a function of w = frequency / Nyquist in [0, 1].
enum class FilterWindow : std::uint8_t { ram_lak, shepp_logan, cosine, hamming, hann, parzen };

struct ZingerFilter {
  bool enabled = false;
  float threshold = 0.3f;  // relative deviation of the transmission from its 3 x 3 median; > 0
};

struct PhaseRetrieval {
  bool enabled = false;
  double energy_kev = 20.0;         // photon energy, keV; > 0
  double distance_m = 0.1;          // sample-to-detector propagation distance, metres; > 0
  double pixel_size_um = 1.0;       // effective pixel size at the sample, micrometres; > 0
  double delta_over_beta = 100.0;   // ratio of the refractive index decrement to the absorption index; > 0
};

struct RingRemoval {
  bool enabled = false;
  std::uint32_t size = 21;  // median window across detector columns, pixels; odd, 3..kMaxRingSize
};

inline constexpr std::uint32_t kMaxRingSize = 255;

// Half acquisition is a property of the scan's geometry (ScanGeometry::half_acquisition), not of the processing
// setting: it is fixed at begin_scan and never changed by set_processing.
struct HalfAcquisition {
  bool enabled = false;
  std::uint32_t detector_col0 = 0;  // first column of the engine's frame that the detector measured
  std::uint32_t detector_cols = 0;  // columns the detector measured; detector_col0 + detector_cols <= cols, > 0
};

struct ProcessingParams {
  FilterWindow window = FilterWindow::ram_lak;
  ZingerFilter zingers;
  PhaseRetrieval phase;
  RingRemoval rings;
  // Read once per scan, at its first projection (defective_pixels.hpp): the repair happens in the flat-field
  // correction, before the corrected store, so a later change affects the next scan only.
  DefectivePixelDetection defective_pixels;
};

// Whether an arriving projection needs more than flat-field correction, -log and the windowed ramp (the fused
// CUDA kernel's work): zinger removal, phase retrieval, a ring offset, or the half-acquisition weights of the scan.
inline bool needs_staged_steps(const ProcessingParams& processing, const HalfAcquisition& half) {
  return processing.zingers.enabled || processing.phase.enabled || processing.rings.enabled || half.enabled;
}

bool operator==(const ZingerFilter& a, const ZingerFilter& b);
bool operator==(const PhaseRetrieval& a, const PhaseRetrieval& b);
bool operator==(const RingRemoval& a, const RingRemoval& b);
bool operator==(const HalfAcquisition& a, const HalfAcquisition& b);
bool operator==(const ProcessingParams& a, const ProcessingParams& b);

// What one re-filter did (Engine::set_processing).
struct RefilterReport {
  std::uint32_t projections = 0;        // stored projections re-filtered
  double milliseconds = 0.0;            // wall time of the re-filter and the slice recompute (CUDA: event-timed)
  std::uint64_t zingers_replaced = 0;   // pixels the zinger filter replaced, over all re-filtered projections
  std::uint64_t clamped_values = 0;     // transmissions after phase retrieval clamped to kMinTransmission
};

// "ram-lak", "shepp-logan", "cosine", "hamming", "hann", "parzen".
const char* window_name(FilterWindow window);
// The window of a name above, or nullopt.
std::optional<FilterWindow> parse_window(std::string_view name);

// Throws EngineError (engine.hpp) naming the first value out of range: threshold not finite or <= 0; energy,
// distance, pixel size or delta/beta not finite or <= 0; ring size even, < 3 or > kMaxRingSize; an unknown window; a
// defective-pixel threshold out of range (check_defective_pixel_detection).
void check_processing(const ProcessingParams& params);

// Throws EngineError when half acquisition is enabled with no detector columns or columns beyond `cols` (the
// engine's frame width).
void check_half_acquisition(const HalfAcquisition& half, std::uint32_t cols);

// Window weight at w = frequency / Nyquist, w in [0, 1] (the filter response's bin m of a padded length P has
// w = 2 m / P):
//   ram-lak 1;  shepp-logan sin(pi w / 2) / (pi w / 2) (1 at w = 0);  cosine cos(pi w / 2);
//   hamming 0.54 + 0.46 cos(pi w);  hann 0.5 + 0.5 cos(pi w);
//   parzen 1 - 6 w^2 (1 - w) for w <= 1/2, 2 (1 - w)^3 above.
// These match scikit-image's iradon filters of the same names (which take the window over the padded spectrum).
TOMOLIVE_HD inline double window_weight(FilterWindow window, double w) {
  constexpr double pi = 3.14159265358979323846;
  switch (window) {
    case FilterWindow::ram_lak:
      return 1.0;
    case FilterWindow::shepp_logan: {
      const double x = pi * w / 2.0;
      return x == 0.0 ? 1.0 : sin(x) / x;
    }
    case FilterWindow::cosine:
      return cos(pi * w / 2.0);
    case FilterWindow::hamming:
      return 0.54 + 0.46 * cos(pi * w);
    case FilterWindow::hann:
      return 0.5 + 0.5 * cos(pi * w);
    case FilterWindow::parzen:
      return w <= 0.5 ? 1.0 - 6.0 * w * w * (1.0 - w) : 2.0 * (1.0 - w) * (1.0 - w) * (1.0 - w);
  }
  return 1.0;
}

// X-ray wavelength, metres, of a photon of energy_kev (hc = 1.239841984e-9 keV m).
TOMOLIVE_HD inline double wavelength_m(double energy_kev) { return 1.239841984e-9 / energy_kev; }

// The Paganin low-pass coefficient pi * lambda * z * delta / beta, m^2: the response is 1 / (1 + coefficient f^2).
TOMOLIVE_HD inline double paganin_coefficient_m2(const PhaseRetrieval& p) {
  constexpr double pi = 3.14159265358979323846;
  return pi * wavelength_m(p.energy_kev) * p.distance_m * p.delta_over_beta;
}

// Detector rows over which Paganin's filter reaches (pixels, not rounded): five times its kernel's decay length
// sqrt(paganin_coefficient_m2) / (2 pi) metres (the response 1 / (1 + (L k)^2) at angular frequency k has a kernel
// falling as exp(-r / L)), over the pixel size. The rows further away from a pixel carry e^-5 (0.7 %) of the
// kernel's weight (its marginal across rows is exp(-|y| / L) / 2 L).
double paganin_reach_rows(const PhaseRetrieval& phase);

// Paganin's transfer function at spatial frequencies f_row, f_col (cycles per metre):
// 1 / (1 + pi lambda z (delta / beta) (f_row^2 + f_col^2)).
TOMOLIVE_HD inline double paganin_response(double coefficient_m2, double f_row, double f_col) {
  return 1.0 / (1.0 + coefficient_m2 * (f_row * f_row + f_col * f_col));
}

// Weight of column offset u = column - axis (pixels) for half acquisition, the detector's columns being
// [col0, col0 + n) of the frame: with h = min(axis - col0, col0 + n - 1 - axis) the half-width of the overlap
// (measured on both sides of the axis) and s = +1 when the detector reaches further to the right of the axis
// (col0 + n - 1 - axis >= axis - col0), else -1:
//   0.5 + 0.5 sin(pi/2 * s u / h) for |u| <= h; 1 for s u > h; 0 for s u < -h (h <= 0: 1 for s u >= 0, else 0).
// So w(u) + w(-u) = 1 inside the overlap, smoothly; columns outside the detector hold attenuation 0 anyway.
TOMOLIVE_HD inline float half_acquisition_weight(float u, float axis, std::uint32_t col0, std::uint32_t n) {
  const float left = axis - static_cast<float>(col0);
  const float right = static_cast<float>(col0) + static_cast<float>(n) - 1.f - axis;
  const float h = fminf(left, right);
  const float su = right >= left ? u : -u;
  if (!(h > 0.f)) return su >= 0.f ? 1.f : 0.f;
  if (su > h) return 1.f;
  if (su < -h) return 0.f;
  return 0.5f + 0.5f * sinf(1.57079632679f * su / h);
}

// half_acquisition_weight() of every column 0..cols-1 of a frame whose axis lies at column axis_col (pixels).
std::vector<float> half_acquisition_weights(const HalfAcquisition& half, std::uint32_t cols, float axis_col);

// Whether the zinger filter replaces attenuation `a` whose 3 x 3 median is `median`: |exp(median - a) - 1| >
// threshold.
TOMOLIVE_HD inline bool zinger_replaces(float a, float median, float threshold) {
  return fabsf(expf(median - a) - 1.f) > threshold;
}

}  // namespace tomolive::kernels
