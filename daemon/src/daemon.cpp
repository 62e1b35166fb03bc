#include "tomolive/daemon/daemon.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <spdlog/spdlog.h>

#include "tomolive/daemon/metrics_exposition.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/rdma/gpudirect.hpp"
#include "tomolive/rdma/verbs_transport.hpp"

namespace tomolive::daemon {

namespace {

// Items one data socket may have reserved and not yet handed to the engine queue, per decode worker: enough to keep
// every worker busy while the oldest item waits for its turn.
constexpr std::size_t kInFlightPerDecodeThread = 4;

// How long a finished volume's sidecar waits for the scan's recording to complete (its writer may still be behind
// the stream) before it is written without it.
constexpr std::chrono::seconds kRecordingWaitForSidecar{30};

// The ZeroMQ I/O thread of data socket `index` (counted from 0): index mod the context's I/O threads (ZMQ_AFFINITY
// names at most 64); none when the context has no I/O thread.
std::optional<unsigned> data_socket_io_thread(std::size_t index, int io_threads) {
  if (io_threads < 1) return std::nullopt;
  return static_cast<unsigned>(index % std::min<std::size_t>(static_cast<std::size_t>(io_threads), 64));
}

// The standing scan plan of --scan-plan, if any.
std::optional<ScanPlan> standing_plan(const DaemonConfig& config) {
  if (!config.scan_plan) return std::nullopt;
  return plan_from_command(*config.scan_plan);
}

// --capture-dir, else the recording's directory, else the working directory.
std::filesystem::path capture_directory(const DaemonConfig& config) {
  if (!config.capture_dir.empty()) return config.capture_dir;
  if (!config.record_dir.empty()) return config.record_dir;
  return std::filesystem::current_path();
}

}  // namespace

Daemon::Daemon(const DaemonConfig& config) : context_(zmq_io_threads_for(config)), plans_(standing_plan(config)) {
  security_.insecure_network = config.insecure_network;
  if (!config.curve_secret_key_file.empty()) {
    security_.curve = load_curve_server_keys(config.curve_secret_key_file, config.curve_clients_file);
    zap_ = std::make_unique<ZapHandler>(context_, security_.curve->clients, counters_);
  }
  SocketSecurity data_security = security_;
  std::optional<CurveClientKeys> data_curve_client;
  if (!config.data_curve_secret_key_file.empty() && config.data_connect) {
    data_curve_client.emplace();
    std::tie(data_curve_client->secret_z85, data_curve_client->public_z85) =
        load_curve_key_pair(config.data_curve_secret_key_file);
    data_curve_client->server_public_z85 = load_curve_public_key(config.data_curve_server_key_file);
  } else if (!config.data_curve_secret_key_file.empty()) {
    data_security.curve = load_curve_server_keys(config.data_curve_secret_key_file, config.curve_clients_file);
    if (!zap_) zap_ = std::make_unique<ZapHandler>(context_, data_security.curve->clients, counters_);
  }
  if (auto exposed = check_network_exposure({config.slices_endpoint, config.events_endpoint, config.control_endpoint},
                                            security_)) {
    throw std::runtime_error(*exposed);
  }
  if (!config.data_connect) {
    if (auto exposed = check_network_exposure(config.data_endpoints, data_security)) throw std::runtime_error(*exposed);
  }
  security_status_ = {security_.curve.has_value(), security_.insecure_network && !security_.curve,
                      !config.http_token.empty()};
  const EngineFactory make_engine =
      config.engine_factory ? config.engine_factory : EngineFactory([options = config.engine] {
        return select_engine(options);
      });
  EngineSelection selection = make_engine();
  engine_reason_ = std::move(selection.reason);
  const FrameBufferPool::Allocator selection_allocator = selection.frame_allocator;

  ZmqPublisher::Options publisher_options;
  publisher_options.slices_endpoint = config.slices_endpoint;
  publisher_options.events_endpoint = config.events_endpoint;
  publisher_options.security = security_;
  publisher_ = std::make_unique<ZmqPublisher>(context_, publisher_options, board_, counters_);
  outputs_.add(*publisher_);
  reporter_ = std::make_unique<EventReporter>(counters_, outputs_);
  const bool copy = config.ingest_copy == DaemonConfig::IngestCopy::on ||
                    (config.ingest_copy == DaemonConfig::IngestCopy::automatic && selection.frame_allocator);
  decoders_ = std::make_unique<FrameDecodePool>(config.decode_threads > 0 ? config.decode_threads
                                                                          : default_decode_threads());
  DetectorStream::Options detector_options;
  detector_options.streams = static_cast<std::uint32_t>(config.data_endpoints.size());
  detector_options.max_held_images = config.max_held_images;
  detector_options.decode.dectris_channel = config.dectris_channel;
  detector_options.max_in_flight = kInFlightPerDecodeThread * decoders_->threads();
  if (copy) {
    // Every frame that can be in flight at once: queued, being received or decoded for each data socket, being
    // reconstructed, held for the darks and flats of a scan on several streams (EngineWorker).
    const std::size_t buffers = config.queue_capacity +
                                config.data_endpoints.size() * (detector_options.max_in_flight + 1) + 1 +
                                EngineWorker::Options{}.max_projections_awaiting_references;
    // The engine's own allocator is page-locked memory (FrameBufferPool::Growth says why it is filled at a begin).
    frame_buffers_ = std::make_unique<FrameBufferPool>(
        selection.frame_allocator ? selection.frame_allocator : FrameBufferPool::Allocator(allocate_plain_buffer),
        buffers, counters_,
        selection.frame_allocator ? FrameBufferPool::Growth::at_scan_begin : FrameBufferPool::Growth::on_demand);
  }
  inbox_ = std::make_unique<EngineInbox>(
      config.queue_capacity, config.queue_policy, counters_, [this](const IngestItem& dropped) {
        const auto& frame = std::get<protocol::FrameHeader>(dropped.header);
        reporter_->reject(protocol::Error{protocol::ErrorCode::queue_full,
                                          std::string(protocol::to_string(frame.kind)) + " " +
                                              std::to_string(frame.frame_id) +
                                              " dropped: the engine queue was full (policy drop_oldest)"},
                          frame.scan_id, frame.frame_id);
      });
  Recorder::Options recording;
  recording.directory = config.record_dir;
  recording.every_scan = config.record_scans == DaemonConfig::RecordScans::all;
  recording.policy = config.record_policy;
  recording.queue_frames = config.record_queue_frames;
  recording.queue_bytes = static_cast<std::uint64_t>(config.record_queue_mb) << 20;
  recording.flush_interval = std::chrono::milliseconds(std::llround(config.record_flush_s * 1000.0));
  recording.make_writer = config.recording_writer_factory;
  recorder_ = std::make_unique<Recorder>(std::move(recording), *reporter_, counters_);
  CaptureRing::Options capture;
  capture.ring_s = config.capture_ring_s;
  capture.ring_bytes = static_cast<std::uint64_t>(config.capture_ring_mb) << 20;
  capture.directory = capture_directory(config);
  capture_ = std::make_unique<CaptureRing>(std::move(capture), *reporter_, counters_);
  raw_stream_ = std::make_unique<RawStreamFanout>(std::vector<RawStreamSink*>{recorder_.get(), capture_.get()});
  EngineWorker::Options worker_options;
  worker_options.raw_stream = raw_stream_.get();
  worker_options.auto_center = config.auto_center;
  worker_options.processing = config.processing;
  worker_options.frame_allocator = selection.frame_allocator;
  worker_options.command_timeout = config.command_timeout;
  worker_options.volume = config.volume;
  // Volumes go beside the recordings unless told otherwise (--volume-dir; PROTOCOL.md 10.6).
  if (worker_options.volume.directory.empty()) worker_options.volume.directory = config.record_dir;
  if (!config.record_dir.empty()) {
    worker_options.volume.recording_file = [recorder = recorder_.get()](std::uint64_t scan_id) {
      return recorder->completed_file(scan_id, kRecordingWaitForSidecar);
    };
  }
  if (!worker_options.volume.allocator) worker_options.volume.allocator = selection.frame_allocator;
  worker_options.rebuild_engine = [make_engine] { return make_engine().engine; };
  kernels::PreviewParams preview = selection.engine->default_preview();
  if (config.preview_enabled) preview.enabled = *config.preview_enabled;
  if (config.preview_side != 0) preview.side = config.preview_side;
  worker_options.preview = preview;
  worker_options.preview_board = &preview_board_;
  worker_options.preview_interval = config.preview_interval;
  worker_options.publish_interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / config.publish_hz));
  worker_ = std::make_unique<EngineWorker>(std::move(selection.engine), *inbox_, board_, *reporter_, counters_,
                                           [this] { outputs_.notify_slices(); }, worker_options);
  handlers_ = std::make_unique<ControlHandlers>(*worker_, board_, plans_, *recorder_, *capture_, counters_,
                                                [this] { return status(); });
  if (config.http_enabled) {
    HttpServer::Options http;
    http.address = config.http_address;
    http.port = config.http_port;
    http.token = config.http_token;
    http.viewer_dir = config.viewer_dir;
    http.threads = config.http_threads;
    http.max_connections = static_cast<std::size_t>(config.http_max_connections);
    http.metrics = [this] { return metrics(); };
    http.preview_board = &preview_board_;
    http_ = std::make_unique<HttpServer>(http, board_, *handlers_, counters_, viewer_latency_,
                                         [this] { return status(); });
    outputs_.add(*http_);
  }
  control_ = std::make_unique<ZmqControlServer>(
      context_, ZmqControlServer::Options{config.control_endpoint, security_, config.http_token}, *handlers_);
  const ZmqIngest::Sinks sinks{*inbox_, *reporter_, counters_, frame_buffers_.get(), *decoders_, plans_};
  for (const std::string& endpoint : config.data_endpoints) {
    ZmqIngest::Options options;
    options.endpoint = endpoint;
    options.index = ingest_.size();
    // One I/O thread per data socket while there are enough (ZmqIngest::Options::io_thread says why).
    options.io_thread = data_socket_io_thread(ingest_.size(), zmq_io_threads_for(config));
    options.connect = config.data_connect;
    options.receive_hwm = config.data_receive_hwm;
    options.security = data_security;
    options.curve_client = data_curve_client;
    options.format = config.data_format;
    options.detector = detector_options;
    options.keep_payload = !config.record_dir.empty() || config.capture_ring_s > 0.0;  // persistence shares frames
    ingest_.push_back(std::make_unique<ZmqIngest>(context_, options, sinks));
  }
  if (!config.rdma_endpoints.empty()) start_rdma(config, selection_allocator);
}

void Daemon::start_rdma(const DaemonConfig& config, const FrameBufferPool::Allocator& engine_allocator) {
  rdma_transport_ = config.rdma_transport ? config.rdma_transport : std::make_shared<rdma::VerbsTransport>();
  // Slots land where the engine reads fastest: page-locked with CUDA (as --ingest-copy's buffers), so the engine
  // uploads from the slot itself; plain host memory with the CPU engine. GPUDirect RDMA (slots in GPU memory) is
  // detected and reported, never used: the engine interface takes frames from host memory.
  const rdma::GpuDirectSupport gpudirect = rdma::detect_gpudirect(config.gpudirect_probe);
  rdma_status_.memory = engine_allocator ? "host page-locked" : "host";
  rdma_status_.gpudirect =
      (gpudirect.possible() ? "possible, not used: the engine takes frames from host memory ("
                            : "not possible (") +
      gpudirect.description + ")";
  const FrameBufferPool::Allocator allocate =
      engine_allocator ? engine_allocator : FrameBufferPool::Allocator(allocate_plain_buffer);
  for (const std::string& endpoint : config.rdma_endpoints) {
    const auto address = parse_address_port(endpoint);
    if (!address) throw std::runtime_error("--rdma: \"" + endpoint + "\" is not ADDRESS:PORT");
    rdma_.push_back(std::make_unique<RdmaIngest>(
        *rdma_transport_, RdmaIngest::Options{address->first, address->second, config.rdma_limits}, allocate, *inbox_,
        *reporter_, counters_));
    spdlog::info("RDMA: listening on {}; frames land in {} memory; GPUDirect RDMA {}", rdma_.back()->endpoint(),
                 rdma_status_.memory, rdma_status_.gpudirect);
  }
}

Daemon::~Daemon() { stop(); }

void Daemon::stop() {
  if (stopped_) return;
  stopped_ = true;
  inbox_->refuse_commands();  // queued and later commands answered at once: stopping never waits for viewers' work
  control_->stop();    // no new commands
  if (http_) {
    outputs_.remove(*http_);
    http_->stop();     // browsers closed; their pending commands answered
  }
  for (auto& ingest : ingest_) ingest->stop();  // no new data
  for (auto& rdma : rdma_) rdma->stop();
  inbox_->close();     // the engine reconstructs what is queued, then exits
  worker_->join();
  recorder_->shut_down();  // the queued frames are written; an unfinished scan stays ".partial"
  capture_->shut_down();   // a running capture writes what it has and stays ".partial"
  publisher_->stop();  // after sending the final slices and events
  // The components stay alive (status() still answers); the destructor closes the sockets, in reverse order of
  // construction, before the ZeroMQ context (constructed first) terminates.
}

std::vector<std::string> Daemon::data_endpoints() const {
  std::vector<std::string> endpoints;
  for (const auto& ingest : ingest_) endpoints.push_back(ingest->endpoint());
  return endpoints;
}

protocol::Status Daemon::status() const {
  protocol::Status status;
  status.version = TOMOLIVE_VERSION;
  status.engine = worker_->engine_name();
  status.uptime_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  status.counters = counters_.totals();
  status.counters.emplace_back("queue_depth", inbox_->depth());
  status.counters.emplace_back("queue_capacity", inbox_->capacity());
  status.counters.emplace_back("ws_clients", counters_.ws_clients.load(std::memory_order_relaxed));
  const LatencyRecorder::Summary latency = publisher_->publish_latency();
  status.counters.emplace_back("publish_latency_samples", latency.samples);
  status.counters.emplace_back("publish_latency_p50_us", static_cast<std::uint64_t>(std::llround(latency.p50_us)));
  status.counters.emplace_back("publish_latency_p99_us", static_cast<std::uint64_t>(std::llround(latency.p99_us)));
  const LatencyRecorder::Summary viewer = viewer_latency_.summary();
  status.counters.emplace_back("viewer_latency_samples", viewer.samples);
  status.counters.emplace_back("viewer_latency_p50_us", static_cast<std::uint64_t>(std::llround(viewer.p50_us)));
  status.counters.emplace_back("viewer_latency_p99_us", static_cast<std::uint64_t>(std::llround(viewer.p99_us)));
  status.rejected_by_reason = counters_.rejections();
  status.processing = worker_->processing();
  status.scan = worker_->scan_status();
  {
    const std::lock_guard lock(reload_mutex_);
    status.security = security_status_;
    status.config = config_status_;
  }
  status.volume = worker_->volume_status();
  status.preview = worker_->preview_status();
  status.engine_slabs = worker_->engine_slabs();
  if (!rdma_.empty()) {
    status.rdma = rdma_status_;
    for (const auto& rdma : rdma_) {
      status.rdma->endpoints += (status.rdma->endpoints.empty() ? "" : ", ") + rdma->endpoint();
      status.rdma->connections += rdma->connections();
    }
  }
  for (const auto& ingest : ingest_) status.data_sockets.push_back(ingest->status());
  status.recording = recorder_->status();
  status.capture = capture_->status();
  return status;
}

std::string Daemon::metrics() const {
  MetricsSnapshot snapshot;
  snapshot.status = status();
  for (const auto& ingest : ingest_) {
    const std::string socket = ingest->status().endpoint;
    for (std::size_t i = 0; i < detector::kStreamFormatCount; ++i) {
      const DataSocketCounters::FormatTotals& totals = ingest->counters().by_format[i];
      const auto format = static_cast<detector::StreamFormat>(i);
      snapshot.socket_formats.push_back({socket, std::string(detector::to_string(format)),
                                         totals.messages.load(std::memory_order_relaxed),
                                         totals.bytes.load(std::memory_order_relaxed),
                                         totals.frames.load(std::memory_order_relaxed)});
    }
  }
  snapshot.publish_latency = publisher_->publish_latency_histogram();
  snapshot.viewer_latency = viewer_latency_.histogram();
  for (std::size_t i = 0; i < kEngineStageCount; ++i) {
    const auto stage = static_cast<EngineStage>(i);
    snapshot.engine_stages.push_back({stage, worker_->stage_times().histogram(stage)});
  }
  return render_metrics(snapshot);
}

std::string Daemon::status_line() const {
  const auto scan = worker_->scan_status();
  char line[256];
  const auto count = [](const std::atomic<std::uint64_t>& c) {
    return static_cast<unsigned long long>(c.load(std::memory_order_relaxed));
  };
  if (scan) {
    std::snprintf(line, sizeof line,
                  "scan %llu %s: %u/%u projections, %.1f/s, queue %zu/%zu, rejected %llu, missing %u, dropped %llu",
                  static_cast<unsigned long long>(scan->scan_id), scan->state.c_str(), scan->projections_received,
                  scan->projections_expected, scan->projection_rate_hz, inbox_->depth(), inbox_->capacity(),
                  count(counters_.rejected), scan->projections_missing, count(counters_.queue_dropped));
  } else {
    std::snprintf(line, sizeof line, "waiting for a scan: queue %zu/%zu, rejected %llu", inbox_->depth(),
                  inbox_->capacity(), count(counters_.rejected));
  }
  return line;
}

void Daemon::set_http_token(const std::string& token) {
  if (http_) http_->set_token(token);
  control_->set_token(token);
  const std::lock_guard lock(reload_mutex_);
  security_status_.control_token = !token.empty();
}

void Daemon::set_publish_hz(double hz) {
  worker_->set_publish_interval(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / hz)));
}

double Daemon::publish_hz() const {
  return 1.0 / std::chrono::duration<double>(worker_->publish_interval()).count();
}

protocol::Reply Daemon::set_processing(const protocol::SetProcessing& request) {
  return handlers_->handle(protocol::ControlRequest(request)).reply;
}

void Daemon::set_config_status(protocol::ConfigStatus config) {
  const std::lock_guard lock(reload_mutex_);
  config_status_ = std::move(config);
}

std::string Daemon::network_access() const {
  if (security_.curve) {
    return "ZeroMQ sockets authenticate by CURVE (server key " + security_.curve->public_z85 + ", " +
           std::to_string(security_.curve->clients.size()) + " client keys)";
  }
  if (security_.insecure_network) {
    return "INSECURE NETWORK: ZeroMQ sockets may be bound beyond loopback without authentication (--insecure-network)";
  }
  return "ZeroMQ sockets on loopback only";
}

}  // namespace tomolive::daemon
