#include "tomolive/daemon/daemon.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {

namespace {

// The endpoints the daemon binds (data endpoints only when it binds them rather than connecting).
std::vector<std::string> bound_endpoints(const DaemonConfig& config) {
  std::vector<std::string> endpoints{config.slices_endpoint, config.events_endpoint, config.control_endpoint};
  if (!config.data_connect) endpoints.insert(endpoints.end(), config.data_endpoints.begin(), config.data_endpoints.end());
  return endpoints;
}

// --capture-dir, else the recording's directory, else the working directory.
std::filesystem::path capture_directory(const DaemonConfig& config) {
  if (!config.capture_dir.empty()) return config.capture_dir;
  if (!config.record_dir.empty()) return config.record_dir;
  return std::filesystem::current_path();
}

}  // namespace

Daemon::Daemon(const DaemonConfig& config) : context_(config.zmq_io_threads) {
  security_.insecure_network = config.insecure_network;
  if (!config.curve_secret_key_file.empty()) {
    security_.curve = load_curve_server_keys(config.curve_secret_key_file, config.curve_clients_file);
    zap_ = std::make_unique<ZapHandler>(context_, security_.curve->clients, counters_);
  }
  if (auto exposed = check_network_exposure(bound_endpoints(config), security_)) throw std::runtime_error(*exposed);
  security_status_ = {security_.curve.has_value(), security_.insecure_network && !security_.curve,
                      !config.http_token.empty()};
  const EngineFactory make_engine =
      config.engine_factory ? config.engine_factory : EngineFactory([options = config.engine] {
        return select_engine(options);
      });
  EngineSelection selection = make_engine();
  engine_reason_ = std::move(selection.reason);

  ZmqPublisher::Options publisher_options;
  publisher_options.slices_endpoint = config.slices_endpoint;
  publisher_options.events_endpoint = config.events_endpoint;
  publisher_options.security = security_;
  publisher_ = std::make_unique<ZmqPublisher>(context_, publisher_options, board_, counters_);
  outputs_.add(*publisher_);
  reporter_ = std::make_unique<EventReporter>(counters_, outputs_);
  const bool copy = config.ingest_copy == DaemonConfig::IngestCopy::on ||
                    (config.ingest_copy == DaemonConfig::IngestCopy::automatic && selection.frame_allocator);
  if (copy) {
    // Every frame that can be in flight at once: queued, being received by each ingest thread, being reconstructed.
    const std::size_t buffers = config.queue_capacity + config.data_endpoints.size() + 1;
    frame_buffers_ = std::make_unique<FrameBufferPool>(
        selection.frame_allocator ? selection.frame_allocator : FrameBufferPool::Allocator(allocate_plain_buffer),
        buffers, counters_);
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
  // Volumes go beside the recordings unless told otherwise (--volume-dir; PROTOCOL.md 10.7).
  if (worker_options.volume.directory.empty()) worker_options.volume.directory = config.record_dir;
  if (!worker_options.volume.allocator) worker_options.volume.allocator = selection.frame_allocator;
  worker_options.rebuild_engine = [make_engine] { return make_engine().engine; };
  worker_options.publish_interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / config.publish_hz));
  worker_ = std::make_unique<EngineWorker>(std::move(selection.engine), *inbox_, board_, *reporter_, counters_,
                                           [this] { outputs_.notify_slices(); }, worker_options);
  handlers_ = std::make_unique<ControlHandlers>(*worker_, board_, *recorder_, *capture_, counters_,
                                                [this] { return status(); });
  if (config.http_enabled) {
    HttpServer::Options http;
    http.address = config.http_address;
    http.port = config.http_port;
    http.token = config.http_token;
    http.viewer_dir = config.viewer_dir;
    http.threads = config.http_threads;
    http.max_connections = static_cast<std::size_t>(config.http_max_connections);
    http_ = std::make_unique<HttpServer>(http, board_, *handlers_, counters_, viewer_latency_,
                                         [this] { return status(); });
    outputs_.add(*http_);
  }
  control_ = std::make_unique<ZmqControlServer>(
      context_, ZmqControlServer::Options{config.control_endpoint, security_, config.http_token}, *handlers_);
  for (const std::string& endpoint : config.data_endpoints) {
    ingest_.push_back(std::make_unique<ZmqIngest>(
        context_, ZmqIngest::Options{endpoint, config.data_connect, config.data_receive_hwm, security_,
                                  !config.record_dir.empty() || config.capture_ring_s > 0.0}, *inbox_, *reporter_,
        counters_, frame_buffers_.get()));
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
  status.security = security_status_;
  status.volume = worker_->volume_status();
  status.recording = recorder_->status();
  status.capture = capture_->status();
  return status;
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
