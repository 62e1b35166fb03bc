#include "tomolive/daemon/center_tools.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "tomolive/daemon/sweep_region.hpp"
#include "tomolive/kernels/engine_checks.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

// Angle in [0, 2 pi).
double wrap(double radians) {
  const double turn = 2.0 * std::numbers::pi;
  const double wrapped = std::fmod(radians, turn);
  return wrapped < 0.0 ? wrapped + turn : wrapped;
}

struct SlotAngle {
  std::uint32_t slot;
  double angle;  // wrapped
};

using SlotPairs = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

// Projections gathered first, second, first, second, ... as pairs.
std::vector<kernels::OpposedPair> as_pairs(const std::vector<std::vector<float>>& kept) {
  std::vector<kernels::OpposedPair> opposed;
  for (std::size_t i = 0; i + 1 < kept.size(); i += 2) opposed.push_back({kept[i], kept[i + 1]});
  return opposed;
}

}  // namespace

CenterTools::CenterTools(kernels::Engine& engine, const ScanSession& session)
    : engine_(engine), geometry_(session.engine_geometry()), layout_(session.layout()),
      half_acquisition_(session.begin().half_acquisition),
      announced_offset_(DetectorOffsetPx(session.begin().center_offset_px)) {}

DetectorCenterEstimate CenterTools::from_engine_frame(const kernels::CenterEstimate& estimate) const {
  return {layout_.detector_offset(EngineOffsetPx(estimate.center_offset_px)), estimate.confidence, estimate.samples};
}

std::variant<DetectorCenterEstimate, Error> CenterTools::estimate(protocol::CenterMethod method,
                                                                 const kernels::MetricProgress& progress) {
  if (engine_.projections_in_store() == 0) return invalid("no projection has been reconstructed yet");
  if (method == protocol::CenterMethod::registration) {
    return half_acquisition_ ? by_half_acquisition_registration() : by_registration();
  }
  if (half_acquisition_) {
    return invalid("the metric estimate is not available for half-acquisition scans: its candidate slices keep the "
                   "overlap weights of the current center, which pull the estimate towards that center; use "
                   "\"registration\"");
  }
  return by_metric(progress);
}

std::variant<SlotPairs, Error> CenterTools::opposed_slots() const {
  // Stored slots and their angles; pairs are 180 degrees apart within a quarter of the angular step.
  std::vector<SlotAngle> stored;
  for (std::uint32_t slot = 0; slot < geometry_.slots; ++slot) {
    if (const std::optional<float> angle = engine_.slot_angle(slot)) stored.push_back({slot, wrap(*angle)});
  }
  std::sort(stored.begin(), stored.end(), [](const SlotAngle& a, const SlotAngle& b) { return a.angle < b.angle; });
  const double tolerance = 0.25 * static_cast<double>(geometry_.angle_weight_rad);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (const SlotAngle& first : stored) {
    if (first.angle >= std::numbers::pi) break;  // each pair once: first in [0, pi)
    const double wanted = first.angle + std::numbers::pi;
    const auto found = std::lower_bound(stored.begin(), stored.end(), wanted - tolerance,
                                        [](const SlotAngle& s, double a) { return s.angle < a; });
    if (found != stored.end() && std::abs(found->angle - wanted) <= tolerance) pairs.emplace_back(first.slot, found->slot);
  }
  if (pairs.empty()) {
    return invalid("registration needs two stored projections 180 degrees apart (within a quarter step); the " +
                   std::to_string(stored.size()) + " stored projections have none yet");
  }
  const std::size_t used_pairs = std::min<std::size_t>(pairs.size(), kMaxPairs);
  SlotPairs spread;
  for (std::size_t i = 0; i < used_pairs; ++i) spread.push_back(pairs[i * pairs.size() / used_pairs]);
  return spread;
}

std::vector<std::vector<float>> CenterTools::gather(const SlotPairs& pairs, bool corrected,
                                                    const FrameWindow& window) const {
  std::vector<float> projection(static_cast<std::size_t>(geometry_.rows) * geometry_.cols);
  std::vector<std::vector<float>> kept;
  kept.reserve(2 * pairs.size());
  for (const auto& [first, second] : pairs) {
    for (const std::uint32_t slot : {first, second}) {
      if (corrected) {
        engine_.copy_corrected_projection(slot, projection);
      } else {
        engine_.copy_projection(slot, projection);
      }
      std::vector<float>& out = kept.emplace_back(static_cast<std::size_t>(window.rows) * window.cols);
      for (std::uint32_t r = 0; r < window.rows; ++r) {
        const std::size_t row = window.row0 + std::size_t{r} * window.row_step;
        std::copy_n(projection.begin() + static_cast<std::ptrdiff_t>(row * geometry_.cols + window.col0), window.cols,
                    out.begin() + static_cast<std::ptrdiff_t>(r) * window.cols);
      }
    }
  }
  return kept;
}

std::variant<DetectorCenterEstimate, Error> CenterTools::by_registration() {
  auto pairs = opposed_slots();
  if (auto* error = std::get_if<Error>(&pairs)) return *error;
  // At most kMaxRegistrationRows rows, spread over the detector; the filtered projections (the whole frame: without
  // half acquisition the engine's frames are the detector's).
  FrameWindow window;
  window.row_step = (geometry_.rows + kMaxRegistrationRows - 1) / kMaxRegistrationRows;
  window.rows = (geometry_.rows + window.row_step - 1) / window.row_step;
  window.cols = geometry_.cols;
  const auto kept = gather(std::get<SlotPairs>(pairs), false, window);
  const std::vector<kernels::OpposedPair> opposed = as_pairs(kept);
  const auto estimate = kernels::estimate_center_by_registration(opposed, window.rows, window.cols);
  if (!estimate) return invalid("registration found no usable pair");
  DetectorCenterEstimate found = from_engine_frame(*estimate);
  // The tilt from the same rows, in bands of an eighth of them (the window's rows are row_step detector rows apart).
  const std::uint32_t band_rows = window.rows / kTiltBands;
  if (band_rows > 0) {
    if (const auto tilt = kernels::estimate_axis_tilt(opposed, window.rows, window.cols, band_rows)) {
      const double slope = std::tan(tilt->tilt_deg * std::numbers::pi / 180.0) / window.row_step;
      found.tilt_deg = std::atan(slope) * 180.0 / std::numbers::pi;
      found.tilt_confidence = tilt->confidence;
    }
  }
  return found;
}

std::variant<DetectorCenterEstimate, Error> CenterTools::by_half_acquisition_registration() {
  auto pairs = opposed_slots();
  if (auto* error = std::get_if<Error>(&pairs)) return *error;
  // The corrected (unweighted, unfiltered) projections in the detector's own columns, kHalfAcquisitionRows rows
  // around the middle; the estimate is then in detector pixels already.
  FrameWindow window;
  window.rows = std::min(kHalfAcquisitionRows, geometry_.rows);
  window.row0 = (geometry_.rows - window.rows) / 2;
  window.col0 = layout_.detector_col0;
  window.cols = layout_.detector_cols;
  const auto kept = gather(std::get<SlotPairs>(pairs), true, window);
  try {
    const auto estimate = kernels::estimate_half_acquisition_center(as_pairs(kept), window.rows, window.cols,
                                                                    announced_offset_.px, kHalfAcquisitionRangePx);
    if (!estimate) {
      return invalid("half-acquisition registration found no candidate within " +
                     kernels::format_number(static_cast<float>(kHalfAcquisitionRangePx)) +
                     " px of the announced offset with enough overlap");
    }
    // Measured in the detector's own columns: already detector pixels.
    return DetectorCenterEstimate{DetectorOffsetPx(estimate->center_offset_px), estimate->confidence,
                                  estimate->samples};
  } catch (const std::invalid_argument& e) {
    return invalid(std::string("half-acquisition registration: ") + e.what());
  }
}

DetectorCenterEstimate CenterTools::by_metric(const kernels::MetricProgress& progress) {
  const kernels::SliceRegion region = central_square(kMetricSide, geometry_.cols);
  const std::uint32_t xy_row = engine_.params().slices.xy_row;
  const double range = std::min(kMetricRangePx, 0.25 * geometry_.cols);
  return from_engine_frame(kernels::estimate_center_by_metric(
      [&](std::span<const float> offsets, const kernels::SliceRegion& band, std::span<float> out) {
        engine_.sweep_center(xy_row, offsets, band, 1, out);  // the estimate's metric is on every pixel
      },
      region, range, progress));
}

std::variant<SweepOutput, Error> CenterTools::sweep(const protocol::SweepCenter& request) {
  if (engine_.projections_in_store() == 0) return invalid("no projection has been reconstructed yet");
  const std::uint32_t xy_row = request.xy_row.value_or(engine_.params().slices.xy_row);
  if (xy_row >= geometry_.rows) {
    return invalid("xy_row " + std::to_string(xy_row) + " is outside the detector rows 0.." +
                   std::to_string(geometry_.rows - 1));
  }
  auto region_or_error = sweep_region(request.region, geometry_.cols);
  if (auto* error = std::get_if<Error>(&region_or_error)) return *error;
  const kernels::SliceRegion region = std::get<kernels::SliceRegion>(region_or_error);
  std::vector<DetectorOffsetPx> candidates;
  std::vector<float> offsets;  // the engine's
  for (std::uint32_t i = 0; i < request.count; ++i) {
    const DetectorOffsetPx candidate(request.start_offset_px + i * request.step_px);
    if (std::abs(candidate.px) >= 0.5 * layout_.detector_cols) {
      return invalid("candidate " + std::to_string(i) + " (offset " +
                     kernels::format_number(static_cast<float>(candidate.px)) +
                     " px) puts the axis outside the detector (|offset| < " +
                     kernels::format_number(0.5F * static_cast<float>(layout_.detector_cols)) + " px expected)");
    }
    candidates.push_back(candidate);
    offsets.push_back(to_engine_float(layout_.engine_offset(candidate)));
  }
  const std::uint32_t pixel_step = sweep_pixel_step(request.pixel_step, region);
  const std::uint32_t image_rows = kernels::sweep_image_rows(region, pixel_step);
  const std::uint32_t image_cols = kernels::sweep_image_cols(region, pixel_step);
  const auto start = std::chrono::steady_clock::now();
  const std::size_t pixels = static_cast<std::size_t>(image_rows) * image_cols;
  auto images = std::make_shared<std::vector<float>>(offsets.size() * pixels);
  engine_.sweep_center(xy_row, offsets, region, pixel_step, *images);

  SweepOutput output;
  protocol::SweepResult& result = output.result;
  result.xy_row = xy_row;
  result.region = {region.row0, region.col0, region.rows, region.cols};
  result.pixel_step = pixel_step;
  result.shape = {image_rows, image_cols};
  std::size_t best = 0;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    result.centers_px.push_back(candidates[i].px);
    result.metric.push_back(kernels::center_metric(std::span<const float>(*images).subspan(i * pixels, pixels)));
    if (result.metric[i] < result.metric[best]) best = i;
  }
  result.best_offset_px = result.centers_px[best];
  result.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  output.images = std::move(images);
  return output;
}

}  // namespace tomolive::daemon
