// ScanPlan: what a detector stream (DECTRIS, array-1.0) does not say but tomography needs: which images are darks,
// flats and projections, how many of each, and the projections' angles (PROTOCOL.md "Scan plans").
//
// A plan comes from a series' start (its user_data, the SIMPLON header_appendix), from the set_scan_plan command
// or from the daemon's --scan-plan option. It has one of two forms:
//   layout:     one series holds darks, flats and projections in that order (image ids 0 .. n_darks - 1 are darks,
//               the next n_flats flats, n_projections projections from first_projection_image_id);
//   per series: the series holds one kind (series_kind); three series in a row (darks, flats, projections, those
//               with a count of 0 left out) make one scan, tied by scan_unique_id.
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tomolive/protocol/expected.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct ScanPlan {
  std::optional<protocol::FrameKind> series_kind;  // per-series form; nullopt: the layout form
  std::string scan_unique_id;                      // "" when the plan does not name the scan
  std::uint32_t n_darks = 0;
  std::uint32_t n_flats = 0;
  std::uint32_t n_projections = 0;                 // >= 1
  std::uint64_t first_projection_image_id = 0;     // layout form: >= n_darks + n_flats
  protocol::AngleSpec angles;                      // by projection frame id; a goniometer's omega overrides it
  double center_offset_px = 0.0;
  std::string name;                                // "" when the plan does not name the scan

  // Images the series that follows this plan holds: first_projection_image_id + n_projections (layout form), or the
  // count of series_kind (per-series form).
  std::uint64_t series_images() const;
  // The images of `kind` the scan holds.
  std::uint32_t count(protocol::FrameKind kind) const;

  bool operator==(const ScanPlan&) const = default;
};

// The plan a set_scan_plan command (or the --scan-plan option) gives; `plan` has passed protocol::check_scan_plan.
ScanPlan plan_from_command(const protocol::SetScanPlan& plan);

// The plan in a series' user_data: nullopt when it holds none (not a JSON object, or neither "image_key" nor
// "layout"); an Error (invalid_argument, naming the key, the value found and what is expected) when its keys are
// wrong. Keys: PROTOCOL.md "Scan plans".
protocol::Expected<std::optional<ScanPlan>> plan_from_user_data(const nlohmann::json& user_data);

// The kind an image's own user_data (or array-1.0 header) gives with "image_key"; nullopt without the key; an Error
// when its value is not "dark", "flat" or "projection".
protocol::Expected<std::optional<protocol::FrameKind>> image_key_of(const nlohmann::json& image_user_data);

// The scan id a text names (PROTOCOL.md "Scan plans"): its value when it is a decimal integer below 2^53, else its
// FNV-1a 64-bit hash cut to 53 bits (so that JSON clients hold it exactly). nullopt for "".
std::optional<std::uint64_t> scan_id_of(const std::string& unique_id);

}  // namespace tomolive::daemon
