// HttpServer: the daemon's one HTTP port (PROTOCOL.md 14): the viewer's static files and the /ws WebSocket for
// browsers, on Boost.Beast over Boost.Asio with a few I/O threads. Every browser gets events as they happen, the
// status every status_interval, and the newest slices when they change (see WebSocketSession for slow browsers).
// Control commands from browsers go through the same ControlHandlers as the ZeroMQ REP socket, on one control
// thread, subject to ViewerAccess.
//
// Limits (PROTOCOL.md 14): at most Options::max_connections connections open at once (more are answered 503 and
// closed, see ConnectionLimit); a request target over kMaxTargetBytes is answered 414, a request line and headers
// over kMaxHeaderBytes 431; a Host that ViewerAccess::host_refusal refuses, 403. All counted in http_refused,
// except the 503s (http_connections_refused).
//
// It is a DaemonOutput: register it with the OutputFanout to receive events and slice notices. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "tomolive/daemon/connection_limit.hpp"
#include "tomolive/daemon/control_handlers.hpp"
#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/latency_recorder.hpp"
#include "tomolive/daemon/output_fanout.hpp"
#include "tomolive/daemon/preview_board.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/daemon/viewer_access.hpp"
#include "tomolive/daemon/viewer_files.hpp"
#include "tomolive/daemon/websocket_session.hpp"

namespace tomolive::daemon {

class HttpServer : public DaemonOutput {
 public:
  struct Options {
    std::string address = "127.0.0.1";  // IPv4/IPv6 literal or "localhost"
    std::uint16_t port = 8080;          // 0: any free port (see port())
    std::string token;                  // --http-token; "" for none
    std::filesystem::path viewer_dir;
    int threads = 2;
    std::size_t max_connections = 256;  // HTTP and WebSocket connections open at once
    std::chrono::milliseconds status_interval{500};
    // The body of GET /metrics (Prometheus text format 0.0.4), called on a server thread per request;
    // empty: /metrics is looked up among the viewer files like any other path. Served without the token, under the
    // same Host rule as the viewer files (PROTOCOL.md 14.5).
    std::function<std::string()> metrics;
    // The live 3D preview's snapshots, sent to browsers that watch it (PROTOCOL.md 14.6); null: none. Must outlive
    // the server.
    PreviewBoard* preview_board = nullptr;
  };

  // Binds and starts serving; throws std::runtime_error (with the address) when the port cannot be bound.
  // status: the get_status answer (called on a server thread every status_interval while browsers are connected).
  // viewer_latency: where browsers' T5 reports go; cleared when a report names a new scan.
  HttpServer(const Options& options, SliceBoard& board, ControlHandlers& handlers, DaemonCounters& counters,
             LatencyRecorder& viewer_latency, std::function<protocol::Status()> status);
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Closes the port and every WebSocket (a close frame, at most kCloseGrace to complete), then joins the threads.
  void stop();

  void post_event(protocol::Event event) override;
  void notify_slices() override;

  std::uint16_t port() const { return port_; }
  std::string url() const;  // http://address:port/
  const ViewerAccess& access() const { return access_; }
  // Replaces --http-token (a configuration reload): WebSocket upgrades from now on need the new one; browsers
  // already connected keep the access they were given.
  void set_token(std::string token) { access_.set_token(std::move(token)); }

  static constexpr std::chrono::milliseconds kCloseGrace{1000};
  static constexpr std::size_t kMaxTargetBytes = 4 * 1024;  // the request target (path and query)
  static constexpr std::size_t kMaxHeaderBytes = 8 * 1024;  // the request line and all header fields

 private:
  class HttpConnection;
  friend class HttpConnection;

  void run_io();  // one I/O thread
  void accept_next();
  void tick_status();
  void open_websocket(boost::beast::tcp_stream&& stream, WebSocketSession::Upgrade upgrade,
                      ViewerAccess::Decision access, ConnectionLimit::Slot slot);
  void record_latency(std::uint64_t scan_id, const std::vector<double>& samples_us);
  // The sessions still alive (expired ones are pruned).
  std::vector<std::shared_ptr<WebSocketSession>> sessions();

  const Options options_;
  const ViewerFiles files_;
  ViewerAccess access_;
  DaemonCounters& counters_;
  ConnectionLimit connections_;  // before io_: the connections its handlers hold release their slots here
  LatencyRecorder& viewer_latency_;
  std::function<protocol::Status()> status_;

  std::mutex latency_mutex_;
  std::uint64_t latency_scan_id_ = 0;

  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<WebSocketSession>> sessions_;

  // Destroyed in reverse: the I/O context (and the sessions its pending handlers hold) before what sessions use.
  boost::asio::thread_pool control_pool_{1};  // control commands may block on the engine: never on I/O threads
  WebSocketShared shared_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer status_timer_;
  boost::asio::steady_timer accept_retry_timer_;  // after accept fails (out of file descriptors): wait, retry
  bool accept_failing_ = false;                   // logged once until an accept succeeds again
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  std::vector<std::jthread> threads_;  // last member
};

}  // namespace tomolive::daemon
