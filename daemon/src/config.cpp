#include "tomolive/daemon/config.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include <CLI/CLI.hpp>

#include "tomolive/daemon/processing_setting.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/processing_options.hpp"

namespace tomolive::daemon {
namespace {

// The text of the processing options (PROTOCOL.md 10.5).
struct ProcessingOptions {
  std::string window = "ram-lak";
  std::string zingers = "off";
  std::string phase = "off";
  std::string rings = "off";
  // Defective pixels (PROTOCOL.md 10.10): the switch and the three thresholds, as numbers.
  std::string defective_pixels = "on";
  double dead_threshold = kernels::DefectivePixelDetection{}.dead_threshold;
  double hot_threshold = kernels::DefectivePixelDetection{}.hot_threshold;
  double noisy_threshold = kernels::DefectivePixelDetection{}.noisy_threshold;
};

// The processing setting the options give, or the message for the first that is wrong (unreadable or out of range).
std::variant<kernels::ProcessingParams, std::string> read_processing(const ProcessingOptions& options) {
  protocol::SetProcessing request;
  std::optional<std::string> error;
  const auto take = [&error](std::string_view option, auto parsed, auto& field) {
    if (error) return;
    if (parsed) {
      field = std::move(parsed).value();
    } else {
      error = std::string(option) + ": " + parsed.error().message;
    }
  };
  take("--filter-window", protocol::parse_window_text(options.window), request.window);
  take("--zingers", protocol::parse_zingers_text(options.zingers), request.zingers);
  take("--phase", protocol::parse_phase_text(options.phase), request.phase);
  take("--rings", protocol::parse_rings_text(options.rings), request.rings);
  if (error) return *error;
  request.defective_pixels = protocol::DefectivePixelsUpdate{options.defective_pixels == "on", options.dead_threshold,
                                                             options.hot_threshold, options.noisy_threshold};
  const kernels::ProcessingParams params = apply_update(kernels::ProcessingParams{}, request);
  try {
    kernels::check_processing(params);
  } catch (const kernels::EngineError& e) {
    return std::string("processing options: ") + e.what();
  }
  return params;
}

// The plan of --scan-plan DARKS,FLATS,PROJECTIONS[,RANGE_DEG], or the message saying what is wrong.
std::variant<protocol::SetScanPlan, std::string> read_scan_plan(const std::string& text) {
  std::vector<double> values;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    try {
      std::size_t used = 0;
      const std::string item = text.substr(at, comma - at);
      values.push_back(std::stod(item, &used));
      if (used != item.size()) values.clear();
    } catch (const std::exception&) {
      values.clear();
    }
    if (values.empty()) break;
    at = comma + 1;
  }
  const auto whole = [](double v) { return v >= 0 && v == static_cast<double>(static_cast<std::uint32_t>(v)); };
  if ((values.size() != 3 && values.size() != 4) || !whole(values[0]) || !whole(values[1]) || !whole(values[2])) {
    return "--scan-plan: \"" + text + "\" is not DARKS,FLATS,PROJECTIONS[,ANGLE_RANGE_DEG] (e.g. 4,4,180,180)";
  }
  protocol::SetScanPlan plan;
  plan.n_darks = static_cast<std::uint32_t>(values[0]);
  plan.n_flats = static_cast<std::uint32_t>(values[1]);
  plan.n_projections = static_cast<std::uint32_t>(values[2]);
  if (values.size() == 4) plan.angle_range_deg = values[3];
  if (std::optional<protocol::Error> error = protocol::check_scan_plan(plan)) return "--scan-plan: " + error->message;
  return plan;
}

}  // namespace

std::optional<std::pair<std::string, std::uint16_t>> parse_address_port(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string address = text.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (address.empty() || port < 0 || port > 65535) return std::nullopt;
  return std::pair{address, static_cast<std::uint16_t>(port)};
}

std::variant<DaemonConfig, int> parse_command_line(int argc, char** argv) {
  DaemonConfig config;
  CLI::App app{"tomolived: live tomographic reconstruction daemon (see README.md and protocol/PROTOCOL.md)"};
  app.set_version_flag("--version", std::string(TOMOLIVE_VERSION));

  std::vector<std::string> data_connect;
  app.add_option("--data", config.data_endpoints,
                 "ZeroMQ endpoint to bind a data PULL socket on; repeat for several streams")
      ->capture_default_str();
  app.add_option("--data-connect", data_connect,
                 "connect a data PULL socket to a detector that binds a PUSH (instead of binding --data); repeatable");
  app.add_option("--data-hwm", config.data_receive_hwm, "ZeroMQ receive high-water mark of the data socket (messages)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--rdma", config.rdma_endpoints,
                 "ADDRESS:PORT to receive RDMA senders on (rdma_cm; an address of an InfiniBand or RoCE interface); "
                 "repeatable; each sender gets its own queue pair (PROTOCOL.md, RDMA)");
  std::uint32_t rdma_max_slot_mib = config.rdma_limits.max_slot_bytes >> 20;
  app.add_option("--rdma-max-slot-mib", rdma_max_slot_mib,
                 "largest RDMA slot (frame payload) a sender may ask for, MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 2047));
  app.add_option("--rdma-max-slots", config.rdma_limits.max_slots,
                 "most RDMA slots (frames in flight) per sender; each holds memory of the slot size")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  std::string data_format = "auto";
  app.add_option("--data-format", data_format,
                 "format of the data sockets' messages: auto (recognised per message), native, dectris2 (DECTRIS "
                 "Stream V2, CBOR), dectris1 (DECTRIS Stream V1, JSON) or array (array-1.0: ADZMQ, PSI, UFO)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "native", "dectris2", "dectris1", "array"}));
  app.add_option("--decode-threads", config.decode_threads,
                 "threads that decompress and decode detector images (0 = the cores minus 4, at least 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  std::string scan_plan;
  app.add_option("--scan-plan", scan_plan,
                 "DARKS,FLATS,PROJECTIONS[,ANGLE_RANGE_DEG]: the scan plan of every detector series that brings "
                 "none in its user_data and finds none posted by set_scan_plan (PROTOCOL.md \"Scan plans\"); "
                 "the series holds its darks, flats, then projections; the range defaults to 180 degrees");
  app.add_option("--max-held-images", config.max_held_images,
                 "images of a detector series without a scan plan held per data socket until one comes; beyond, "
                 "the series is refused")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--data-curve-secret-key", config.data_curve_secret_key_file,
                 "file holding the daemon's CURVE secret key for its data sockets: bound data sockets become CURVE "
                 "servers allowing the keys of --curve-clients; connected ones (--data-connect) CURVE clients of "
                 "the detector named by --data-curve-server-key");
  app.add_option("--data-curve-server-key", config.data_curve_server_key_file,
                 "file holding the public CURVE key (Z85) of a detector that binds its PUSH as a CURVE server; "
                 "needs --data-connect and --data-curve-secret-key");
  app.add_option("--slices", config.slices_endpoint, "ZeroMQ endpoint to bind the slice PUB socket on")
      ->capture_default_str();
  app.add_option("--events", config.events_endpoint,
                 "ZeroMQ endpoint to bind the event PUB socket on (errors, scan begun/ended)")
      ->capture_default_str();
  app.add_option("--control", config.control_endpoint, "ZeroMQ endpoint to bind the control REP socket on")
      ->capture_default_str();
  std::string http = "127.0.0.1:8080";
  app.add_option("--http", http,
                 "ADDRESS:PORT to serve the viewer and the browsers' WebSocket on (e.g. 0.0.0.0:8080 for every "
                 "interface; port 0 picks a free one), or \"off\"")
      ->capture_default_str();
  app.add_option("--http-token", config.http_token,
                 "secret needed to control the daemon: browsers give it as ?token=... in the page address, ZeroMQ "
                 "control requests as \"token\"; without it, control from browsers is allowed on loopback only and "
                 "other viewers are read-only");
  app.add_option("--curve-secret-key", config.curve_secret_key_file,
                 "file holding the daemon's CURVE secret key (Z85); with --curve-clients, every bound ZeroMQ socket "
                 "authenticates and encrypts (tomolive-ctl keygen makes keys)");
  app.add_option("--curve-clients", config.curve_clients_file,
                 "file listing the CURVE public keys (Z85, one per line) allowed to connect");
  app.add_flag("--insecure-network", config.insecure_network,
               "allow ZeroMQ sockets bound beyond loopback without CURVE: anyone on the network may send data and "
               "commands");
  app.add_option("--viewer-dir", config.viewer_dir, "folder of the viewer's static files")->capture_default_str();
  app.add_option("--http-threads", config.http_threads, "HTTP/WebSocket I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--http-max-connections", config.http_max_connections,
                 "HTTP and WebSocket connections open at once (viewer files and browsers); more are answered 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  app.add_option("--zmq-io-threads", config.zmq_io_threads, "ZeroMQ I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));

  const std::map<std::string, EngineChoice> engines{
      {"auto", EngineChoice::automatic}, {"cpu", EngineChoice::cpu}, {"cuda", EngineChoice::cuda}};
  app.add_option("--engine", config.engine.choice,
                 "reconstruction engine: auto (CUDA when a usable device exists), cpu or cuda")
      ->transform(CLI::CheckedTransformer(engines, CLI::ignore_case))
      ->default_str("auto");
  double memory_limit_mib = 0;
  app.add_option("--cpu-memory-limit-mib", memory_limit_mib,
                 "memory the CPU engine may use for one scan, MiB (0 = half of physical memory)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cpu-threads", config.engine.cpu_threads, "CPU engine worker threads (0 = all cores)");

  const std::map<std::string, DaemonConfig::IngestCopy> copies{{"auto", DaemonConfig::IngestCopy::automatic},
                                                               {"on", DaemonConfig::IngestCopy::on},
                                                               {"off", DaemonConfig::IngestCopy::off}};
  app.add_option("--ingest-copy", config.ingest_copy,
                 "copy frames into the engine's preferred memory on the ingest threads: auto (when the engine has "
                 "one, e.g. page-locked for CUDA), on, off")
      ->transform(CLI::CheckedTransformer(copies, CLI::ignore_case))
      ->default_str("auto");
  const std::map<std::string, QueuePolicy> policies{{"block", QueuePolicy::block},
                                                    {"drop_oldest", QueuePolicy::drop_oldest}};
  app.add_option("--queue-capacity", config.queue_capacity, "frames queued between ingest and engine")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--queue-policy", config.queue_policy,
                 "when the queue is full: block (backpressure to the sender, nothing lost) or drop_oldest (counted)")
      ->transform(CLI::CheckedTransformer(policies, CLI::ignore_case))
      ->default_str("block");
  app.add_option("--record", config.record_dir,
                 "record every scan's raw stream to an NXtomo HDF5 file in this directory (PROTOCOL.md 18): "
                 "scan_<id>_<name>.nxs, named .partial until the scan ended cleanly; off when empty")
      ->capture_default_str();
  const std::map<std::string, DaemonConfig::RecordScans> record_scans{
      {"all", DaemonConfig::RecordScans::all}, {"on_command", DaemonConfig::RecordScans::on_command}};
  app.add_option("--record-scans", config.record_scans,
                 "which scans --record records: all, or on_command (only a scan that a record command asked for; "
                 "PROTOCOL.md 18)")
      ->transform(CLI::CheckedTransformer(record_scans, CLI::ignore_case))
      ->default_str("all");
  const std::map<std::string, RecordPolicy> record_policies{{"block", RecordPolicy::block},
                                                            {"stop", RecordPolicy::stop}};
  app.add_option("--record-policy", config.record_policy,
                 "when the disk is slower than the stream and the recording queue is full: stop (stop recording "
                 "the scan, keep reconstructing; counted) or block (ingest waits for the disk, nothing lost)")
      ->transform(CLI::CheckedTransformer(record_policies, CLI::ignore_case))
      ->default_str("stop");
  app.add_option("--record-queue-frames", config.record_queue_frames, "frames waiting for the recording's writer, at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--record-queue-mb", config.record_queue_mb,
                 "pixel megabytes (MiB) waiting for the recording's writer, at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--record-flush-s", config.record_flush_s,
                 "seconds between flushes (HDF5 flush + fsync) of a recording: a crash loses at most this much")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--capture-ring-s", config.capture_ring_s,
                 "keep the last this many seconds of raw projections (and the scan's darks and flats) in host memory "
                 "for the capture command (PROTOCOL.md 18.1); 0: no ring")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--capture-ring-mb", config.capture_ring_mb,
                 "pixel megabytes (MiB) the capture ring keeps, at most (the oldest projections leave first)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--capture-dir", config.capture_dir,
                 "where captures are written; empty: the --record directory, else the working directory")
      ->capture_default_str();
  std::string auto_center = "off";
  app.add_option("--auto-center", auto_center,
                 "estimate the center of rotation by this method once half of a scan's projections have arrived, and "
                 "apply it: off, registration (opposed projections) or metric (sharpest slice)")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "registration", "metric"}));
  ProcessingOptions processing;
  app.add_option("--filter-window", processing.window,
                 "apodisation of the ramp filter: ram-lak, shepp-logan, cosine, hamming, hann or parzen "
                 "(PROTOCOL.md 10.5; changeable with set_processing)")
      ->capture_default_str();
  app.add_option("--zingers", processing.zingers,
                 "zinger removal: THRESHOLD (a pixel whose transmission differs from its 3 x 3 median by more than "
                 "this fraction of it is replaced, e.g. 0.3) or off")
      ->capture_default_str();
  app.add_option("--phase", processing.phase,
                 "Paganin phase retrieval: ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA (photon energy, "
                 "propagation distance, pixel size at the sample, delta/beta; e.g. 20,0.1,1.0,100) or off")
      ->capture_default_str();
  app.add_option("--rings", processing.rings,
                 "ring removal: SIZE (odd width of the median across detector columns, 3..255 pixels, e.g. 21) or off")
      ->capture_default_str();
  app.add_option("--defective-pixels", processing.defective_pixels,
                 "defective-pixel map from each scan's darks and flats (plus the detector's mask), masked pixels "
                 "interpolated from their row neighbours before -log: on or off (PROTOCOL.md 10.10; changeable with "
                 "set_processing, for the next scan)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--dead-threshold", processing.dead_threshold,
                 "a pixel is dead when its open-beam signal (flat - dark) is <= 0 or below this fraction of the "
                 "median of its row neighbours' (0 < t < 1)")
      ->capture_default_str();
  app.add_option("--hot-threshold", processing.hot_threshold,
                 "a pixel is hot when its dark exceeds the median of its row neighbours' by more than this many "
                 "robust sigmas (1.4826 x MAD over the frame)")
      ->capture_default_str();
  app.add_option("--noisy-threshold", processing.noisy_threshold,
                 "a pixel is noisy when its standard deviation across >= 3 darks (or flats) exceeds the frame's "
                 "median by more than this many robust sigmas")
      ->capture_default_str();
  app.add_flag("--volume-at-end", config.volume.at_end,
               "reconstruct every scan's full volume from the resident store when the scan ends (PROTOCOL.md 10.6)");
  std::string volume_dir;
  app.add_option("--volume-dir", volume_dir,
                 "folder for volumes and their catalogue sidecars (default: the --record directory when recording, "
                 "else the working directory)");
  std::string volume_format = "hdf5", volume_dtype = "float32", volume_compression = "none";
  app.add_option("--volume-format", volume_format,
                 "hdf5 (one chunked dataset), tiff (one float32 file per z) or zarr (OME-Zarr 0.4 with a pyramid)")
      ->capture_default_str()
      ->check(CLI::IsMember({"hdf5", "tiff", "zarr"}));
  app.add_option("--volume-dtype", volume_dtype,
                 "stored values: float32, float16, or uint16 scaled to the axial slice's range (scale recorded)")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "float16", "uint16"}));
  app.add_option("--volume-compression", volume_compression, "OME-Zarr chunks: none or zstd")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "zstd"}));
  app.add_flag("--volume-overwrite", config.volume.overwrite,
               "replace an existing volume of the same scan id and name (default: refused, with a disk_error)");
  double volume_host_mib = static_cast<double>(config.volume.host_memory_bytes >> 20);
  app.add_option("--volume-host-memory-mib", volume_host_mib,
                 "host memory for computed slabs waiting to be written, MiB (a volume that fits is computed without "
                 "waiting for the disk)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--publish-hz", config.publish_hz, "most slice updates published per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 10000.0));
  app.add_option("--status-interval", config.status_interval_s, "seconds between status log lines (0 = none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  std::int64_t command_timeout_ms = config.command_timeout.count();
  app.add_option("--command-timeout-ms", command_timeout_ms,
                 "budget of each stage of a control command that needs the engine, milliseconds: to be taken up, "
                 "then to finish or report progress (PROTOCOL.md 10.2)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{3600000}));
  app.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-file", config.log_file,
                 "write the log to this file instead of stderr, rotated by size (a.log -> a.1.log ... a.N.log, "
                 "the oldest removed)");
  app.add_option("--log-max-size-mib", config.log_max_size_mib, "size at which --log-file rotates, MiB")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-max-files", config.log_max_files, "rotated log files kept beside --log-file")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  app.add_flag("--log-json", config.log_json,
               "log one JSON object per line (time, level, event, scan_id, message, count) instead of text");
  app.add_flag("--log-syslog-prefix", config.log_syslog_prefix,
               "start text lines with their syslog priority <N>, for journald when stderr goes to the journal");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  config.command_timeout = std::chrono::milliseconds(command_timeout_ms);
  const bool data_curve_server = !config.data_curve_secret_key_file.empty() && data_connect.empty();
  if (!config.curve_secret_key_file.empty() && config.curve_clients_file.empty()) {
    std::fprintf(stderr, "--curve-secret-key needs --curve-clients (the public keys allowed to connect)\n");
    return 2;
  }
  if (!config.curve_clients_file.empty() && config.curve_secret_key_file.empty() && !data_curve_server) {
    std::fprintf(stderr, "--curve-clients needs --curve-secret-key (or --data-curve-secret-key with bound data "
                         "sockets)\n");
    return 2;
  }
  if (data_curve_server && config.curve_clients_file.empty()) {
    std::fprintf(stderr, "--data-curve-secret-key with bound data sockets needs --curve-clients (the public keys "
                         "of the detectors allowed to send)\n");
    return 2;
  }
  if (!config.data_curve_server_key_file.empty() &&
      (data_connect.empty() || config.data_curve_secret_key_file.empty())) {
    std::fprintf(stderr, "--data-curve-server-key needs --data-connect and --data-curve-secret-key\n");
    return 2;
  }
  if (!data_connect.empty() && !config.data_curve_secret_key_file.empty() &&
      config.data_curve_server_key_file.empty()) {
    std::fprintf(stderr, "--data-curve-secret-key with --data-connect needs --data-curve-server-key (the "
                         "detector's public key)\n");
    return 2;
  }
  config.data_format = detector::parse_stream_format(data_format);  // nullopt for "auto"
  if (!scan_plan.empty()) {
    auto plan = read_scan_plan(scan_plan);
    if (const auto* error = std::get_if<std::string>(&plan)) {
      std::fprintf(stderr, "%s\n", error->c_str());
      return 2;
    }
    config.scan_plan = std::get<protocol::SetScanPlan>(plan);
  }
  config.auto_center = protocol::parse_center_method(auto_center);  // nullopt for "off"
  auto processing_params = read_processing(processing);
  if (const auto* error = std::get_if<std::string>(&processing_params)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 2;
  }
  config.processing = std::get<kernels::ProcessingParams>(processing_params);
  if (http == "off") {
    config.http_enabled = false;
  } else {
    const auto address = parse_address_port(http);
    if (!address) {
      std::fprintf(stderr, "--http: \"%s\" is not ADDRESS:PORT (e.g. 127.0.0.1:8080, [::1]:8080) or \"off\"\n",
                   http.c_str());
      return 2;
    }
    config.http_address = address->first;
    config.http_port = address->second;
  }
  for (const std::string& rdma : config.rdma_endpoints) {
    if (!parse_address_port(rdma)) {
      std::fprintf(stderr, "--rdma: \"%s\" is not ADDRESS:PORT (an address of an RDMA-capable interface, e.g. "
                           "192.168.100.5:7471)\n", rdma.c_str());
      return 2;
    }
  }
  if (!data_connect.empty()) {
    config.data_endpoints = data_connect;
    config.data_connect = true;
  }
  config.engine.cpu_memory_limit_bytes = static_cast<std::uint64_t>(memory_limit_mib * 1024.0 * 1024.0);
  config.rdma_limits.max_slot_bytes = rdma_max_slot_mib << 20;
  config.volume.directory = volume_dir;
  config.volume.format = *storage::parse_volume_format(volume_format);
  config.volume.dtype = *storage::parse_volume_dtype(volume_dtype);
  config.volume.compression = *storage::parse_volume_compression(volume_compression);
  config.volume.host_memory_bytes = static_cast<std::uint64_t>(volume_host_mib * 1024.0 * 1024.0);
  if (config.volume.format == storage::VolumeFormat::tiff && config.volume.dtype != storage::VolumeDtype::float32) {
    std::fprintf(stderr, "--volume-format tiff writes float32 files; --volume-dtype %s needs hdf5 or zarr\n",
                 volume_dtype.c_str());
    return 2;
  }
  return config;
}

}  // namespace tomolive::daemon
