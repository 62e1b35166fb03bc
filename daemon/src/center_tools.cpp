#include "tomolive/daemon/center_tools.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <string>

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

}  // namespace

kernels::SliceRegion CenterTools::central_square(std::uint32_t side) const {
  side = std::min(side, geometry_.cols);
  const std::uint32_t start = (geometry_.cols - side) / 2;
  return {start, start, side, side};
}

std::variant<kernels::CenterEstimate, Error> CenterTools::estimate(protocol::CenterMethod method) {
  if (engine_.projections_in_store() == 0) return invalid("no projection has been reconstructed yet");
  if (method == protocol::CenterMethod::registration) return by_registration();
  return by_metric();
}

std::variant<kernels::CenterEstimate, Error> CenterTools::by_registration() {
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
  // At most kMaxPairs pairs, spread over the angles; at most kMaxRegistrationRows rows, spread over the detector.
  const std::size_t used_pairs = std::min<std::size_t>(pairs.size(), kMaxPairs);
  const std::uint32_t row_step = (geometry_.rows + kMaxRegistrationRows - 1) / kMaxRegistrationRows;
  const std::uint32_t rows = (geometry_.rows + row_step - 1) / row_step;
  const std::size_t frame = static_cast<std::size_t>(geometry_.rows) * geometry_.cols;
  const std::size_t picked = static_cast<std::size_t>(rows) * geometry_.cols;
  std::vector<float> projection(frame);
  std::vector<std::vector<float>> kept;  // 2 per pair, row-subsampled
  kept.reserve(2 * used_pairs);
  for (std::size_t i = 0; i < used_pairs; ++i) {
    const auto& [first, second] = pairs[i * pairs.size() / used_pairs];
    for (const std::uint32_t slot : {first, second}) {
      engine_.copy_projection(slot, projection);
      std::vector<float>& out = kept.emplace_back(picked);
      for (std::uint32_t r = 0; r < rows; ++r) {
        std::copy_n(projection.begin() + static_cast<std::ptrdiff_t>(r * row_step) * geometry_.cols, geometry_.cols,
                    out.begin() + static_cast<std::ptrdiff_t>(r) * geometry_.cols);
      }
    }
  }
  std::vector<kernels::OpposedPair> opposed;
  for (std::size_t i = 0; i < used_pairs; ++i) opposed.push_back({kept[2 * i], kept[2 * i + 1]});
  const auto estimate = kernels::estimate_center_by_registration(opposed, rows, geometry_.cols);
  if (!estimate) return invalid("registration found no usable pair");
  return *estimate;
}

kernels::CenterEstimate CenterTools::by_metric() {
  const kernels::SliceRegion region = central_square(kMetricSide);
  const std::uint32_t xy_row = engine_.params().slices.xy_row;
  const double range = std::min(kMetricRangePx, 0.25 * geometry_.cols);
  return kernels::estimate_center_by_metric(
      [&](std::span<const float> offsets, std::span<float> out) { engine_.sweep_center(xy_row, offsets, region, out); },
      static_cast<std::size_t>(region.rows) * region.cols, range);
}

std::variant<SweepOutput, Error> CenterTools::sweep(const protocol::SweepCenter& request) {
  if (engine_.projections_in_store() == 0) return invalid("no projection has been reconstructed yet");
  const std::uint32_t xy_row = request.xy_row.value_or(engine_.params().slices.xy_row);
  if (xy_row >= geometry_.rows) {
    return invalid("xy_row " + std::to_string(xy_row) + " is outside the detector rows 0.." +
                   std::to_string(geometry_.rows - 1));
  }
  kernels::SliceRegion region = central_square(kMetricSide);
  if (request.region) {
    const auto& r = *request.region;
    region = {r[0], r[1], r[2], r[3]};
    const std::uint64_t row_end = std::uint64_t{region.row0} + region.rows;
    const std::uint64_t col_end = std::uint64_t{region.col0} + region.cols;
    if (region.rows < 1 || region.cols < 1 || region.rows > kernels::kMaxSweepSide ||
        region.cols > kernels::kMaxSweepSide || row_end > geometry_.cols || col_end > geometry_.cols) {
      return invalid("region [" + std::to_string(r[0]) + ", " + std::to_string(r[1]) + ", " + std::to_string(r[2]) +
                     ", " + std::to_string(r[3]) + "] must lie inside the " + std::to_string(geometry_.cols) + " x " +
                     std::to_string(geometry_.cols) + " XY slice with rows and cols in 1.." +
                     std::to_string(kernels::kMaxSweepSide));
    }
  }
  std::vector<float> offsets;
  for (std::uint32_t i = 0; i < request.count; ++i) {
    const double offset = request.start_offset_px + i * request.step_px;
    if (std::abs(offset) >= 0.5 * geometry_.cols) {
      return invalid("candidate " + std::to_string(i) + " (offset " + kernels::format_number(static_cast<float>(offset)) +
                     " px) puts the axis outside the detector (|offset| < " +
                     kernels::format_number(0.5F * static_cast<float>(geometry_.cols)) + " px expected)");
    }
    offsets.push_back(static_cast<float>(offset));
  }
  const auto start = std::chrono::steady_clock::now();
  const std::size_t pixels = static_cast<std::size_t>(region.rows) * region.cols;
  auto images = std::make_shared<std::vector<float>>(offsets.size() * pixels);
  engine_.sweep_center(xy_row, offsets, region, *images);

  SweepOutput output;
  protocol::SweepResult& result = output.result;
  result.xy_row = xy_row;
  result.region = {region.row0, region.col0, region.rows, region.cols};
  std::size_t best = 0;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    result.centers_px.push_back(offsets[i]);
    result.metric.push_back(kernels::center_metric(std::span<const float>(*images).subspan(i * pixels, pixels)));
    if (result.metric[i] < result.metric[best]) best = i;
  }
  result.best_offset_px = result.centers_px[best];
  result.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  output.images = std::move(images);
  return output;
}

}  // namespace tomolive::daemon
