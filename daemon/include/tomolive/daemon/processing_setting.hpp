// The daemon's projection processing setting (PROTOCOL.md 10.5) in its three forms: the engine's
// kernels::ProcessingParams (what the daemon keeps and applies), the wire's protocol::ProcessingSetting (status and
// replies) and set_processing's partial update (also the form the daemon's options are read into, through
// protocol/processing_options.hpp). Ranges are not checked here: kernels::check_processing is the one judge of
// values. Pure functions, thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tomolive/kernels/processing.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

kernels::FilterWindow to_kernels(protocol::FilterWindow window);
// The wire form of the daemon's setting with the scan's half-acquisition block (PROTOCOL.md 10.3).
protocol::ProcessingSetting to_protocol(const kernels::ProcessingParams& params, const kernels::HalfAcquisition& half);
protocol::RefilterResult to_protocol(const kernels::RefilterReport& report);
// A defective-pixel map's counts on the wire (PROTOCOL.md 10.10).
protocol::DefectivePixelCounts to_protocol(const kernels::DefectCounts& counts);

// `current` with every field that `request` gives replaced; the others kept.
kernels::ProcessingParams apply_update(kernels::ProcessingParams current, const protocol::SetProcessing& request);

// One line for logs and events: "window hann, zingers 0.3, phase off, rings 21".
std::string describe(const kernels::ProcessingParams& params);

// The setting as a JSON object for the catalogue sidecar and the volume's attributes (PROTOCOL.md 10.7), with
// set_processing's keys and units (PROTOCOL.md 10.5): window, zingers {enabled, threshold}, phase {enabled,
// energy_kev, distance_m, pixel_size_um, delta_over_beta}, rings {enabled, size}, half_acquisition {enabled,
// detector_col0, detector_cols}, defective_pixels {enabled, dead_threshold, hot_threshold, noisy_threshold}, and
// summary: describe()'s line.
nlohmann::json processing_json(const kernels::ProcessingParams& params, const kernels::HalfAcquisition& half);

}  // namespace tomolive::daemon
