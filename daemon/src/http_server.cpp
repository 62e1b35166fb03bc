#include "tomolive/daemon/http_server.hpp"

#include <stdexcept>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/browser_messages.hpp"
#include "tomolive/daemon/metrics_exposition.hpp"
#include "tomolive/daemon/thread_name.hpp"

namespace tomolive::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::uint32_t kMaxRequestBodyBytes = 16 * 1024;
constexpr std::chrono::seconds kRequestTimeout{30};
constexpr std::chrono::milliseconds kAcceptRetry{100};

net::ip::address parse_address(const std::string& text) {
  if (text == "localhost") return net::ip::address_v4::loopback();
  beast::error_code error;
  const net::ip::address address = net::ip::make_address(text, error);
  if (error) throw std::runtime_error("--http: \"" + text + "\" is not an IP address (use e.g. 127.0.0.1 or 0.0.0.0)");
  return address;
}

// Boost 1.74's beast::string_view is boost::string_view.
std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// What a response must agree with in the request it answers.
struct Answering {
  unsigned version = 11;
  bool keep_alive = false;
  bool head = false;
};
constexpr Answering kClosing{};  // a request not read (or not readable): HTTP/1.1, close after the response

Answering answering(const http::request<http::string_body>& request) {
  return {request.version(), request.keep_alive(), request.method() == http::verb::head};
}

}  // namespace

// One HTTP connection: reads requests, answers them with viewer files or refusals, or hands the connection to a
// WebSocketSession when it asks for the upgrade to /ws. Without a slot (over the connection cap) it answers 503
// without reading and closes.
class HttpServer::HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket&& socket, HttpServer& server, std::optional<ConnectionLimit::Slot> slot)
      : stream_(std::move(socket)), server_(server), slot_(std::move(slot)) {}

  void start() {
    if (slot_) {
      read_next();
    } else {
      refuse(kClosing, http::status::service_unavailable,
             "too many connections: " + std::to_string(server_.options_.max_connections) +
                 " are open (--http-max-connections); try again later\n");
    }
  }

 private:
  void read_next() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser_->body_limit(kMaxRequestBodyBytes);
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpConnection::on_read, shared_from_this()));
  }

  void on_read(beast::error_code error, std::size_t /*bytes*/) {
    if (error == http::error::header_limit) {
      // The parser keeps the request line once it has read it whole: without a target, the line was too long.
      const std::size_t target_bytes = parser_->get().target().size();
      if (target_bytes == 0 || target_bytes > kMaxTargetBytes) {
        refuse_too_long_target();
      } else {
        refuse(kClosing, http::status::request_header_fields_too_large,
               "the request line and headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes\n");
      }
      return;
    }
    if (error) {
      if (error != http::error::end_of_stream && error != beast::error::timeout) {
        spdlog::debug("http: request not read: {}", error.message());
      }
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    bump(server_.counters_.http_requests);
    http::request<http::string_body> request = parser_->release();
    if (request.target().size() > kMaxTargetBytes) {
      refuse_too_long_target();
      return;
    }
    if (const std::string refusal = server_.access_.host_refusal(view(request[http::field::host]));
        !refusal.empty()) {
      refuse(answering(request), http::status::forbidden, refusal);
      return;
    }

    if (beast::websocket::is_upgrade(request)) {
      if (path_of(view(request.target())) != "/ws") {
        refuse(answering(request), http::status::not_found, "WebSocket endpoint is /ws\n");
        return;
      }
      ViewerAccess::Decision access =
          server_.access_.decide(view(request.target()), view(request[http::field::host]),
                                 view(request[http::field::origin]));
      server_.open_websocket(std::move(stream_), std::move(request), std::move(access), std::move(*slot_));
      return;
    }
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      refuse(answering(request), http::status::method_not_allowed, "only GET and HEAD are served\n");
      return;
    }
    if (server_.options_.metrics && path_of(view(request.target())) == "/metrics") {
      serve_metrics(request);
      return;
    }
    const auto resolved = server_.files_.resolve(view(request.target()));
    if (const auto* refusal = std::get_if<ViewerFiles::Refusal>(&resolved)) {
      if (*refusal == ViewerFiles::Refusal::forbidden) {
        refuse(answering(request), http::status::forbidden, "refused: the path leaves the viewer folder\n");
      } else {
        refuse(answering(request), http::status::not_found, "not found in the viewer folder\n");
      }
      return;
    }
    serve_file(request, std::get<ViewerFiles::Found>(resolved));
  }

  void serve_file(const http::request<http::string_body>& request, const ViewerFiles::Found& found) {
    http::file_body::value_type body;
    beast::error_code error;
    body.open(found.path.c_str(), beast::file_mode::scan, error);
    if (error) {
      refuse(answering(request), http::status::not_found, "not found in the viewer folder\n");
      return;
    }
    const std::uint64_t size = body.size();
    if (request.method() == http::verb::head) {
      http::response<http::empty_body> response{http::status::ok, request.version()};
      set_common(response, answering(request), found.content_type);
      response.content_length(size);
      send(std::move(response));
      return;
    }
    http::response<http::file_body> response{std::piecewise_construct, std::make_tuple(std::move(body)),
                                             std::make_tuple(http::status::ok, request.version())};
    set_common(response, answering(request), found.content_type);
    response.content_length(size);
    send(std::move(response));
  }

  // The exposition is rendered for every request (HEAD included, for its length): a scrape is one status() call.
  void serve_metrics(const http::request<http::string_body>& request) {
    std::string text = server_.options_.metrics();
    const std::string content_type(kMetricsContentType);
    if (request.method() == http::verb::head) {
      http::response<http::empty_body> response{http::status::ok, request.version()};
      set_common(response, answering(request), content_type);
      response.content_length(text.size());
      send(std::move(response));
      return;
    }
    http::response<http::string_body> response{http::status::ok, request.version()};
    set_common(response, answering(request), content_type);
    response.body() = std::move(text);
    response.prepare_payload();
    send(std::move(response));
  }

  void refuse_too_long_target() {
    refuse(kClosing, http::status::uri_too_long,
           "the request target (URL) exceeds " + std::to_string(kMaxTargetBytes) + " bytes\n");
  }

  void refuse(const Answering& to, http::status status, std::string text) {
    if (status != http::status::service_unavailable) bump(server_.counters_.http_refused);  // 503: ConnectionLimit
    spdlog::debug("http: refused with {}", static_cast<unsigned>(status));
    http::response<http::string_body> response{status, to.version};
    set_common(response, to, "text/plain; charset=utf-8");
    if (status == http::status::method_not_allowed) response.set(http::field::allow, "GET, HEAD");
    response.body() = to.head ? "" : std::move(text);
    response.prepare_payload();
    send(std::move(response));
  }

  template <typename Response>
  static void set_common(Response& response, const Answering& to, const std::string& content_type) {
    response.set(http::field::server, "tomolived");
    response.set(http::field::content_type, content_type);
    response.set(http::field::cache_control, "no-cache");  // a restarted daemon may serve a newer viewer
    response.keep_alive(to.keep_alive);
  }

  template <typename Response>
  void send(Response&& response) {
    auto held = std::make_shared<std::decay_t<Response>>(std::forward<Response>(response));
    http::async_write(stream_, *held,
                      [self = shared_from_this(), held](beast::error_code error, std::size_t /*bytes*/) {
                        if (error || !held->keep_alive()) {
                          self->linger();
                          return;
                        }
                        self->read_next();
                      });
  }

  // Closes after the last response: stops sending, then reads and discards what the client still sends (at most
  // kLingerBytes, for at most kLingerTime) so that closing with unread data does not reset the connection before
  // the client has read the response.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    stream_.expires_after(kLingerTime);
    discard_next();
  }
  void discard_next() {
    stream_.async_read_some(buffer_.prepare(kLingerChunkBytes),
                            [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
                              self->lingered_bytes_ += bytes;
                              if (error || self->lingered_bytes_ > kLingerBytes) return;
                              self->discard_next();
                            });
  }

  static constexpr std::chrono::seconds kLingerTime{2};
  static constexpr std::size_t kLingerBytes = 1024 * 1024;
  static constexpr std::size_t kLingerChunkBytes = 16 * 1024;

  beast::tcp_stream stream_;
  HttpServer& server_;
  std::optional<ConnectionLimit::Slot> slot_;  // nullopt: over the cap, or handed to a WebSocketSession
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::size_t lingered_bytes_ = 0;
};

HttpServer::HttpServer(const Options& options, SliceBoard& board, ControlHandlers& handlers,
                       DaemonCounters& counters, LatencyRecorder& viewer_latency,
                       std::function<protocol::Status()> status)
    : options_(options),
      files_(options.viewer_dir),
      access_(options.token, parse_address(options.address).is_loopback()),
      counters_(counters),
      connections_(options.max_connections, counters.http_connections_refused),
      viewer_latency_(viewer_latency),
      status_(std::move(status)),
      shared_{board, handlers, counters, control_pool_,
              [this](std::uint64_t scan_id, const std::vector<double>& samples) { record_latency(scan_id, samples); }},
      acceptor_(net::make_strand(io_)),
      status_timer_(io_),
      accept_retry_timer_(acceptor_.get_executor()) {
  shared_.preview = options.preview_board;
  const tcp::endpoint endpoint(parse_address(options.address), options.port);
  beast::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(net::socket_base::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error("cannot serve HTTP on " + options.address + ":" + std::to_string(options.port) + ": " +
                             error.message());
  }
  port_ = acceptor_.local_endpoint().port();
  if (!files_.root_exists()) {
    spdlog::warn("http: the viewer folder {} does not exist; pages will be 404 (set --viewer-dir)",
                 files_.root().string());
  }
  accept_next();
  tick_status();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    threads_.emplace_back([this, name = indexed_thread_name("http", static_cast<std::size_t>(i))] {
      name_this_thread(name);
      run_io();
    });
  }
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::run_io() {
  // A handler that throws is a bug; it costs that one connection, never the daemon.
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http: internal error, one connection dropped: {}", e.what());
    }
  }
}

std::string HttpServer::url() const {
  const bool v6 = options_.address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + options_.address + "]" : options_.address) + ":" + std::to_string(port_) + "/";
}

void HttpServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  shared_.stopping = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
  });
  net::post(io_, [this] { status_timer_.cancel(); });
  const auto open = sessions();
  if (open.empty()) {
    io_.stop();  // HTTP requests in progress are cut off
  } else {
    // Close frames get kCloseGrace to go out; a browser that does not answer is cut off when the context stops.
    for (const auto& session : open) session->close();
    auto grace = std::make_shared<net::steady_timer>(io_, kCloseGrace);
    grace->async_wait([this, grace](beast::error_code) { io_.stop(); });
  }
  for (auto& thread : threads_) thread.join();
  // Browsers that did not finish the close handshake in time: their handlers never run again; close the sockets.
  for (const auto& session : sessions()) session->abort();
  control_pool_.join();
}

void HttpServer::accept_next() {
  acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code error, tcp::socket socket) {
    if (error == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (error) {
      // Typically out of file descriptors: retrying at once would spin; the connection waits in the backlog.
      if (!accept_failing_) spdlog::warn("http: cannot accept connections: {}; retrying", error.message());
      accept_failing_ = true;
      accept_retry_timer_.expires_after(kAcceptRetry);
      accept_retry_timer_.async_wait([this](beast::error_code cancelled) {
        if (!cancelled) accept_next();
      });
      return;
    }
    accept_failing_ = false;
    std::make_shared<HttpConnection>(std::move(socket), *this, connections_.admit())->start();
    accept_next();
  });
}

void HttpServer::tick_status() {
  status_timer_.expires_after(options_.status_interval);
  status_timer_.async_wait([this](beast::error_code error) {
    if (error) return;  // cancelled: stopping
    const auto alive = sessions();
    if (!alive.empty()) {
      const auto text = std::make_shared<const std::string>(status_json(status_(), alive.size()));
      for (const auto& session : alive) session->send_status(text);
    }
    tick_status();
  });
}

void HttpServer::open_websocket(beast::tcp_stream&& stream, WebSocketSession::Upgrade upgrade,
                                ViewerAccess::Decision access, ConnectionLimit::Slot slot) {
  if (access.read_only) spdlog::info("http: read-only viewer connected: {}", access.reason);
  const protocol::Status status = status_();
  auto session = std::make_shared<WebSocketSession>(
      std::move(stream), shared_, access, hello_json(status.version, status.engine, access.read_only, access.reason),
      std::move(slot));
  {
    const std::lock_guard lock(sessions_mutex_);
    sessions_.push_back(session);
  }
  session->start(std::move(upgrade));
}

std::vector<std::shared_ptr<WebSocketSession>> HttpServer::sessions() {
  const std::lock_guard lock(sessions_mutex_);
  std::vector<std::shared_ptr<WebSocketSession>> alive;
  std::erase_if(sessions_, [&](const std::weak_ptr<WebSocketSession>& weak) {
    auto session = weak.lock();
    if (!session) return true;
    alive.push_back(std::move(session));
    return false;
  });
  return alive;
}

void HttpServer::post_event(protocol::Event event) {
  const auto alive = sessions();
  if (alive.empty()) return;
  const auto text = std::make_shared<const std::string>(event_json(event));
  for (const auto& session : alive) session->send_event(text);
}

void HttpServer::notify_slices() {
  for (const auto& session : sessions()) session->notify_slices();
}

void HttpServer::record_latency(std::uint64_t scan_id, const std::vector<double>& samples_us) {
  const std::lock_guard lock(latency_mutex_);
  if (scan_id != latency_scan_id_) {
    viewer_latency_.clear();
    latency_scan_id_ = scan_id;
  }
  for (const double sample : samples_us) viewer_latency_.add(sample);
}

}  // namespace tomolive::daemon
