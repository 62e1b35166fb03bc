#include "tomolive/daemon/config_reloader.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <utility>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/processing_setting.hpp"
#include "tomolive/protocol/processing_options.hpp"

namespace tomolive::daemon {
namespace {

const std::set<std::string> kProcessingKeys{"filter-window", "zingers", "phase", "rings"};
const std::string kSecretKey = "http-token";  // its values are never logged

std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The value as the configuration file writes it ("10.0", "\"hann\"", "[ \"a\" ]").
std::string value_text(const Setting& setting) {
  return format_setting(setting.key, setting.kind, setting.values).substr(setting.key.size() + 3);
}

const Setting& find(const std::vector<Setting>& settings, const std::string& key) {
  return *std::find_if(settings.begin(), settings.end(), [&](const Setting& s) { return s.key == key; });
}

// "key old -> new" (or "key changed" for the token).
std::string describe_change(const Setting& before, const Setting& after) {
  if (before.key == kSecretKey) return before.key + " changed";
  return before.key + " " + value_text(before) + " -> " + value_text(after);
}

// set_processing with the four steps of `settings` (each already checked by load_config).
protocol::SetProcessing processing_request(const std::vector<Setting>& settings) {
  protocol::SetProcessing request;
  request.window = protocol::parse_window_text(find(settings, "filter-window").values.back()).value();
  request.zingers = protocol::parse_zingers_text(find(settings, "zingers").values.back()).value();
  request.phase = protocol::parse_phase_text(find(settings, "phase").values.back()).value();
  request.rings = protocol::parse_rings_text(find(settings, "rings").values.back()).value();
  return request;
}

}  // namespace

const std::set<std::string>& ConfigReloader::reloadable_keys() {
  static const std::set<std::string> keys{"filter-window", "zingers",    "phase",          "rings",
                                          "publish-hz",    "http-token", "status-interval", "log-level"};
  return keys;
}

ConfigReloader::ConfigReloader(std::vector<std::string> arguments, LoadedConfig running, Daemon& daemon,
                               std::string default_file)
    : arguments_(std::move(arguments)), default_file_(std::move(default_file)), running_(std::move(running)),
      daemon_(daemon), loaded_at_(utc_now_iso8601()) {
  report_status();
}

ConfigReloader::Outcome ConfigReloader::reload() {
  Outcome outcome;
  auto loaded = load_config(arguments_, default_file_);
  if (auto* refusal = std::get_if<ConfigRefusal>(&loaded)) {
    last_error_ = refusal->message;
    outcome.error = refusal->message;
    outcome.log_line = "configuration reload refused, the running configuration is kept: " + refusal->message;
    spdlog::error("{}", outcome.log_line);
    report_status();
    return outcome;
  }
  LoadedConfig& next = std::get<LoadedConfig>(loaded);
  std::vector<std::string> changes;
  std::vector<std::string> waiting;
  bool processing_changed = false;
  for (const Setting& after : next.settings) {
    const Setting& before = find(running_.settings, after.key);
    if (value_text(before) == value_text(after)) continue;
    if (reloadable_keys().contains(after.key)) {
      outcome.applied.push_back(after.key);
      changes.push_back(describe_change(before, after));
      processing_changed = processing_changed || kProcessingKeys.contains(after.key);
    } else {
      outcome.restart_needed.push_back(after.key);
      waiting.push_back(describe_change(before, after));
    }
  }
  const auto applied = [&](const std::string& key) {
    return std::find(outcome.applied.begin(), outcome.applied.end(), key) != outcome.applied.end();
  };
  if (processing_changed) {
    const protocol::Reply reply = daemon_.set_processing(processing_request(next.settings));
    if (reply.ok()) {
      running_.config.processing = next.config.processing;
    } else {
      // The engine refused or did not answer: the running setting stays, and the keys still differ.
      std::erase_if(outcome.applied, [](const std::string& key) { return kProcessingKeys.contains(key); });
      changes.push_back("processing not applied: " + reply.error->message);
    }
  }
  if (applied("http-token")) daemon_.set_http_token(next.config.http_token);
  if (applied("publish-hz")) daemon_.set_publish_hz(next.config.publish_hz);
  if (applied("log-level")) spdlog::set_level(spdlog::level::from_str(next.config.log_level));
  running_.config.http_token = next.config.http_token;
  running_.config.publish_hz = next.config.publish_hz;
  running_.config.log_level = next.config.log_level;
  running_.config.status_interval_s = next.config.status_interval_s;
  for (const std::string& key : outcome.applied) {
    *std::find_if(running_.settings.begin(), running_.settings.end(), [&](const Setting& s) { return s.key == key; }) =
        find(next.settings, key);
  }
  running_.file = next.file;
  ++reloads_;
  loaded_at_ = utc_now_iso8601();
  last_error_.clear();
  restart_needed_ = outcome.restart_needed;

  const std::string source = next.file.empty() ? "the command line (no configuration file)" : next.file;
  outcome.log_line = "configuration reloaded from " + source + ": " +
                     (changes.empty() ? std::string("nothing to apply") : fmt::format("{}", fmt::join(changes, ", ")));
  if (!waiting.empty()) {
    outcome.log_line += fmt::format("; needs a restart, not applied: {}", fmt::join(waiting, ", "));
  }
  spdlog::info("{}", outcome.log_line);
  report_status();
  return outcome;
}

void ConfigReloader::report_status() {
  daemon_.set_config_status(protocol::ConfigStatus{running_.file, loaded_at_, reloads_, last_error_,
                                                   fmt::format("{}", fmt::join(restart_needed_, ", "))});
}

}  // namespace tomolive::daemon
