#include "tomolive/daemon/processing_sweep.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>

#include "tomolive/daemon/sweep_region.hpp"
#include "tomolive/kernels/center_estimation.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::SweepParameter;
using protocol::SweepSpacing;

Error invalid(std::string message) { return Error{protocol::ErrorCode::invalid_argument, std::move(message)}; }

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// The requested values, or those of start, stop and count spaced as asked (log by default for delta/beta, linear for
// ring sizes); or why not.
std::variant<std::vector<double>, Error> requested_values(const protocol::SweepProcessing& request) {
  if (request.values) return *request.values;
  const double start = *request.start, stop = *request.stop;
  const std::uint32_t count = *request.count;
  const SweepSpacing spacing = request.spacing.value_or(
      request.parameter == SweepParameter::delta_over_beta ? SweepSpacing::log : SweepSpacing::linear);
  if (spacing == SweepSpacing::log && !(start > 0.0 && stop > 0.0)) {
    return invalid("log spacing needs start and stop > 0; got start " + number(start) + ", stop " + number(stop));
  }
  std::vector<double> values;
  for (std::uint32_t k = 0; k < count; ++k) {
    const double t = count == 1 ? 0.0 : static_cast<double>(k) / (count - 1);
    values.push_back(spacing == SweepSpacing::log ? start * std::pow(stop / start, t) : start + t * (stop - start));
  }
  return values;
}

}  // namespace

std::variant<ProcessingCandidates, Error> processing_candidates(const protocol::SweepProcessing& request,
                                                                const kernels::ProcessingParams& current) {
  ProcessingCandidates out;
  if (request.parameter == SweepParameter::window) {
    std::vector<std::string> names;
    if (request.windows) {
      names = *request.windows;
    } else {
      for (int w = 0; w <= static_cast<int>(kernels::FilterWindow::parzen); ++w) {
        names.emplace_back(kernels::window_name(static_cast<kernels::FilterWindow>(w)));
      }
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::optional<kernels::FilterWindow> window = kernels::parse_window(names[i]);
      if (!window) {
        return invalid("windows[" + std::to_string(i) + "] \"" + names[i] +
                       "\" is not a window; expected ram-lak, shepp-logan, cosine, hamming, hann or parzen");
      }
      kernels::ProcessingParams setting = current;
      setting.window = *window;
      out.settings.push_back(setting);
      out.values.push_back(static_cast<double>(*window));
      out.labels.push_back("window " + names[i]);
    }
    return out;
  }
  auto values = requested_values(request);
  if (auto* error = std::get_if<Error>(&values)) return *error;
  for (double value : std::get<std::vector<double>>(values)) {
    kernels::ProcessingParams setting = current;
    if (request.parameter == SweepParameter::delta_over_beta) {
      if (!(value > 0.0)) return invalid("delta_over_beta " + number(value) + " must be > 0");
      setting.phase.enabled = true;
      setting.phase.delta_over_beta = value;
    } else {
      // A range is rounded to the nearest odd size; explicit values must be odd integers already.
      if (!request.values) value = 2.0 * std::round((value - 1.0) / 2.0) + 1.0;
      if (!(value >= 3.0 && value <= kernels::kMaxRingSize && value == std::floor(value) &&
            std::fmod(value, 2.0) == 1.0)) {
        return invalid("ring_size " + number(value) + " must be an odd integer in 3.." +
                       std::to_string(kernels::kMaxRingSize));
      }
      if (!request.values && !out.values.empty() && out.values.back() == value) continue;  // rounded together
      setting.rings.enabled = true;
      setting.rings.size = static_cast<std::uint32_t>(value);
    }
    try {
      kernels::check_processing(setting);
    } catch (const kernels::EngineError& e) {
      return invalid(std::string(protocol::to_string(request.parameter)) + " " + number(value) + ": " + e.what());
    }
    out.settings.push_back(setting);
    out.values.push_back(value);
    out.labels.push_back(std::string(protocol::to_string(request.parameter)) + " " + number(value));
  }
  return out;
}

std::variant<ProcessingSweepOutput, Error> run_processing_sweep(kernels::Engine& engine,
                                                                const protocol::SweepProcessing& request,
                                                                std::uint32_t detector_rows, std::uint32_t slice_cols,
                                                                const kernels::MetricProgress& progress) {
  if (engine.projections_in_store() == 0) return invalid("no projection has been reconstructed yet");
  const std::uint32_t xy_row = request.xy_row.value_or(engine.params().slices.xy_row);
  if (xy_row >= detector_rows) {
    return invalid("xy_row " + std::to_string(xy_row) + " is outside the detector rows 0.." +
                   std::to_string(detector_rows - 1));
  }
  auto region_or_error = sweep_region(request.region, slice_cols);
  if (auto* error = std::get_if<Error>(&region_or_error)) return *error;
  const kernels::SliceRegion region = std::get<kernels::SliceRegion>(region_or_error);
  auto candidates_or_error = processing_candidates(request, engine.params().processing);
  if (auto* error = std::get_if<Error>(&candidates_or_error)) return *error;
  ProcessingCandidates& candidates = std::get<ProcessingCandidates>(candidates_or_error);

  const auto start = std::chrono::steady_clock::now();
  const std::size_t pixels = static_cast<std::size_t>(region.rows) * region.cols;
  const auto total = static_cast<std::uint32_t>(candidates.settings.size());
  auto images = std::make_shared<std::vector<float>>(total * pixels);
  if (progress) progress(0, total);
  for (std::uint32_t i = 0; i < total; ++i) {
    engine.sweep_processing(xy_row, std::span<const kernels::ProcessingParams>(&candidates.settings[i], 1), region,
                            std::span<float>(*images).subspan(i * pixels, pixels));
    if (progress) progress(i + 1, total);
  }

  ProcessingSweepOutput output;
  protocol::ProcessingSweepResult& result = output.result;
  result.parameter = request.parameter;
  result.xy_row = xy_row;
  result.region = {region.row0, region.col0, region.rows, region.cols};
  result.values = std::move(candidates.values);
  result.labels = std::move(candidates.labels);
  for (std::size_t i = 0; i < candidates.settings.size(); ++i) {
    result.metric.push_back(kernels::center_metric(std::span<const float>(*images).subspan(i * pixels, pixels)));
    if (result.metric[i] < result.metric[result.best_index]) result.best_index = static_cast<std::uint32_t>(i);
  }
  result.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  output.images = std::move(images);
  return output;
}

}  // namespace tomolive::daemon
