#include "tomolive/daemon/config.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
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
    return "\"" + text + "\" is not DARKS,FLATS,PROJECTIONS[,ANGLE_RANGE_DEG] (e.g. 4,4,180,180)";
  }
  protocol::SetScanPlan plan;
  plan.n_darks = static_cast<std::uint32_t>(values[0]);
  plan.n_flats = static_cast<std::uint32_t>(values[1]);
  plan.n_projections = static_cast<std::uint32_t>(values[2]);
  if (values.size() == 4) plan.angle_range_deg = values[3];
  if (std::optional<protocol::Error> error = protocol::check_scan_plan(plan)) return error->message;
  return plan;
}

// The CUDA devices of --gpus: empty for "all", else the listed indices (each at most once, 0..kMaxGpuIndex), or the
// message saying what is wrong. Whether the devices exist is checked at start (select_engine).
constexpr int kMaxGpuIndex = 1023;
std::variant<std::vector<int>, std::string> read_gpu_list(const std::string& text) {
  if (text == "all") return std::vector<int>{};
  const std::string form = "\"" + text + "\" is not all or a comma-separated list of CUDA device indices (e.g. 0,1)";
  std::vector<int> devices;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 4) return form;
    const int device = std::stoi(item);
    if (device > kMaxGpuIndex) return form;
    if (std::find(devices.begin(), devices.end(), device) != devices.end()) {
      return "\"" + text + "\" lists CUDA device " + item + " twice";
    }
    devices.push_back(device);
    at = comma + 1;
  }
  return devices;
}

// The I/O threads of --zmq-io-threads N (1..64), or nullopt when the text is not such a number.
std::optional<int> read_io_threads(const std::string& text) {
  if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int threads = std::stoi(text);
  if (threads < 1 || threads > 64) return std::nullopt;
  return threads;
}

// The option texts that are turned into DaemonConfig fields once every option is known (finish_config).
struct OptionTexts {
  std::vector<std::string> data_connect;
  std::uint32_t rdma_max_slot_mib = RdmaLimits{}.max_slot_bytes >> 20;
  std::string data_format = "auto";
  std::string gpus = "all";
  std::string scan_plan;
  bool scan_plan_per_series = false;
  std::string http = "127.0.0.1:8080";
  std::string zmq_io_threads = "auto";
  double cpu_memory_limit_mib = 0;
  std::string auto_center = "off";
  std::string preview = "auto";
  std::int64_t preview_interval_ms = DaemonConfig{}.preview_interval.count();
  ProcessingOptions processing;
  std::string volume_dir;
  std::string volume_format = "hdf5";
  std::string volume_dtype = "float32";
  std::string volume_compression = "none";
  double volume_host_memory_mib = static_cast<double>(VolumeOptions{}.host_memory_bytes >> 20);
  std::int64_t command_timeout_ms = DaemonConfig{}.command_timeout.count();
};

// A CLI11 check from a function that says what is wrong with an option's text ("" when nothing is). Checks run on
// the command line's texts and on the configuration file's alike, so that a file's bad value is refused with its line.
CLI::Validator text_check(std::function<std::string(const std::string&)> reason) {
  return CLI::Validator([reason = std::move(reason)](std::string& text) { return reason(text); }, "");
}

// The check of one processing option: its text parses, and the step it sets is in range on its own.
CLI::Validator processing_check(std::string ProcessingOptions::*field, const std::string& option) {
  return text_check([field, prefix = option + ": "](const std::string& text) -> std::string {
    ProcessingOptions alone;
    alone.*field = text;
    const auto params = read_processing(alone);
    const auto* error = std::get_if<std::string>(&params);
    if (!error) return "";
    return error->starts_with(prefix) ? error->substr(prefix.size()) : *error;
  });
}

// An option naming one of `choices` (lower-case names; the option's text is taken in any case), stored in `target`
// when given.
template <typename Choice>
CLI::Option* add_choice(CLI::App& app, const std::string& name, Choice& target, std::map<std::string, Choice> choices,
                        const std::string& help, const std::string& default_text) {
  std::vector<std::string> names;
  for (const auto& [text, value] : choices) names.push_back(text);
  return app
      .add_option_function<std::string>(
          name, [&target, choices](const std::string& text) { target = choices.at(text); }, help)
      ->transform(CLI::Validator(
          [](std::string& text) {
            text = CLI::detail::to_lower(text);
            return std::string();
          },
          ""))
      ->check(CLI::IsMember(names))
      ->default_str(default_text);
}

// Every option of tomolived, writing into `config` and `texts` (both must outlive `app`). The configuration file's
// keys are these options' names: an option added here is a key of the file too.
void add_options(CLI::App& app, DaemonConfig& config, OptionTexts& texts) {
  app.add_option("--data", config.data_endpoints,
                 "ZeroMQ endpoint to bind a data PULL socket on; repeat for several streams")
      ->capture_default_str();
  app.add_option("--data-connect", texts.data_connect,
                 "connect a data PULL socket to a detector that binds a PUSH (instead of binding --data); repeatable");
  app.add_option("--data-hwm", config.data_receive_hwm, "ZeroMQ receive high-water mark of the data socket (messages)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--rdma", config.rdma_endpoints,
                 "ADDRESS:PORT to receive RDMA senders on (rdma_cm; an address of an InfiniBand or RoCE interface); "
                 "repeatable; each sender gets its own queue pair (PROTOCOL.md, RDMA)")
      ->check(text_check([](const std::string& text) -> std::string {
        if (parse_address_port(text)) return "";
        return "\"" + text +
               "\" is not ADDRESS:PORT (an address of an RDMA-capable interface, e.g. 192.168.100.5:7471)";
      }));
  app.add_option("--rdma-max-slot-mib", texts.rdma_max_slot_mib,
                 "largest RDMA slot (frame payload) a sender may ask for, MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 2047));
  app.add_option("--rdma-max-slots", config.rdma_limits.max_slots,
                 "most RDMA slots (frames in flight) per sender; each holds memory of the slot size")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  app.add_option("--data-format", texts.data_format,
                 "format of the data sockets' messages: auto (recognised per message), native, dectris2 (DECTRIS "
                 "Stream V2, CBOR), dectris1 (DECTRIS Stream V1, JSON) or array (array-1.0: ADZMQ, PSI, UFO)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "native", "dectris2", "dectris1", "array"}));
  app.add_option("--dectris-channel", config.dectris_channel,
                 "DECTRIS Stream V2 channel whose images (and pixel mask) are taken, e.g. threshold_2 of an EIGER2 "
                 "with two thresholds; empty: the first channel of each message. A message without it is refused");
  app.add_option("--decode-threads", config.decode_threads,
                 "threads that decompress and decode detector images (0 = the cores minus 4, at least 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--scan-plan", texts.scan_plan,
                 "DARKS,FLATS,PROJECTIONS[,ANGLE_RANGE_DEG]: the scan plan of every detector series that brings "
                 "none in its user_data and finds none posted by set_scan_plan (PROTOCOL.md \"Scan plans\"); "
                 "the series holds its darks, flats, then projections; the range defaults to 180 degrees")
      ->check(text_check([](const std::string& text) -> std::string {
        if (text.empty()) return "";
        const auto plan = read_scan_plan(text);
        const auto* error = std::get_if<std::string>(&plan);
        return error ? *error : "";
      }));
  app.add_flag("--scan-plan-per-series", texts.scan_plan_per_series,
               "--scan-plan in the per-series form: the darks, the flats and the projections come as series in a "
               "row, one scan (a kind with a count of 0 left out), and so on for every scan");
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
  app.add_option("--http", texts.http,
                 "ADDRESS:PORT to serve the viewer and the browsers' WebSocket on (e.g. 0.0.0.0:8080 for every "
                 "interface; port 0 picks a free one), or \"off\"")
      ->capture_default_str()
      ->check(text_check([](const std::string& text) -> std::string {
        if (text == "off" || parse_address_port(text)) return "";
        return "\"" + text + "\" is not ADDRESS:PORT (e.g. 127.0.0.1:8080, [::1]:8080) or \"off\"";
      }));
  app.add_option("--http-token", config.http_token,
                 "secret needed to control the daemon: browsers give it as ?token=... in the page address, ZeroMQ "
                 "control requests as \"token\"; without it, control from browsers is allowed on loopback only and "
                 "other viewers are read-only");
  app.add_option("--curve-secret-key", config.curve_secret_key_file,
                 "file holding the daemon's CURVE secret key (Z85); with --curve-clients, every bound ZeroMQ socket "
                 "authenticates and encrypts (tomolive-ctl keygen makes keys)");
  app.add_option("--curve-clients", config.curve_clients_file,
                 "the CURVE public keys allowed to connect: a file of Z85 keys (one per line), a client's ZeroMQ "
                 "certificate, or a folder of *.key certificates (pyzmq zmq.auth.create_certificates, czmq)");
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
  app.add_option("--zmq-io-threads", texts.zmq_io_threads,
                 "ZeroMQ I/O threads (data, control and publisher sockets share them), 1..64, or auto: one per data "
                 "socket (--data or --data-connect), at most " + std::to_string(kMaxAutoZmqIoThreads) +
                     "; ZeroMQ advises about one per GB/s")
      ->capture_default_str()
      ->check(text_check([](const std::string& text) -> std::string {
        return text == "auto" || read_io_threads(text) ? "" : "expected auto or a number of threads, 1..64";
      }));

  add_choice(app, "--engine", config.engine.choice,
             {{"auto", EngineChoice::automatic}, {"cpu", EngineChoice::cpu}, {"cuda", EngineChoice::cuda}},
             "reconstruction engine: auto (CUDA when a usable device exists), cpu or cuda", "auto");
  app.add_option("--cpu-memory-limit-mib", texts.cpu_memory_limit_mib,
                 "memory the CPU engine may use for one scan, MiB (0 = half of physical memory)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cpu-threads", config.engine.cpu_threads, "CPU engine worker threads (0 = all cores)")
      ->capture_default_str();
  app.add_option("--gpus", texts.gpus,
                 "CUDA devices to use: all (every usable device) or a comma-separated list of device indices "
                 "(e.g. 0,2); with several, the detector's rows are split into slabs, one per device (PROTOCOL.md "
                 "10.13); a listed device that does not exist or cannot be used stops the start")
      ->capture_default_str()
      ->check(text_check([](const std::string& text) -> std::string {
        const auto devices = read_gpu_list(text);
        const auto* error = std::get_if<std::string>(&devices);
        return error ? *error : "";
      }));
  app.add_option("--gpu-halo-rows", config.engine.halo_rows,
                 "rows each slab's engine reads from each neighbouring slab, for the processing that crosses rows "
                 "(zingers, Paganin, defective pixels, tilt, 3D preview; PROTOCOL.md 10.13)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1024u));
  app.add_option("--cpu-slabs", config.engine.cpu_slabs,
                 "with the CPU engine: this many CPU engines, each over a slab of the detector's rows (the several-GPU "
                 "path on any machine; sharing --cpu-memory-limit-mib and --cpu-threads); 1: one engine")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));

  add_choice(app, "--ingest-copy", config.ingest_copy,
             {{"auto", DaemonConfig::IngestCopy::automatic},
              {"on", DaemonConfig::IngestCopy::on},
              {"off", DaemonConfig::IngestCopy::off}},
             "copy frames into the engine's preferred memory on the ingest threads: auto (when the engine has one, "
             "e.g. page-locked for CUDA), on, off",
             "auto");
  app.add_option("--queue-capacity", config.queue_capacity, "frames queued between ingest and engine")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  add_choice(app, "--queue-policy", config.queue_policy,
             {{"block", QueuePolicy::block}, {"drop_oldest", QueuePolicy::drop_oldest}},
             "when the queue is full: block (backpressure to the sender, nothing lost) or drop_oldest (counted)",
             "block");
  app.add_option("--record", config.record_dir,
                 "record every scan's raw stream to an NXtomo HDF5 file in this directory (PROTOCOL.md 18): "
                 "scan_<id>_<name>.nxs, named .partial until the scan ended cleanly; off when empty")
      ->capture_default_str();
  add_choice(app, "--record-scans", config.record_scans,
             {{"all", DaemonConfig::RecordScans::all}, {"on_command", DaemonConfig::RecordScans::on_command}},
             "which scans --record records: all, or on_command (only a scan that a record command asked for; "
             "PROTOCOL.md 18)",
             "all");
  add_choice(app, "--record-policy", config.record_policy,
             {{"block", RecordPolicy::block}, {"stop", RecordPolicy::stop}},
             "when the disk is slower than the stream and the recording queue is full: stop (stop recording the "
             "scan, keep reconstructing; counted) or block (ingest waits for the disk, nothing lost)",
             "stop");
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
  app.add_option("--auto-center", texts.auto_center,
                 "estimate the center of rotation by this method once half of a scan's projections have arrived, and "
                 "apply it: off, registration (opposed projections) or metric (sharpest slice)")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "registration", "metric"}));
  app.add_option("--filter-window", texts.processing.window,
                 "apodisation of the ramp filter: ram-lak, shepp-logan, cosine, hamming, hann or parzen "
                 "(PROTOCOL.md 10.5; changeable with set_processing)")
      ->capture_default_str()
      ->check(processing_check(&ProcessingOptions::window, "--filter-window"));
  app.add_option("--zingers", texts.processing.zingers,
                 "zinger removal: THRESHOLD (a pixel whose transmission differs from its 3 x 3 median by more than "
                 "this fraction of it is replaced, e.g. 0.3) or off")
      ->capture_default_str()
      ->check(processing_check(&ProcessingOptions::zingers, "--zingers"));
  app.add_option("--phase", texts.processing.phase,
                 "Paganin phase retrieval: ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA (photon energy, "
                 "propagation distance, pixel size at the sample, delta/beta; e.g. 20,0.1,1.0,100) or off")
      ->capture_default_str()
      ->check(processing_check(&ProcessingOptions::phase, "--phase"));
  app.add_option("--rings", texts.processing.rings,
                 "ring removal: SIZE (odd width of the median across detector columns, 3..255 pixels, e.g. 21) or off")
      ->capture_default_str()
      ->check(processing_check(&ProcessingOptions::rings, "--rings"));
  app.add_option("--defective-pixels", texts.processing.defective_pixels,
                 "defective-pixel map from each scan's darks and flats (plus the detector's mask), masked pixels "
                 "interpolated from their row neighbours before -log: on or off (PROTOCOL.md 10.10; changeable with "
                 "set_processing, for the next scan)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--dead-threshold", texts.processing.dead_threshold,
                 "a pixel is dead when its open-beam signal (flat - dark) is <= 0 or below this fraction of the "
                 "median of its row neighbours' (0 < t < 1)")
      ->capture_default_str();
  app.add_option("--hot-threshold", texts.processing.hot_threshold,
                 "a pixel is hot when its dark exceeds the median of its row neighbours' by more than this many "
                 "robust sigmas (1.4826 x MAD over the frame)")
      ->capture_default_str();
  app.add_option("--noisy-threshold", texts.processing.noisy_threshold,
                 "a pixel is noisy when its standard deviation across >= 3 darks (or flats) exceeds the frame's "
                 "median by more than this many robust sigmas")
      ->capture_default_str();
  app.add_flag("--volume-at-end", config.volume.at_end,
               "reconstruct every scan's full volume from the resident store when the scan ends (PROTOCOL.md 10.6)");
  app.add_option("--volume-dir", texts.volume_dir,
                 "folder for volumes and their catalogue sidecars (default: the --record directory when recording, "
                 "else the working directory)");
  app.add_option("--volume-format", texts.volume_format,
                 "hdf5 (one chunked dataset), tiff (one float32 file per z) or zarr (OME-Zarr 0.4 with a pyramid)")
      ->capture_default_str()
      ->check(CLI::IsMember({"hdf5", "tiff", "zarr"}));
  app.add_option("--volume-dtype", texts.volume_dtype,
                 "stored values: float32, float16, or uint16 scaled to the axial slice's range (scale recorded)")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "float16", "uint16"}));
  app.add_option("--volume-compression", texts.volume_compression, "OME-Zarr chunks: none or zstd")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "zstd"}));
  app.add_flag("--volume-overwrite", config.volume.overwrite,
               "replace an existing volume of the same scan id and name (default: refused, with a disk_error)");
  app.add_option("--volume-host-memory-mib", texts.volume_host_memory_mib,
                 "host memory for computed slabs waiting to be written, MiB (a volume that fits is computed without "
                 "waiting for the disk)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--publish-hz", config.publish_hz, "most slice updates published per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 10000.0));
  app.add_option("--preview", texts.preview,
                 "the live 3D preview (PROTOCOL.md 10.12): auto (the engine's default: on with cuda, off with cpu, "
                 "where it costs ingest rate), on or off; changeable with set_preview")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--preview-side", config.preview_side,
                 "voxels along the 3D preview's longest side, 16..512; 0: the engine's default (cuda 256, cpu 64)")
      ->capture_default_str()
      ->check(CLI::Range(0, 512) & text_check([](const std::string& text) -> std::string {
                const long side = std::strtol(text.c_str(), nullptr, 10);
                return side == 0 || side >= 16 ? "" : "expected 0 (the engine's default) or 16..512";
              }));
  app.add_option("--preview-interval-ms", texts.preview_interval_ms,
                 "least time between two 3D preview snapshots sent to browsers, milliseconds")
      ->capture_default_str()
      ->check(CLI::Range(100, 60000));
  app.add_option("--status-interval", config.status_interval_s, "seconds between status log lines (0 = none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--command-timeout-ms", texts.command_timeout_ms,
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
}

// Turns the option texts into DaemonConfig fields and checks the options that depend on each other. Returns the
// message saying what is wrong, if anything.
std::optional<std::string> finish_config(DaemonConfig& config, const OptionTexts& texts) {
  const bool data_curve_server = !config.data_curve_secret_key_file.empty() && texts.data_connect.empty();
  config.command_timeout = std::chrono::milliseconds(texts.command_timeout_ms);
  if (!config.curve_secret_key_file.empty() && config.curve_clients_file.empty()) {
    return "--curve-secret-key needs --curve-clients (the public keys allowed to connect)";
  }
  if (!config.curve_clients_file.empty() && config.curve_secret_key_file.empty() && !data_curve_server) {
    return "--curve-clients needs --curve-secret-key (or --data-curve-secret-key with bound data sockets)";
  }
  if (data_curve_server && config.curve_clients_file.empty()) {
    return "--data-curve-secret-key with bound data sockets needs --curve-clients (the public keys of the "
           "detectors allowed to send)";
  }
  if (!config.data_curve_server_key_file.empty() &&
      (texts.data_connect.empty() || config.data_curve_secret_key_file.empty())) {
    return "--data-curve-server-key needs --data-connect and --data-curve-secret-key";
  }
  if (!texts.data_connect.empty() && !config.data_curve_secret_key_file.empty() &&
      config.data_curve_server_key_file.empty()) {
    return "--data-curve-secret-key with --data-connect needs --data-curve-server-key (the detector's public key)";
  }
  config.data_format = detector::parse_stream_format(texts.data_format);  // nullopt for "auto"
  if (texts.scan_plan_per_series && texts.scan_plan.empty()) {
    return "--scan-plan-per-series needs --scan-plan DARKS,FLATS,PROJECTIONS[,ANGLE_RANGE_DEG]";
  }
  if (!texts.scan_plan.empty()) {
    config.scan_plan = std::get<protocol::SetScanPlan>(read_scan_plan(texts.scan_plan));
    if (texts.scan_plan_per_series) {  // the first series holds the first kind with images
      config.scan_plan->image_key = config.scan_plan->n_darks > 0   ? protocol::FrameKind::dark
                                    : config.scan_plan->n_flats > 0 ? protocol::FrameKind::flat
                                                                    : protocol::FrameKind::projection;
    }
  }
  config.auto_center = protocol::parse_center_method(texts.auto_center);  // nullopt for "off"
  if (texts.preview != "auto") config.preview_enabled = texts.preview == "on";
  config.preview_interval = std::chrono::milliseconds(texts.preview_interval_ms);
  auto processing_params = read_processing(texts.processing);
  if (const auto* error = std::get_if<std::string>(&processing_params)) return *error;
  config.processing = std::get<kernels::ProcessingParams>(processing_params);
  if (texts.http == "off") {
    config.http_enabled = false;
  } else {
    const auto address = parse_address_port(texts.http);
    config.http_enabled = true;
    config.http_address = address->first;
    config.http_port = address->second;
  }
  if (!texts.data_connect.empty()) {
    config.data_endpoints = texts.data_connect;
    config.data_connect = true;
  }
  config.zmq_io_threads = texts.zmq_io_threads == "auto" ? 0 : *read_io_threads(texts.zmq_io_threads);
  config.engine.cpu_memory_limit_bytes = static_cast<std::uint64_t>(texts.cpu_memory_limit_mib * 1024.0 * 1024.0);
  config.engine.cuda_devices = std::get<std::vector<int>>(read_gpu_list(texts.gpus));
  if (!config.engine.cuda_devices.empty() && config.engine.choice == EngineChoice::cpu) {
    return "--gpus " + texts.gpus + " names CUDA devices, but --engine cpu uses none (leave --gpus at all)";
  }
  if (config.engine.cpu_slabs > 1 && config.engine.choice == EngineChoice::cuda) {
    return "--cpu-slabs " + std::to_string(config.engine.cpu_slabs) +
           " splits the CPU engine, but --engine cuda uses none (leave --cpu-slabs at 1)";
  }
  config.rdma_limits.max_slot_bytes = texts.rdma_max_slot_mib << 20;
  config.volume.directory = texts.volume_dir;
  config.volume.format = *storage::parse_volume_format(texts.volume_format);
  config.volume.dtype = *storage::parse_volume_dtype(texts.volume_dtype);
  config.volume.compression = *storage::parse_volume_compression(texts.volume_compression);
  config.volume.host_memory_bytes = static_cast<std::uint64_t>(texts.volume_host_memory_mib * 1024.0 * 1024.0);
  if (config.volume.format == storage::VolumeFormat::tiff && config.volume.dtype != storage::VolumeDtype::float32) {
    return "--volume-format tiff writes float32 files; --volume-dtype " + texts.volume_dtype + " needs hdf5 or zarr";
  }
  return std::nullopt;
}

// How an option's value is written in the configuration file (config_file.hpp), from what CLI11 knows of it.
OptionKind kind_of(const CLI::Option& option) {
  if (option.get_expected_max() == 0) return OptionKind::flag;
  if (option.get_items_expected_max() > 1) return OptionKind::list;
  const std::string type = option.get_type_name();
  if (type.starts_with("INT") || type.starts_with("UINT")) return OptionKind::integer;
  if (type.starts_with("FLOAT")) return OptionKind::number;
  return OptionKind::text;
}

// The configuration file's key of an option: its long name without the dashes.
std::string key_of(const CLI::Option& option) { return option.get_lnames().front(); }

// Gives `option` the argument texts `values` (as if they had been typed) and runs its checks and its conversion.
// An empty list leaves the option at its default (allowed only where that is none). Returns CLI11's reason when a
// check refuses a value.
std::optional<std::string> take_values(CLI::Option& option, const std::vector<std::string>& values) {
  option.clear();
  if (values.empty()) return std::nullopt;
  option.add_result(values);
  try {
    option.run_callback();
  } catch (const CLI::Error& error) {
    const std::string reason = error.what();
    const std::string prefix = option.get_name() + ": ";
    return reason.starts_with(prefix) ? reason.substr(prefix.size()) : reason;
  }
  return std::nullopt;
}

// The argument texts of an option's default value: CLI11 shows a list's default as "[a,b]".
std::vector<std::string> default_values(const CLI::Option& option, OptionKind kind) {
  std::string text = option.get_default_str();
  if (kind == OptionKind::flag) return {"false"};
  if (kind != OptionKind::list) return {text};
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::vector<std::string> values;
  for (std::size_t at = 0; !text.empty() && at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    values.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return values;
}

// The argument texts of an option that was given (on the command line or in the file), as the file writes them.
std::vector<std::string> given_values(const CLI::Option& option, OptionKind kind) {
  if (kind == OptionKind::flag) return {option.as<bool>() ? "true" : "false"};
  if (kind == OptionKind::integer) return {std::to_string(option.as<std::int64_t>())};
  if (kind == OptionKind::list) return option.results();
  return {option.results().back()};
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

int zmq_io_threads_for(const DaemonConfig& config) {
  if (config.zmq_io_threads > 0) return config.zmq_io_threads;
  return static_cast<int>(std::clamp<std::size_t>(config.data_endpoints.size(), 1, kMaxAutoZmqIoThreads));
}

std::variant<LoadedConfig, ConfigRefusal> load_config(const std::vector<std::string>& arguments,
                                                      const std::string& default_file) {
  LoadedConfig loaded;
  OptionTexts texts;
  CLI::App app{"tomolived: live tomographic reconstruction daemon (see README.md and protocol/PROTOCOL.md)"};
  app.set_version_flag("--version", std::string(TOMOLIVE_VERSION));
  add_options(app, loaded.config, texts);
  std::string config_file;
  bool no_config = false;
  const std::string file_group = "Configuration file";
  CLI::Option* config_option =
      app.add_option("--config", config_file,
                     std::string("TOML file of options (keys: the options' names without the dashes; the command "
                                 "line overrides it); default: ") + kDefaultConfigFile + " when it exists")
          ->group(file_group);
  app.add_flag("--no-config", no_config, std::string("read no configuration file, not even ") + kDefaultConfigFile)
      ->group(file_group)
      ->excludes(config_option);
  app.add_flag("--print-config", loaded.print_config,
               "print the effective configuration (every option, its value and where it came from) as a TOML file, "
               "and exit")
      ->group(file_group);
  try {
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11 takes them from the back
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return ConfigRefusal{app.exit(e) == 0 ? 0 : 2, ""};
  }

  // The options that are keys of the file: all but --help, --version and the configuration file's own.
  std::vector<CLI::Option*> options = app.get_options([&](const CLI::Option* option) {
    return !option->get_lnames().empty() && option->get_group() != file_group && option->get_name() != "--help" &&
           option->get_name() != "--version";
  });
  std::set<std::string> on_command_line;
  std::map<std::string, OptionKind> kinds;
  for (const CLI::Option* option : options) {
    kinds[key_of(*option)] = kind_of(*option);
    if (option->count() > 0) on_command_line.insert(key_of(*option));
  }
  if (!config_file.empty()) {
    loaded.file = config_file;
  } else if (!no_config && std::filesystem::exists(default_file)) {
    loaded.file = default_file;
  }
  std::map<std::string, std::uint32_t> file_lines;  // the keys the file set and the command line did not
  if (!loaded.file.empty()) {
    auto read = read_config_file(loaded.file, kinds);
    if (auto* error = std::get_if<std::string>(&read)) return ConfigRefusal{2, std::move(*error)};
    // Every value is checked on options of their own, also those the command line overrides: a file that would
    // fail without today's command line is refused today.
    DaemonConfig checked_config;
    OptionTexts checked_texts;
    CLI::App checker;
    add_options(checker, checked_config, checked_texts);
    for (const FileSetting& setting : std::get<std::vector<FileSetting>>(read)) {
      CLI::Option& checked = *checker.get_option("--" + setting.key);
      std::optional<std::string> reason = take_values(checked, setting.values);
      if (setting.values.empty() && !default_values(checked, OptionKind::list).empty()) {
        reason = "an empty array; give at least one value, or leave the key out for the default";
      }
      if (reason) {
        return ConfigRefusal{2, loaded.file + ":" + std::to_string(setting.line) + ":" +
                                    std::to_string(setting.column) + ": key '" + setting.key + "': " + *reason};
      }
      if (on_command_line.contains(setting.key)) continue;
      take_values(*app.get_option("--" + setting.key), setting.values);
      file_lines[setting.key] = setting.line;
    }
  }
  if (auto error = finish_config(loaded.config, texts)) return ConfigRefusal{2, std::move(*error)};

  for (const CLI::Option* option : options) {
    Setting setting{key_of(*option), kind_of(*option), {}, {}};
    if (on_command_line.contains(setting.key)) {
      setting.source.kind = SettingSource::Kind::command_line;
    } else if (const auto line = file_lines.find(setting.key); line != file_lines.end()) {
      setting.source = {SettingSource::Kind::file, line->second};
    }
    setting.values = option->count() > 0 ? given_values(*option, setting.kind) : default_values(*option, setting.kind);
    loaded.settings.push_back(std::move(setting));
  }
  return loaded;
}

std::string format_effective_config(const LoadedConfig& loaded) {
  std::string text =
      "# tomolived's effective configuration (tomolived --print-config): every option, its value and where it came\n"
      "# from. Save it and load it with tomolived --config FILE.\n"
      "# configuration file read: " + (loaded.file.empty() ? std::string("none") : loaded.file) + "\n";
  for (const Setting& setting : loaded.settings) {
    std::string source = "default";
    if (setting.source.kind == SettingSource::Kind::file) {
      source = loaded.file + ":" + std::to_string(setting.source.line);
    }
    if (setting.source.kind == SettingSource::Kind::command_line) source = "command line";
    text += format_setting(setting.key, setting.kind, setting.values) + "  # " + source + "\n";
  }
  return text;
}

std::variant<DaemonConfig, int> parse_command_line(int argc, char** argv) {
  auto loaded = load_config(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
  if (const auto* refusal = std::get_if<ConfigRefusal>(&loaded)) {
    if (!refusal->message.empty()) std::fprintf(stderr, "%s\n", refusal->message.c_str());
    return refusal->exit_code;
  }
  if (std::get<LoadedConfig>(loaded).print_config) {
    std::cout << format_effective_config(std::get<LoadedConfig>(loaded));
    return 0;
  }
  return std::move(std::get<LoadedConfig>(loaded).config);
}

}  // namespace tomolive::daemon
