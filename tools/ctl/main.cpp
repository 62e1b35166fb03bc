// tomolive-ctl: command-line control client. Sends one control command to a running tomolived over its REQ/REP
// control socket (PROTOCOL.md, "Control") and prints the reply. Exit status: 0 ok, 1 the daemon refused the command
// or did not answer, 2 usage error. With --token it sends the daemon's control token; with --server-key and
// --client-key it authenticates by CURVE (PROTOCOL.md 2, "Security"); `keygen` makes CURVE key pairs. `volume` and
// `cancel-volume` start and stop a full volume; they answer at once, the volume is written after the reply.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <msgpack.hpp>
#include <zmq.hpp>

#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/processing_options.hpp"
#include "tomolive/sim/npy.hpp"

namespace {

using tomolive::protocol::ControlRequest;

struct Exchange {
  std::optional<tomolive::protocol::Bytes> reply;
  std::optional<zmq::message_t> payload;
};

// How to reach the daemon: its endpoint, the control token, and the CURVE keys when its sockets use them.
struct Connection {
  std::string endpoint = "tcp://127.0.0.1:5557";
  std::string token;            // PROTOCOL.md 10.1 "token"; empty: none sent
  std::string server_key;       // the daemon's CURVE public key (Z85); empty: plain socket
  std::string client_key_file;  // this client's CURVE secret key (Z85, first line); its public key is derived
};

// The first word of the first line of `path` that is not blank and not a comment ('#' first).
std::string read_key(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(path + ": cannot be read");
  std::string word;
  for (std::string line; std::getline(file, line);) {
    std::istringstream words(line);
    if (words >> word && word.front() != '#') return word;
  }
  throw std::runtime_error(path + ": holds no key");
}

void use_curve(zmq::socket_t& socket, const Connection& connection) {
  if (connection.server_key.empty()) return;
  const std::string secret = read_key(connection.client_key_file);
  char public_key[41] = {};
  if (zmq_curve_public(public_key, secret.c_str()) != 0) {
    throw std::runtime_error(connection.client_key_file + ": not a CURVE secret key");
  }
  socket.set(zmq::sockopt::curve_serverkey, connection.server_key);
  socket.set(zmq::sockopt::curve_publickey, std::string(public_key));
  socket.set(zmq::sockopt::curve_secretkey, secret);
}

Exchange send_request(const Connection& connection, const ControlRequest& request, int timeout_ms) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::req);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
  use_curve(socket, connection);
  socket.connect(connection.endpoint);
  const auto bytes = tomolive::protocol::encode(request, connection.token);
  socket.send(zmq::message_t(bytes.data(), bytes.size()), zmq::send_flags::none);
  Exchange exchange;
  zmq::message_t reply;
  if (!socket.recv(reply, zmq::recv_flags::none)) return exchange;
  const auto* data = static_cast<const std::byte*>(reply.data());
  exchange.reply = tomolive::protocol::Bytes(data, data + reply.size());
  if (reply.more()) {
    zmq::message_t payload;
    (void)socket.recv(payload, zmq::recv_flags::none);
    exchange.payload = std::move(payload);
  }
  return exchange;
}

// Writes a new CURVE key pair as PREFIX.key (the secret key, readable by the owner only) and PREFIX.pub, each one
// Z85 line; false (with the reason on stderr) when a file cannot be written.
bool write_key_pair(const std::string& prefix) {
  char public_key[41] = {}, secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    std::cerr << "tomolive-ctl: this libzmq cannot make CURVE keys: " << zmq_strerror(zmq_errno()) << '\n';
    return false;
  }
  const std::filesystem::path secret_path = prefix + ".key", public_path = prefix + ".pub";
  {
    std::ofstream secret(secret_path);
    std::filesystem::permissions(secret_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    secret << "# tomolive CURVE secret key: keep it private\n" << secret_key << '\n';
    if (!secret) {
      std::cerr << "tomolive-ctl: cannot write " << secret_path << '\n';
      return false;
    }
  }
  std::ofstream(public_path) << public_key << '\n';
  std::cout << "public key " << public_key << " in " << public_path.string() << ", secret key in "
            << secret_path.string() << '\n';
  return true;
}

// Prints the reply map as JSON text (msgpack-cxx's printer); false when the reply is not msgpack.
bool print_reply(const tomolive::protocol::Bytes& reply) {
  try {
    const auto handle = msgpack::unpack(reinterpret_cast<const char*>(reply.data()), reply.size());
    std::cout << handle.get() << '\n';
    return true;
  } catch (const msgpack::unpack_error& e) {
    std::cerr << "tomolive-ctl: the reply is not msgpack: " << e.what() << '\n';
    return false;
  }
}

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

int main(int argc, char** argv) {
  CLI::App app{"tomolive-ctl: send a control command to tomolived"};
  Connection connection;
  int timeout_ms = 15000;
  app.add_option("--control", connection.endpoint, "the daemon's control endpoint")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "how long to wait for the reply")->capture_default_str();
  app.add_option("--token", connection.token, "the daemon's control token (its --http-token)")
      ->envname("TOMOLIVE_TOKEN");
  auto* server_key = app.add_option("--server-key", connection.server_key,
                                    "the daemon's CURVE public key (Z85), when its sockets use CURVE");
  auto* client_key = app.add_option("--client-key", connection.client_key_file,
                                    "file holding this client's CURVE secret key (Z85), listed in the daemon's "
                                    "--curve-clients by its public key");
  server_key->needs(client_key);
  client_key->needs(server_key);
  app.require_subcommand(1);

  std::string key_prefix;
  auto* keygen = app.add_subcommand("keygen", "make a CURVE key pair: PREFIX.key (secret) and PREFIX.pub (public)");
  keygen->add_option("prefix", key_prefix, "path prefix of the two files")->required();

  ControlRequest request;
  auto* status = app.add_subcommand("status", "print the daemon's status and counters");
  status->callback([&] { request = tomolive::protocol::GetStatus{}; });

  tomolive::protocol::SetCenter center;
  auto* set_center = app.add_subcommand("set-center", "set the rotation axis (recomputes the slices)");
  auto* offset = set_center->add_option("--offset", center.center_offset_px,
                                        "axis offset from (cols - 1) / 2, detector pixels");
  auto* column = set_center->add_option("--column", center.center_column_px, "axis as an absolute detector column");
  offset->excludes(column);
  set_center->require_option(1);
  set_center->callback([&] { request = center; });

  tomolive::protocol::SetSlices slices;
  auto* set_slices = app.add_subcommand("set-slices", "move slices (recomputes the moved ones)");
  set_slices->add_option("--xy-row", slices.xy_row, "detector row of the axial slice");
  set_slices->add_option("--xz-y", slices.xz_y_px, "y of the XZ slice, pixels from the axis");
  set_slices->add_option("--yz-x", slices.yz_x_px, "x of the YZ slice, pixels from the axis");
  set_slices->require_option(1, 3);
  set_slices->callback([&] { request = slices; });

  std::string slice_name;
  std::string out_path;
  auto* get_slice = app.add_subcommand("get-slice", "fetch the newest slice and write it as .npy (float32)");
  get_slice->add_option("slice", slice_name, "xy, xz, yz or oblique")
      ->required()
      ->check(CLI::IsMember({"xy", "xz", "yz", "oblique"}));
  get_slice->add_option("--out", out_path, "output .npy path")->required();
  get_slice->callback([&] {
    request = tomolive::protocol::GetSlice{*tomolive::protocol::parse_slice_kind(slice_name)};
  });

  tomolive::protocol::SetObliqueSlice oblique;
  std::vector<double> oblique_normal, oblique_points;
  bool oblique_hide = false;
  auto* set_oblique = app.add_subcommand("set-oblique", "show the oblique slice on a plane, or hide it (PROTOCOL.md "
                                                        "10.9)");
  auto* normal = set_oblique->add_option("--normal", oblique_normal, "the plane's normal: x y z (z: detector rows)")
                     ->expected(3);
  set_oblique->add_option("--offset", oblique.offset_px, "the plane's offset from the volume's centre, pixels")
      ->needs(normal);
  auto* points = set_oblique->add_option("--points", oblique_points, "three points x y z, one after the other")
                     ->expected(9);
  auto* hide = set_oblique->add_flag("--hide", oblique_hide, "stop computing the oblique slice");
  normal->excludes(points);
  hide->excludes(normal)->excludes(points);
  set_oblique->require_option(1, 2);
  set_oblique->callback([&] {
    oblique.enabled = !oblique_hide;
    if (!oblique_normal.empty()) oblique.normal = oblique_normal;
    if (!oblique_points.empty()) oblique.points = oblique_points;
    request = oblique;
  });

  tomolive::protocol::EstimateCenter estimate;
  std::string method = "registration";
  auto* estimate_center = app.add_subcommand("estimate-center", "estimate the center of rotation (PROTOCOL.md 10.4)");
  estimate_center->add_option("--method", method, "registration (opposed projections) or metric (sharpest slice)")
      ->capture_default_str()
      ->check(CLI::IsMember({"registration", "metric"}));
  estimate_center->add_flag("--apply", estimate.apply, "apply the estimate (the slices recompute)");
  estimate_center->callback([&] {
    estimate.method = *tomolive::protocol::parse_center_method(method);
    request = estimate;
  });

  tomolive::protocol::SweepCenter sweep;
  std::vector<std::uint32_t> region;
  auto* sweep_center = app.add_subcommand(
      "sweep-center", "reconstruct the axial slice at candidate centers; write them as one .npy (count x rows x cols)");
  sweep_center->add_option("--start", sweep.start_offset_px, "first candidate offset, detector pixels")->required();
  sweep_center->add_option("--step", sweep.step_px, "offset step between candidates, pixels (> 0)")->required();
  sweep_center->add_option("--count", sweep.count, "candidates, 1..64")->required();
  sweep_center->add_option("--xy-row", sweep.xy_row, "detector row (default: the XY slice's)");
  sweep_center->add_option("--region", region, "ROW0 COL0 ROWS COLS of the XY slice (default: central 512 square)")
      ->expected(4);
  sweep_center->add_option("--out", out_path, "output .npy path")->required();
  sweep_center->callback([&] {
    if (region.size() == 4) sweep.region = tomolive::protocol::SliceRegionField{region[0], region[1], region[2], region[3]};
    request = sweep;
  });

  tomolive::protocol::SetProcessing processing;
  std::optional<std::string> window, zingers, phase, rings;
  auto* set_processing = app.add_subcommand(
      "set-processing", "change the projection processing; the resident projections are re-filtered (PROTOCOL.md "
                        "10.5)");
  set_processing->add_option("--window", window, "filter window: ram-lak, shepp-logan, cosine, hamming, hann, parzen");
  set_processing->add_option("--zingers", zingers,
                             "THRESHOLD (relative deviation from the 3 x 3 median transmission, e.g. 0.3) or off");
  set_processing->add_option("--phase", phase,
                             "Paganin phase retrieval: ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA "
                             "(e.g. 20,0.1,1.0,100) or off");
  set_processing->add_option("--rings", rings, "ring removal: SIZE (odd, 3..255 detector pixels, e.g. 21) or off");
  set_processing->require_option(1, 4);
  set_processing->callback([&] {
    set_from_text("--window", window, tomolive::protocol::parse_window_text, processing.window);
    set_from_text("--zingers", zingers, tomolive::protocol::parse_zingers_text, processing.zingers);
    set_from_text("--phase", phase, tomolive::protocol::parse_phase_text, processing.phase);
    set_from_text("--rings", rings, tomolive::protocol::parse_rings_text, processing.rings);
    request = processing;
  });

  tomolive::protocol::SetScanPlan plan;
  auto* scan_plan = app.add_subcommand(
      "scan-plan", "post the scan plan of the next detector series that brings none (PROTOCOL.md \"Scan plans\"): "
                   "darks, flats, then projections in one series");
  scan_plan->add_option("--projections", plan.n_projections, "projections (1..1000000)")->required();
  scan_plan->add_option("--darks", plan.n_darks, "darks (image ids 0 .. darks - 1)");
  scan_plan->add_option("--flats", plan.n_flats, "flats (the next image ids)");
  scan_plan->add_option("--first-projection", plan.first_projection_image_id,
                        "image id of projection 0 (default: darks + flats)");
  auto* range = scan_plan->add_option("--range", plan.angle_range_deg,
                                      "rotation over the projections, degrees (default 180)");
  auto* start = scan_plan->add_option("--angle-start", plan.angle_start_deg, "angle of projection 0, degrees");
  auto* step = scan_plan->add_option("--angle-step", plan.angle_step_deg, "angle step between projections, degrees");
  start->needs(step);
  step->needs(start);
  range->excludes(start);
  scan_plan->add_option("--center-offset", plan.center_offset_px, "rotation-axis offset from (cols - 1) / 2, pixels");
  scan_plan->add_option("--name", plan.name, "the scan's name");
  scan_plan->callback([&] { request = plan; });

  tomolive::protocol::ReconstructVolume volume;
  std::vector<std::uint32_t> volume_region, volume_rows;
  auto* reconstruct_volume = app.add_subcommand(
      "volume", "reconstruct the scan's full volume from the resident projections and write it (PROTOCOL.md 10.6)");
  reconstruct_volume->add_option("--region", volume_region, "ROW0 COL0 ROWS COLS of the XY slice (default: all)")
      ->expected(4);
  reconstruct_volume->add_option("--rows", volume_rows, "FIRST COUNT detector rows (default: all)")->expected(2);
  reconstruct_volume->add_option("--binning", volume.binning, "mean of BINNING^3 voxels, 1..16")
      ->capture_default_str();
  reconstruct_volume->callback([&] {
    if (volume_region.size() == 4) {
      volume.region =
          tomolive::protocol::SliceRegionField{volume_region[0], volume_region[1], volume_region[2], volume_region[3]};
    }
    if (volume_rows.size() == 2) volume.rows = std::array<std::uint32_t, 2>{volume_rows[0], volume_rows[1]};
    request = volume;
  });

  auto* cancel_volume = app.add_subcommand("cancel-volume", "cancel the volume being computed or written");
  cancel_volume->callback([&] { request = tomolive::protocol::CancelVolume{}; });

  std::string record_choice;
  auto* record = app.add_subcommand(
      "record", "record the next scan (on) or not (off; also stops the active recording) (PROTOCOL.md 18)");
  record->add_option("choice", record_choice, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  record->callback([&] { request = tomolive::protocol::Record{record_choice == "on"}; });

  auto* defective_pixels = app.add_subcommand(
      "defective-pixels",
      "the scan's defective-pixel map: counts and (row, col, kind) of each pixel (PROTOCOL.md 10.10)");
  defective_pixels->callback([&] { request = tomolive::protocol::GetDefectivePixels{}; });

  tomolive::protocol::Capture capture;
  auto* capture_command = app.add_subcommand(
      "capture", "write the capture ring plus the next seconds of raw frames to an NXtomo file (PROTOCOL.md 18.1)");
  capture_command->add_option("--after", capture.after_s, "seconds of frames to take after the ring, 0..3600")
      ->capture_default_str();
  capture_command->callback([&] { request = capture; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (keygen->parsed()) return write_key_pair(key_prefix) ? 0 : 1;
  Exchange exchange;
  try {
    exchange = send_request(connection, request, timeout_ms);
  } catch (const std::exception& e) {
    std::cerr << "tomolive-ctl: " << e.what() << '\n';
    return 1;
  }
  if (!exchange.reply) {
    std::cerr << "tomolive-ctl: no reply from " << connection.endpoint << " within " << timeout_ms << " ms\n";
    return 1;
  }
  if (!print_reply(*exchange.reply)) return 1;
  const auto reply = tomolive::protocol::decode_reply(*exchange.reply);
  if (!reply || !reply->ok()) return 1;
  if (const auto* slice = std::get_if<tomolive::protocol::SliceUpdate>(&reply->result)) {
    if (!exchange.payload || exchange.payload->size() != std::size_t{slice->rows} * slice->cols * sizeof(float)) {
      std::cerr << "tomolive-ctl: the slice payload is missing or has the wrong size\n";
      return 1;
    }
    const auto* values = static_cast<const float*>(exchange.payload->data());
    tomolive::sim::write_npy(out_path, std::span<const float>(values, std::size_t{slice->rows} * slice->cols),
                             {slice->rows, slice->cols});
    std::cerr << "wrote " << out_path << " (" << slice->rows << " x " << slice->cols << ")\n";
  }
  if (const auto* swept = std::get_if<tomolive::protocol::SweepResult>(&reply->result)) {
    const std::size_t count = swept->centers_px.size();
    const std::size_t values = count * swept->region[2] * swept->region[3];
    if (!exchange.payload || exchange.payload->size() != values * sizeof(float)) {
      std::cerr << "tomolive-ctl: the sweep payload is missing or has the wrong size\n";
      return 1;
    }
    tomolive::sim::write_npy(out_path,
                             std::span<const float>(static_cast<const float*>(exchange.payload->data()), values),
                             {count, swept->region[2], swept->region[3]});
    std::cerr << "wrote " << out_path << " (" << count << " x " << swept->region[2] << " x " << swept->region[3]
              << ")\n";
  }
  if (const auto* volume_status = std::get_if<tomolive::protocol::VolumeStatus>(&reply->result)) {
    std::cerr << "volume of scan " << volume_status->scan_id << ": " << volume_status->state << ", "
              << volume_status->shape[0] << " x " << volume_status->shape[1] << " x " << volume_status->shape[2]
              << " (z, y, x), " << volume_status->slabs_written << " of " << volume_status->slabs_total
              << " slabs written, " << volume_status->path << '\n';
  }
  if (const auto* changed = std::get_if<tomolive::protocol::ProcessingResult>(&reply->result)) {
    const auto& refilter = changed->refilter;
    if (refilter.projections == 0) {
      std::cerr << "no projections held: the setting applies from the next scan on\n";
    } else {
      std::cerr << "re-filtered " << refilter.projections << " projections in " << refilter.elapsed_ms << " ms ("
                << refilter.zingers_replaced << " zingers replaced, " << refilter.clamped_values
                << " values clamped after phase retrieval)\n";
    }
  }
  return 0;
}
