#include "tomolive/daemon/processing_setting.hpp"

#include <spdlog/fmt/fmt.h>

namespace tomolive::daemon {
namespace {

constexpr std::string_view kOff = "off";

}  // namespace

kernels::FilterWindow to_kernels(protocol::FilterWindow window) {
  // The wire and the engine name the six windows alike (processing_setting_test checks every one).
  return kernels::parse_window(protocol::to_string(window)).value();
}

protocol::ProcessingSetting to_protocol(const kernels::ProcessingParams& params, const kernels::HalfAcquisition& half) {
  protocol::ProcessingSetting setting;
  setting.window = protocol::parse_filter_window(kernels::window_name(params.window)).value();
  setting.zingers = {params.zingers.enabled, params.zingers.threshold};
  const kernels::PhaseRetrieval& phase = params.phase;
  setting.phase = {phase.enabled, phase.energy_kev, phase.distance_m, phase.pixel_size_um, phase.delta_over_beta};
  setting.rings = {params.rings.enabled, params.rings.size};
  setting.half_acquisition = {half.enabled, half.detector_col0, half.detector_cols};
  const kernels::DefectivePixelDetection& defective = params.defective_pixels;
  setting.defective_pixels = protocol::ProcessingSetting::DefectivePixels{
      defective.enabled, defective.dead_threshold, defective.hot_threshold, defective.noisy_threshold};
  return setting;
}

protocol::RefilterResult to_protocol(const kernels::RefilterReport& report) {
  return {report.projections, report.milliseconds, report.zingers_replaced, report.clamped_values};
}

protocol::DefectivePixelCounts to_protocol(const kernels::DefectCounts& counts) {
  return {counts.dead, counts.hot, counts.noisy, counts.detector_mask, counts.total};
}

kernels::ProcessingParams apply_update(kernels::ProcessingParams current, const protocol::SetProcessing& request) {
  if (request.window) current.window = to_kernels(*request.window);
  if (const auto& zingers = request.zingers) {
    current.zingers.enabled = zingers->enabled.value_or(current.zingers.enabled);
    if (zingers->threshold) current.zingers.threshold = static_cast<float>(*zingers->threshold);
  }
  if (const auto& phase = request.phase) {
    kernels::PhaseRetrieval& p = current.phase;
    p.enabled = phase->enabled.value_or(p.enabled);
    p.energy_kev = phase->energy_kev.value_or(p.energy_kev);
    p.distance_m = phase->distance_m.value_or(p.distance_m);
    p.pixel_size_um = phase->pixel_size_um.value_or(p.pixel_size_um);
    p.delta_over_beta = phase->delta_over_beta.value_or(p.delta_over_beta);
  }
  if (const auto& rings = request.rings) {
    current.rings.enabled = rings->enabled.value_or(current.rings.enabled);
    current.rings.size = rings->size.value_or(current.rings.size);
  }
  if (const auto& defective = request.defective_pixels) {
    kernels::DefectivePixelDetection& d = current.defective_pixels;
    d.enabled = defective->enabled.value_or(d.enabled);
    if (defective->dead_threshold) d.dead_threshold = static_cast<float>(*defective->dead_threshold);
    if (defective->hot_threshold) d.hot_threshold = static_cast<float>(*defective->hot_threshold);
    if (defective->noisy_threshold) d.noisy_threshold = static_cast<float>(*defective->noisy_threshold);
  }
  return current;
}

std::string describe(const kernels::ProcessingParams& params) {
  const kernels::PhaseRetrieval& phase = params.phase;
  const std::string zingers = params.zingers.enabled ? fmt::format("{}", params.zingers.threshold) : std::string(kOff);
  const std::string phase_text =
      phase.enabled ? fmt::format("{} keV, {} m, {} um, delta/beta {}", phase.energy_kev, phase.distance_m,
                                  phase.pixel_size_um, phase.delta_over_beta)
                    : std::string(kOff);
  const std::string rings = params.rings.enabled ? std::to_string(params.rings.size) : std::string(kOff);
  const kernels::DefectivePixelDetection& d = params.defective_pixels;
  const std::string defective =
      d.enabled ? fmt::format("dead {}, hot {}, noisy {}", d.dead_threshold, d.hot_threshold, d.noisy_threshold)
                : std::string(kOff);
  return fmt::format("window {}, zingers {}, phase {}, rings {}, defective pixels {}",
                     kernels::window_name(params.window), zingers, phase_text, rings, defective);
}

nlohmann::json processing_json(const kernels::ProcessingParams& params, const kernels::HalfAcquisition& half) {
  const protocol::ProcessingSetting setting = to_protocol(params, half);
  const auto& phase = setting.phase;
  nlohmann::json json = {
      {"window", protocol::to_string(setting.window)},
      {"zingers", {{"enabled", setting.zingers.enabled}, {"threshold", setting.zingers.threshold}}},
      {"phase",
       {{"enabled", phase.enabled},
        {"energy_kev", phase.energy_kev},
        {"distance_m", phase.distance_m},
        {"pixel_size_um", phase.pixel_size_um},
        {"delta_over_beta", phase.delta_over_beta}}},
      {"rings", {{"enabled", setting.rings.enabled}, {"size", setting.rings.size}}},
      {"half_acquisition",
       {{"enabled", setting.half_acquisition.enabled},
        {"detector_col0", setting.half_acquisition.detector_col0},
        {"detector_cols", setting.half_acquisition.detector_cols}}},
      {"summary", describe(params)}};
  if (const auto& defective = setting.defective_pixels) {
    json["defective_pixels"] = {{"enabled", defective->enabled},
                                {"dead_threshold", defective->dead_threshold},
                                {"hot_threshold", defective->hot_threshold},
                                {"noisy_threshold", defective->noisy_threshold}};
  }
  return json;
}

}  // namespace tomolive::daemon
