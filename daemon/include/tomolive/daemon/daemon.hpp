// Daemon: a running tomolived. The constructor wires the data flow of design.md and starts every thread:
//
//   ZmqIngest (PULL, one per data stream; detector streams decoded on the FrameDecodePool), RdmaIngest (one per
//   --rdma) -> EngineInbox -> EngineWorker (engine + ScanSession)
//       -> Recorder (raw frames -> NXtomo file, its own writer thread)
//       -> SliceBoard -> OutputFanout -> ZmqPublisher (PUB: slices, events)
//                                     -> HttpServer (viewer files, WebSocket to browsers)
//   ZmqControlServer (REP), HttpServer (WebSocket) -> ControlHandlers -> EngineWorker
//
// stop() (or the destructor) shuts down in order: control first (no new commands, browsers closed), then ingest (no
// new data), then
// the engine drains the queue, the publisher sends the final slices, and every socket is closed.
// status() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "tomolive/daemon/capture_ring.hpp"
#include "tomolive/daemon/config.hpp"
#include "tomolive/daemon/control_handlers.hpp"
#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/engine_worker.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/daemon/frame_decode_pool.hpp"
#include "tomolive/daemon/http_server.hpp"
#include "tomolive/daemon/latency_recorder.hpp"
#include "tomolive/daemon/output_fanout.hpp"
#include "tomolive/daemon/raw_stream_fanout.hpp"
#include "tomolive/daemon/rdma_ingest.hpp"
#include "tomolive/daemon/recorder.hpp"
#include "tomolive/daemon/preview_board.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/daemon/socket_security.hpp"
#include "tomolive/daemon/zap_handler.hpp"
#include "tomolive/daemon/zmq_control_server.hpp"
#include "tomolive/daemon/zmq_ingest.hpp"
#include "tomolive/daemon/zmq_publisher.hpp"

namespace tomolive::daemon {

class Daemon {
 public:
  // The engine comes from config.engine_factory (select_engine(config.engine) when empty), which is called again
  // whenever the engine is lost. Throws zmq::error_t when an endpoint cannot be bound/connected,
  // rdma::TransportError when an --rdma endpoint cannot listen ("no RDMA device found: ...") and
  // std::runtime_error when the requested engine cannot be created.
  explicit Daemon(const DaemonConfig& config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Idempotent ordered shutdown; blocks until every thread has exited. status() still answers afterwards.
  void stop();

  protocol::Status status() const;
  // GET /metrics: the Prometheus text exposition of status() and the histograms kept since start
  // (metrics_exposition.hpp).
  std::string metrics() const;
  // One line for the log: scan progress, rate, queue depth, rejections.
  std::string status_line() const;

  const std::string& engine_reason() const { return engine_reason_; }
  // Endpoints as bound (ports resolved), for logs and tests that bind port 0.
  std::vector<std::string> data_endpoints() const;
  const std::string& slices_endpoint() const { return publisher_->slices_endpoint(); }
  const std::string& events_endpoint() const { return publisher_->events_endpoint(); }
  const std::string& control_endpoint() const { return control_->endpoint(); }
  // The viewer's address (http://address:port/), or "" when --http off.
  std::string http_url() const { return http_ ? http_->url() : ""; }
  // Who may control from a browser, for the start-up log; "" when --http off.
  std::string http_access() const { return http_ ? http_->access().describe() : ""; }
  // Data queued for the engine and items it has taken so far (EngineStallCheck, for the service watchdog).
  EngineInbox::Progress engine_progress() const { return inbox_->progress(); }
  // How the ZeroMQ sockets are protected, for the start-up log (PROTOCOL.md 2, "Security").
  std::string network_access() const;

  // What a configuration reload (ConfigReloader, on SIGHUP) changes while the daemon runs; any thread.
  // The control token (--http-token; "" for none) for every control request and WebSocket upgrade from now on.
  void set_http_token(const std::string& token);
  // The most slice updates per second (--publish-hz, > 0), from the engine thread's next wake-up on.
  void set_publish_hz(double hz);
  double publish_hz() const;
  // The processing setting, as a set_processing command carrying all four steps: the reply says whether it was
  // applied (a scan in progress is re-filtered).
  protocol::Reply set_processing(const protocol::SetProcessing& request);
  // The configuration's part of the status (get_status's config map).
  void set_config_status(protocol::ConfigStatus config);

 private:
  // Listens on every --rdma endpoint (after the engine queue exists).
  void start_rdma(const DaemonConfig& config, const FrameBufferPool::Allocator& engine_allocator);

  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  DaemonCounters counters_;
  zmq::context_t context_;
  SocketSecurity security_;
  protocol::SecurityStatus security_status_;  // guarded by reload_mutex_ (a reload may add or remove the token)
  std::unique_ptr<ZapHandler> zap_;  // with CURVE: made before any socket binds, destroyed after they close
  SliceBoard board_;
  PreviewBoard preview_board_;  // the live 3D preview's newest snapshot: EngineWorker puts, WebSocket sessions send
  std::string engine_reason_;
  LatencyRecorder viewer_latency_;  // T5, reported by browsers
  OutputFanout outputs_;            // the publisher and the HTTP server
  std::unique_ptr<ZmqPublisher> publisher_;
  std::unique_ptr<EventReporter> reporter_;
  std::unique_ptr<FrameBufferPool> frame_buffers_;  // null unless ingest copies; outlives the queued items
  ScanPlanBoard plans_;                            // detector series' plans: set_scan_plan posts, sockets take
  std::unique_ptr<FrameDecodePool> decoders_;      // outlives the data sockets, whose decodes it runs
  std::unique_ptr<EngineInbox> inbox_;
  std::unique_ptr<Recorder> recorder_;  // fed by the worker: outlives it
  std::unique_ptr<CaptureRing> capture_;  // fed by the worker: outlives it
  std::unique_ptr<RawStreamFanout> raw_stream_;  // the recorder and the capture ring, as the worker sees them
  std::unique_ptr<EngineWorker> worker_;
  std::unique_ptr<ControlHandlers> handlers_;
  std::unique_ptr<HttpServer> http_;  // null when --http off
  std::unique_ptr<ZmqControlServer> control_;
  std::vector<std::unique_ptr<ZmqIngest>> ingest_;  // one per data endpoint
  std::shared_ptr<rdma::Transport> rdma_transport_;  // outlives the receivers
  std::vector<std::unique_ptr<RdmaIngest>> rdma_;    // one per --rdma endpoint
  protocol::RdmaStatus rdma_status_;                 // what does not change: memory path, GPUDirect
  mutable std::mutex reload_mutex_;                  // guards what a configuration reload changes below
  protocol::ConfigStatus config_status_;
  bool stopped_ = false;
};

}  // namespace tomolive::daemon
