#include "command_line.hpp"

#include <utility>

#include "tomolive/protocol/processing_options.hpp"

namespace tomolive::ctl {
namespace {

namespace p = protocol;

// Sets `field` from an option's text through `parse`; a text it refuses is a usage error naming the option.
template <typename Field, typename Parse>
void set_from_text(const std::string& option, const std::optional<std::string>& text, Parse parse,
                   std::optional<Field>& field) {
  if (!text) return;
  auto parsed = parse(*text);
  if (!parsed) throw CLI::ValidationError(option, parsed.error().message);
  field = std::move(parsed).value();
}

}  // namespace

CommandLine::CommandLine() {
  app_.fallthrough();  // the global options may also follow the subcommand: `tomolive-ctl status --json`
  add_connection_options();
  add_daemon_commands();
  add_processing_commands();
  add_alignment_commands();
  add_volume_and_recording_commands();
  add_local_commands();
  app_.require_subcommand(1);
}

void CommandLine::parse(int argc, const char* const* argv) {
  app_.parse(argc, argv);
  for (const auto& entry : subcommands()) {
    if (app_.get_subcommand(std::string(entry.name))->parsed()) invocation_.subcommand = &entry;
  }
  invocation_.watch.json = invocation_.json;
}

CLI::App* CommandLine::add(std::string_view name) {
  const Subcommand& entry = subcommand(name);
  return app_.add_subcommand(std::string(entry.name), std::string(entry.summary));
}

void CommandLine::add_connection_options() {
  Connection& connection = invocation_.connection;
  app_.add_option("--control", connection.endpoint, "the daemon's control endpoint")
      ->envname("TOMOLIVE_CONTROL")
      ->capture_default_str();
  app_.add_option("--timeout-ms", connection.timeout_ms, "how long to wait for a reply, milliseconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app_.add_option("--token", connection.token, "the daemon's control token (its --http-token)")
      ->envname("TOMOLIVE_TOKEN");
  auto* server_key = app_.add_option("--server-key", connection.server_key,
                                     "the daemon's CURVE public key (Z85), when its sockets use CURVE");
  auto* client_key = app_.add_option("--client-key", connection.client_key_file,
                                     "file holding this client's CURVE secret key (Z85), listed in the daemon's "
                                     "--curve-clients by its public key");
  server_key->needs(client_key);
  client_key->needs(server_key);
  app_.add_flag("--json", invocation_.json,
                "print the daemon's reply as one line of JSON (watch: one line per reply) instead of text");
}

void CommandLine::add_daemon_commands() {
  add("status")->callback([this] { invocation_.request = p::GetStatus{}; });

  auto* watch = add("watch");
  watch->add_option("-n,--interval", invocation_.watch.interval_s, "seconds between two status requests (> 0)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  watch->add_option("--count", invocation_.watch.count, "stop after this many samples (0: until q or Ctrl-C)")
      ->capture_default_str();
  watch->callback([this] { invocation_.request = p::GetStatus{}; });

  auto* set_center = add("set-center");
  auto* offset = set_center->add_option("--offset", center_.center_offset_px,
                                        "axis offset from (cols - 1) / 2, detector pixels");
  auto* column = set_center->add_option("--column", center_.center_column_px, "axis as an absolute detector column");
  offset->excludes(column);
  set_center->add_option("--tilt", center_.tilt_deg,
                         "axis tilt to correct, degrees (positive: the axis's column grows down the detector; 0: none)");
  set_center->require_option(1, 2);
  set_center->callback([this] { invocation_.request = center_; });

  auto* set_slices = add("set-slices");
  set_slices->add_option("--xy-row", slices_.xy_row, "detector row of the axial slice");
  set_slices->add_option("--xz-y", slices_.xz_y_px, "y of the XZ slice, pixels from the axis");
  set_slices->add_option("--yz-x", slices_.yz_x_px, "x of the YZ slice, pixels from the axis");
  set_slices->require_option(1, 3);
  set_slices->callback([this] { invocation_.request = slices_; });

  auto* get_slice = add("get-slice");
  get_slice->add_option("slice", slice_name_, "xy, xz, yz or oblique")
      ->required()
      ->check(CLI::IsMember({"xy", "xz", "yz", "oblique"}));
  get_slice->add_option("--out", invocation_.out_path, "output .npy path")->required();
  get_slice->callback([this] { invocation_.request = p::GetSlice{*p::parse_slice_kind(slice_name_)}; });

  auto* estimate_center = add("estimate-center");
  estimate_center->add_option("--method", method_, "registration (opposed projections) or metric (sharpest slice)")
      ->capture_default_str()
      ->check(CLI::IsMember({"registration", "metric"}));
  estimate_center->add_flag("--apply", estimate_.apply, "apply the estimate (the slices recompute)");
  estimate_center->callback([this] {
    estimate_.method = *p::parse_center_method(method_);
    invocation_.request = estimate_;
  });

  auto* sweep_center = add("sweep-center");
  sweep_center->add_option("--start", sweep_.start_offset_px, "first candidate offset, detector pixels")->required();
  sweep_center->add_option("--step", sweep_.step_px, "offset step between candidates, pixels (> 0)")->required();
  sweep_center->add_option("--count", sweep_.count, "candidates, 1..64")->required();
  sweep_center->add_option("--xy-row", sweep_.xy_row, "detector row (default: the XY slice's)");
  sweep_center->add_option("--region", sweep_region_, "ROW0 COL0 ROWS COLS of the XY slice (default: central 512 "
                                                      "square)")
      ->expected(4);
  sweep_center->add_option("--pixel-step", sweep_.pixel_step,
                           "sample the region every N pixels, 1..8 (default: 1 up to 512 pixels a side, else the "
                           "smallest step giving images of at most 512)");
  sweep_center->add_option("--out", invocation_.out_path, "output .npy path")->required();
  sweep_center->callback([this] {
    if (sweep_region_.size() == 4) {
      sweep_.region = p::SliceRegionField{sweep_region_[0], sweep_region_[1], sweep_region_[2], sweep_region_[3]};
    }
    invocation_.request = sweep_;
  });
}

void CommandLine::add_processing_commands() {
  auto* set_processing = add("set-processing");
  set_processing->add_option("--window", window_, "filter window: ram-lak, shepp-logan, cosine, hamming, hann, parzen");
  set_processing->add_option("--zingers", zingers_,
                             "THRESHOLD (relative deviation from the 3 x 3 median transmission, e.g. 0.3) or off");
  set_processing->add_option("--phase", phase_,
                             "Paganin phase retrieval: ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA "
                             "(e.g. 20,0.1,1.0,100) or off");
  set_processing->add_option("--rings", rings_, "ring removal: SIZE (odd, 3..255 detector pixels, e.g. 21) or off");
  set_processing->require_option(1, 4);
  set_processing->callback([this] {
    set_from_text("--window", window_, p::parse_window_text, processing_.window);
    set_from_text("--zingers", zingers_, p::parse_zingers_text, processing_.zingers);
    set_from_text("--phase", phase_, p::parse_phase_text, processing_.phase);
    set_from_text("--rings", rings_, p::parse_rings_text, processing_.rings);
    invocation_.request = processing_;
  });

  auto* sweep_processing = add("sweep-processing");
  sweep_processing->add_option("parameter", sweep_parameter_, "delta_over_beta, ring_size or window")
      ->required()
      ->check(CLI::IsMember({"delta_over_beta", "ring_size", "window"}));
  auto* values = sweep_processing->add_option("--values", sweep_values_, "the candidate values (delta/beta or ring "
                                                                         "sizes)");
  auto* windows = sweep_processing->add_option("--windows", sweep_windows_,
                                               "the candidate windows (window only; default: all six)");
  auto* sweep_start = sweep_processing->add_option("--start", processing_sweep_.start, "first value of a range");
  auto* sweep_stop = sweep_processing->add_option("--stop", processing_sweep_.stop, "last value of a range");
  auto* sweep_count = sweep_processing->add_option("--count", processing_sweep_.count, "candidates of a range, 1..32");
  auto* spacing = sweep_processing->add_option("--spacing", sweep_spacing_,
                                               "log (default for delta_over_beta) or linear (default for ring_size)")
                      ->check(CLI::IsMember({"log", "linear"}));
  sweep_start->needs(sweep_stop)->needs(sweep_count);
  sweep_stop->needs(sweep_start);
  sweep_count->needs(sweep_start);
  spacing->needs(sweep_start);
  values->excludes(windows)->excludes(sweep_start);
  windows->excludes(sweep_start);
  sweep_processing->add_option("--xy-row", processing_sweep_.xy_row, "detector row (default: the XY slice's)");
  sweep_processing->add_option("--region", processing_sweep_region_,
                               "ROW0 COL0 ROWS COLS of the XY slice (default: central 512 square)")
      ->expected(4);
  sweep_processing->add_option("--out", invocation_.out_path, "output .npy path")->required();
  sweep_processing->callback([this] {
    processing_sweep_.parameter = *p::parse_sweep_parameter(sweep_parameter_);
    if (!sweep_values_.empty()) processing_sweep_.values = sweep_values_;
    if (!sweep_windows_.empty()) {
      for (const auto& window : sweep_windows_) {
        if (const auto parsed = p::parse_window_text(window); !parsed) {
          throw CLI::ValidationError("--windows", parsed.error().message);
        }
      }
      processing_sweep_.windows = sweep_windows_;
    }
    if (!sweep_spacing_.empty()) processing_sweep_.spacing = p::parse_sweep_spacing(sweep_spacing_);
    if (processing_sweep_region_.size() == 4) {
      processing_sweep_.region = p::SliceRegionField{processing_sweep_region_[0], processing_sweep_region_[1],
                                                     processing_sweep_region_[2], processing_sweep_region_[3]};
    }
    invocation_.request = processing_sweep_;
  });

  auto* scan_plan = add("scan-plan");
  scan_plan->add_option("--projections", plan_.n_projections, "projections (1..1000000)")->required();
  scan_plan->add_option("--darks", plan_.n_darks, "darks (image ids 0 .. darks - 1)");
  scan_plan->add_option("--flats", plan_.n_flats, "flats (the next image ids)");
  scan_plan->add_option("--first-projection", plan_.first_projection_image_id,
                        "image id of projection 0 (default: darks + flats)");
  auto* range = scan_plan->add_option("--range", plan_.angle_range_deg,
                                      "rotation over the projections, degrees (default 180)");
  auto* start = scan_plan->add_option("--angle-start", plan_.angle_start_deg, "angle of projection 0, degrees");
  auto* step = scan_plan->add_option("--angle-step", plan_.angle_step_deg, "angle step between projections, degrees");
  auto* angles = scan_plan->add_option("--angles", plan_angles_, "every projection's angle, degrees (one per "
                                                                 "projection)");
  start->needs(step);
  step->needs(start);
  range->excludes(start);
  angles->excludes(range)->excludes(start);
  scan_plan->add_option("--center-offset", plan_.center_offset_px, "rotation-axis offset from (cols - 1) / 2, pixels");
  scan_plan->add_option("--name", plan_.name, "the scan's name");
  auto* image_key =
      scan_plan
          ->add_option("--image-key", plan_image_key_,
                       "the per-series form: the next series holds only images of this kind, and the series after "
                       "it the next kinds in the order dark, flat, projection (one scan of up to three series)")
          ->check(CLI::IsMember({"dark", "flat", "projection"}));
  image_key->excludes("--first-projection");
  scan_plan->add_option("--scan-unique-id", plan_.scan_unique_id, "names the scan (its id: PROTOCOL.md 17.3)");
  scan_plan->callback([this] {
    if (!plan_angles_.empty()) plan_.angles_deg = plan_angles_;
    if (!plan_image_key_.empty()) plan_.image_key = p::parse_frame_kind(plan_image_key_);
    invocation_.request = plan_;
  });
}

void CommandLine::add_alignment_commands() {
  auto* set_oblique = add("set-oblique");
  auto* normal = set_oblique->add_option("--normal", oblique_normal_, "the plane's normal: X Y Z (Z: detector rows)")
                     ->expected(3);
  set_oblique->add_option("--offset", oblique_.offset_px, "the plane's offset from the volume's centre, pixels")
      ->needs(normal);
  auto* points = set_oblique->add_option("--points", oblique_points_, "three points X Y Z, one after the other")
                     ->expected(9);
  auto* hide = set_oblique->add_flag("--hide", oblique_hide_, "stop computing the oblique slice");
  normal->excludes(points);
  hide->excludes(normal)->excludes(points);
  set_oblique->require_option(1, 2);
  set_oblique->callback([this] {
    oblique_.enabled = !oblique_hide_;
    if (!oblique_normal_.empty()) oblique_.normal = oblique_normal_;
    if (!oblique_points_.empty()) oblique_.points = oblique_points_;
    invocation_.request = oblique_;
  });

  auto* center_sample = add("center-sample");
  center_sample->add_option("slice", sample_.slice, "xy, xz, yz (a point of that slice) or projections")
      ->required()
      ->check(CLI::IsMember({"xy", "xz", "yz", "projections"}));
  auto* point = center_sample->add_option("--point", sample_point_, "ROW COL of the slice, pixels")->expected(2);
  auto* box = center_sample->add_option("--box", sample_box_, "ROW0 COL0 ROWS COLS of the slice: its centre")
                  ->expected(4);
  point->excludes(box);
  center_sample->add_option("--pixel-size-um", sample_.pixel_size_um,
                            "pixel size for the motions in micrometres (> 0; default: the scan's)")
      ->check(CLI::PositiveNumber);
  center_sample->callback([this] {
    const bool projections = sample_.slice == "projections";
    const bool located = !sample_point_.empty() || !sample_box_.empty();
    if (projections && located) {
      throw CLI::ValidationError("--point/--box", "projections takes neither --point nor --box");
    }
    if (!projections && !located) {
      throw CLI::ValidationError("--point/--box", "the " + sample_.slice + " slice needs --point or --box");
    }
    if (!sample_point_.empty()) sample_.point = sample_point_;
    if (!sample_box_.empty()) sample_.box = sample_box_;
    invocation_.request = sample_;
  });
}

void CommandLine::add_volume_and_recording_commands() {
  auto* reconstruct_volume = add("volume");
  reconstruct_volume->add_option("--region", volume_region_, "ROW0 COL0 ROWS COLS of the XY slice (default: all)")
      ->expected(4);
  reconstruct_volume->add_option("--rows", volume_rows_, "FIRST COUNT detector rows (default: all)")->expected(2);
  reconstruct_volume->add_option("--binning", volume_.binning, "mean of BINNING^3 voxels, 1..16")
      ->capture_default_str();
  reconstruct_volume->callback([this] {
    if (volume_region_.size() == 4) {
      volume_.region = p::SliceRegionField{volume_region_[0], volume_region_[1], volume_region_[2], volume_region_[3]};
    }
    if (volume_rows_.size() == 2) volume_.rows = std::array<std::uint32_t, 2>{volume_rows_[0], volume_rows_[1]};
    invocation_.request = volume_;
  });

  add("cancel-volume")->callback([this] { invocation_.request = p::CancelVolume{}; });

  add("defective-pixels")->callback([this] { invocation_.request = p::GetDefectivePixels{}; });

  auto* record = add("record");
  record->add_option("choice", record_choice_, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  record->callback([this] { invocation_.request = p::Record{record_choice_ == "on"}; });

  auto* preview = add("preview");
  preview->add_option("choice", preview_choice_, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  preview->add_option("--side", preview_side_, "voxels along the preview's longest side, 16..512 (default: as set)");
  preview->callback([this] { invocation_.request = p::SetPreview{preview_choice_ == "on", preview_side_}; });

  auto* capture = add("capture");
  capture->add_option("--after", capture_.after_s, "seconds of frames to take after the ring, 0..3600")
      ->capture_default_str();
  capture->callback([this] { invocation_.request = capture_; });
}

void CommandLine::add_local_commands() {
  add("keygen")->add_option("prefix", invocation_.key_prefix, "path prefix of the two files")->required();
  add("completion")
      ->add_option("shell", invocation_.shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  add("commands");
}

}  // namespace tomolive::ctl
