#include "tomolive/daemon/scan_plan.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::FrameKind;
using Json = nlohmann::json;

constexpr std::uint64_t kJsonSafeIntegerMask = (std::uint64_t{1} << 53) - 1;

Error invalid(const std::string& key, const Json& value, std::string_view expected) {
  return Error{ErrorCode::invalid_argument, "scan plan (user_data): \"" + key + "\" = " + value.dump().substr(0, 80) +
                                                "; expected " + std::string(expected)};
}

// Reads the optional unsigned integer `key`; false (with `error` set) when present and not one.
template <typename Int>
bool read_count(const Json& object, const std::string& key, std::optional<Int>& out, std::optional<Error>& error) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  const bool non_negative = it->is_number_unsigned() || (it->is_number_integer() && it->template get<std::int64_t>() >= 0);
  if (!non_negative || it->template get<std::uint64_t>() > std::numeric_limits<Int>::max()) {
    error = invalid(key, *it, "an unsigned integer");
    return false;
  }
  out = it->template get<Int>();
  return true;
}

bool read_number(const Json& object, const std::string& key, std::optional<double>& out, std::optional<Error>& error) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    error = invalid(key, *it, "a finite number");
    return false;
  }
  out = it->get<double>();
  return true;
}

std::optional<FrameKind> kind_named(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  return protocol::parse_frame_kind(value.get<std::string>());
}

// The unique id as text: user_data may give it as a string or a number.
std::optional<std::string> unique_id_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return std::to_string(value.get<std::uint64_t>());
  return std::nullopt;
}

}  // namespace

std::uint64_t ScanPlan::series_images() const {
  if (series_kind) return count(*series_kind);
  return first_projection_image_id + n_projections;
}

std::uint32_t ScanPlan::count(FrameKind kind) const {
  switch (kind) {
    case FrameKind::dark: return n_darks;
    case FrameKind::flat: return n_flats;
    case FrameKind::projection: return n_projections;
  }
  return 0;
}

ScanPlan plan_from_command(const protocol::SetScanPlan& command) {
  ScanPlan plan;
  plan.series_kind = command.image_key;
  plan.scan_unique_id = command.scan_unique_id.value_or("");
  plan.n_darks = command.n_darks;
  plan.n_flats = command.n_flats;
  plan.n_projections = command.n_projections;
  plan.first_projection_image_id =
      command.first_projection_image_id.value_or(std::uint64_t{command.n_darks} + command.n_flats);
  if (command.angles_deg) {
    plan.angles = protocol::AngleTable{*command.angles_deg};
  } else if (command.angle_start_deg) {
    plan.angles = protocol::AngleRange{*command.angle_start_deg, *command.angle_step_deg};
  } else {
    plan.angles = protocol::AngleRange{0.0, command.angle_range_deg.value_or(180.0) / command.n_projections};
  }
  plan.center_offset_px = command.center_offset_px.value_or(0.0);
  plan.name = command.name.value_or("");
  return plan;
}

protocol::Expected<std::optional<ScanPlan>> plan_from_user_data(const Json& user_data) {
  if (!user_data.is_object()) return std::optional<ScanPlan>{};
  const bool per_series = user_data.contains("image_key");
  const bool layout = user_data.contains("layout");
  if (!per_series && !layout) return std::optional<ScanPlan>{};
  if (per_series && layout) {
    return Error{ErrorCode::invalid_argument,
                 "scan plan (user_data): both \"image_key\" and \"layout\"; expected one (a series of one kind, or "
                 "one series holding all three)"};
  }
  // The command's rules are the plan's rules: read the keys into a SetScanPlan and check it as the codec does.
  protocol::SetScanPlan command;
  std::optional<Error> error;
  std::optional<std::uint32_t> darks, flats, projections;
  std::optional<double> range, start, step;
  if (!read_count(user_data, "n_darks", darks, error) || !read_count(user_data, "n_flats", flats, error) ||
      !read_count(user_data, "n_projections", projections, error) ||
      !read_count(user_data, "first_projection_image_id", command.first_projection_image_id, error) ||
      !read_number(user_data, "angle_range_deg", range, error) ||
      !read_number(user_data, "angle_start_deg", start, error) ||
      !read_number(user_data, "angle_step_deg", step, error) ||
      !read_number(user_data, "center_offset_px", command.center_offset_px, error)) {
    return *error;
  }
  command.n_darks = darks.value_or(0);
  command.n_flats = flats.value_or(0);
  command.n_projections = projections.value_or(0);
  command.angle_range_deg = range;
  command.angle_start_deg = start;
  command.angle_step_deg = step;
  if (const auto it = user_data.find("angles_deg"); it != user_data.end() && !it->is_null()) {
    if (!it->is_array()) return invalid("angles_deg", *it, "an array of numbers, one per projection");
    std::vector<double> angles;
    for (const Json& angle : *it) {
      if (!angle.is_number()) return invalid("angles_deg", *it, "an array of numbers, one per projection");
      angles.push_back(angle.get<double>());
    }
    command.angles_deg = std::move(angles);
  }
  if (std::optional<Error> wrong = protocol::check_scan_plan(command)) {
    wrong->message = "scan plan (user_data): " + wrong->message;
    return *wrong;
  }
  ScanPlan plan = plan_from_command(command);
  if (const auto it = user_data.find("scan_unique_id"); it != user_data.end() && !it->is_null()) {
    const std::optional<std::string> id = unique_id_text(*it);
    if (!id) return invalid("scan_unique_id", *it, "a string or an unsigned integer");
    plan.scan_unique_id = *id;
  }
  if (const auto it = user_data.find("name"); it != user_data.end() && it->is_string()) plan.name = *it;
  if (per_series) {
    const std::optional<FrameKind> kind = kind_named(user_data["image_key"]);
    if (!kind) return invalid("image_key", user_data["image_key"], "\"dark\", \"flat\" or \"projection\"");
    plan.series_kind = kind;
    if (plan.count(*kind) == 0) {
      return Error{ErrorCode::invalid_argument, "scan plan (user_data): a series of image_key \"" +
                                                    std::string(protocol::to_string(*kind)) + "\" with n_" +
                                                    std::string(protocol::to_string(*kind)) + "s = 0"};
    }
  } else {
    const Json& order = user_data["layout"];
    const Json expected = Json::array({"dark", "flat", "projection"});
    if (order != expected) return invalid("layout", order, "[\"dark\", \"flat\", \"projection\"]");
  }
  return std::optional<ScanPlan>(std::move(plan));
}

protocol::Expected<std::optional<FrameKind>> image_key_of(const Json& image_user_data) {
  if (!image_user_data.is_object()) return std::optional<FrameKind>{};
  const auto it = image_user_data.find("image_key");
  if (it == image_user_data.end() || it->is_null()) return std::optional<FrameKind>{};
  const std::optional<FrameKind> kind = kind_named(*it);
  if (!kind) {
    return Error{ErrorCode::invalid_argument,
                 "image user_data: \"image_key\" = " + it->dump().substr(0, 80) +
                     "; expected \"dark\", \"flat\" or \"projection\""};
  }
  return std::optional<FrameKind>(kind);
}

std::optional<std::uint64_t> scan_id_of(const std::string& unique_id) {
  if (unique_id.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(unique_id.data(), unique_id.data() + unique_id.size(), value);
  if (error == std::errc() && end == unique_id.data() + unique_id.size() && value <= kJsonSafeIntegerMask) return value;
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (const char c : unique_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash & kJsonSafeIntegerMask;
}

}  // namespace tomolive::daemon
