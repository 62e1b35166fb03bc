// The daemon's HTTP port end to end (PROTOCOL.md 14): viewer files, browsers on /ws receiving slices, status and
// events, control through the shared handlers, read-only viewers, a slow browser, and shutdown with browsers
// connected. The browser here is a Beast WebSocket client speaking the documented messages.
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "tomolive/daemon/message_budget.hpp"

namespace tomolive::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

// A folder that is removed when the test ends.
class TempFolder {
 public:
  TempFolder() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("tomolive-http-test-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name) << text;
  }

 private:
  std::filesystem::path path_;
};

// A slice as a browser decodes it (PROTOCOL.md 14.3).
struct BrowserSlice {
  json header;
  std::vector<float> values;  // data_shape[0] x data_shape[1], de-quantized
};

BrowserSlice decode_slice(const std::string& frame) {
  BrowserSlice slice;
  EXPECT_GE(frame.size(), 8u);
  EXPECT_EQ(frame.substr(0, 4), "TLS1");
  std::uint32_t header_bytes = 0;
  std::memcpy(&header_bytes, frame.data() + 4, 4);
  slice.header = json::parse(frame.substr(8, header_bytes));
  const std::size_t offset = (8 + header_bytes + 7) / 8 * 8;
  const std::size_t count = slice.header["data_shape"][0].get<std::size_t>() * slice.header["data_shape"][1].get<std::size_t>();
  EXPECT_EQ(frame.size(), offset + 2 * count);
  const double lo = slice.header["value_min"].get<double>();
  const double hi = slice.header["value_max"].get<double>();
  for (std::size_t i = 0; i < count && offset + 2 * i + 1 < frame.size(); ++i) {
    std::uint16_t q = 0;
    std::memcpy(&q, frame.data() + offset + 2 * i, 2);
    slice.values.push_back(static_cast<float>(lo + q / 65535.0 * (hi - lo)));
  }
  return slice;
}

// A browser: a WebSocket client on /ws. Reads time out instead of hanging the test.
class Browser {
 public:
  struct Message {
    bool binary = false;
    std::string data;
  };

  explicit Browser(std::uint16_t port, const std::string& target = "/ws", const std::string& origin = "",
                   int receive_buffer_bytes = 0, const std::string& host = "")
      : ws_(io_) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.open(tcp::v4());
    if (receive_buffer_bytes > 0) socket.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes));
    beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator([origin](websocket::request_type& request) {
      if (!origin.empty()) request.set(http::field::origin, origin);
    }));
    ws_.handshake(host.empty() ? "127.0.0.1:" + std::to_string(port) : host, target);
  }

  // The HTTP status of a WebSocket upgrade that the daemon is expected to refuse.
  static unsigned refused_upgrade(std::uint16_t port, const std::string& host = "") {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::request<http::empty_body> request{http::verb::get, "/ws", 11};
    request.set(http::field::host, host.empty() ? "127.0.0.1:" + std::to_string(port) : host);
    request.set(http::field::connection, "Upgrade");
    request.set(http::field::upgrade, "websocket");
    request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    request.set(http::field::sec_websocket_version, "13");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response.result_int();
  }

  void send(const json& message) {
    ws_.text(true);
    ws_.write(net::buffer(message.dump()));
  }
  void send_text(const std::string& text) {
    ws_.text(true);
    ws_.write(net::buffer(text));
  }

  // The next message, or nullopt after `timeout` (then the connection is closed).
  std::optional<Message> read(std::chrono::milliseconds timeout) {
    beast::flat_buffer buffer;
    std::optional<Message> out;
    bool done = false;
    ws_.async_read(buffer, [&](beast::error_code error, std::size_t) {
      done = true;
      if (!error) out = Message{!ws_.got_text(), beast::buffers_to_string(buffer.data())};
      else last_error_ = error;
    });
    io_.restart();
    io_.run_for(timeout);
    if (!done) {
      beast::get_lowest_layer(ws_).close();  // ends the read (and this connection)
      io_.restart();
      io_.run();
    }
    return out;
  }

  // The first JSON message whose "type" is `type` and that satisfies `match`; other messages are skipped
  // (slices are kept for wait_slice).
  std::optional<json> wait_json(const std::string& type, const std::function<bool(const json&)>& match = nullptr,
                                std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto message = read(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!message) return std::nullopt;
      if (message->binary) {
        keep(decode_slice(message->data));
        continue;
      }
      json value = json::parse(message->data);
      if (value.value("type", "") == type && (!match || match(value))) return value;
    }
    return std::nullopt;
  }

  // The newest slice of `kind` that satisfies `match` (from those already received or arriving within timeout).
  std::optional<BrowserSlice> wait_slice(const std::string& kind, const std::function<bool(const json&)>& match,
                                         std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto found = newest_.find(kind);
      if (found != newest_.end() && match(found->second.header)) return found->second;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      const auto message = read(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!message) return std::nullopt;
      if (message->binary) keep(decode_slice(message->data));
    }
  }

  // A control command; returns its reply.
  json command(json request, std::chrono::milliseconds timeout = 10s) {
    const int id = ++request_id_;
    request["request_id"] = id;
    send(request);
    const auto reply = wait_json("reply", [id](const json& r) { return r.value("request_id", -1) == id; }, timeout);
    EXPECT_TRUE(reply) << "no reply to " << request.dump();
    return reply.value_or(json::object());
  }

  beast::error_code last_error() const { return last_error_; }
  // Sweep frames received so far, in arrival order.
  const std::vector<BrowserSlice>& sweep_frames() const { return sweep_frames_; }

 private:
  void keep(BrowserSlice slice) {
    const std::string kind = slice.header["slice"].get<std::string>();
    if (kind == "sweep") sweep_frames_.push_back(slice);
    newest_[kind] = std::move(slice);
  }

  net::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  std::map<std::string, BrowserSlice> newest_;
  std::vector<BrowserSlice> sweep_frames_;
  beast::error_code last_error_;
  int request_id_ = 0;
};

// A daemon whose browsers need the token "s3cret" (?token=s3cret) to control.
daemon::DaemonConfig config_with_token() {
  daemon::DaemonConfig config = test_config();
  config.http_token = "s3cret";
  return config;
}

TEST(HttpServer, ServesViewerFilesAndRefusesEverythingElse) {
  TempFolder root;
  root.write("viewer/index.html", "<html>tomolive</html>");
  root.write("viewer/js/app.js", "export {};");
  root.write("secret.txt", "outside");
  std::filesystem::create_symlink(root.path() / "secret.txt", root.path() / "viewer" / "link.txt");
  DaemonFixture fixture([&] {
    daemon::DaemonConfig config = test_config();
    config.viewer_dir = (root.path() / "viewer").string();
    return config;
  }());
  const std::uint16_t port = http_port(fixture.daemon());

  const HttpAnswer index = http_request(port, http::verb::get, "/");
  EXPECT_EQ(index.status, 200u);
  EXPECT_EQ(index.body, "<html>tomolive</html>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  const HttpAnswer script = http_request(port, http::verb::get, "/js/app.js?v=2");
  EXPECT_EQ(script.status, 200u);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(http_request(port, http::verb::head, "/index.html").status, 200u);

  for (const std::string target : {"/../secret.txt", "/%2e%2e/secret.txt", "/js/..%2f..%2fsecret.txt", "/link.txt",
                                   "/..\\secret.txt"}) {
    SCOPED_TRACE(target);
    const HttpAnswer refused = http_request(port, http::verb::get, target);
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(refused.body.find("outside"), std::string::npos);
  }
  EXPECT_EQ(http_request(port, http::verb::get, "/missing.js").status, 404u);
  EXPECT_EQ(http_request(port, http::verb::get, "/js").status, 404u);  // a folder is not a file
  EXPECT_EQ(http_request(port, http::verb::post, "/index.html").status, 405u);
  EXPECT_EQ(http_request(port, http::verb::get, "/other-socket").status, 404u);

  EXPECT_EQ(fixture.control().counter("http_requests"), 12u);
  EXPECT_EQ(fixture.control().counter("http_refused"), 9u);
}

TEST(WebSocket, BrowsersGetTheSlicesStatusAndEvents) {
  DaemonFixture fixture;
  Browser browser(http_port(fixture.daemon()));
  const auto hello = browser.wait_json("hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ((*hello)["read_only"], false);
  EXPECT_EQ((*hello)["engine"], "cpu");
  browser.send({{"type", "view"}, {"slice", "xz"}, {"max_shape", {4, 16}}});  // 8 x 64 -> binning 4: 2 x 16

  const sim::ScanSpec spec = small_scan_spec(1);
  expect_scan_reconstructs(fixture, spec);
  const auto done = [&](const json& header) { return header["projections_included"] == spec.projections_per_turn; };

  // Full resolution (the default view fits 512 x 512): equal to the daemon's float32 slice within one quantum.
  for (const auto kind : {protocol::SliceKind::xy, protocol::SliceKind::yz}) {
    const std::string name(protocol::to_string(kind));
    SCOPED_TRACE(name);
    const auto slice = browser.wait_slice(name, done);
    ASSERT_TRUE(slice);
    std::vector<float> expected;
    ASSERT_TRUE(fixture.control().request(protocol::GetSlice{kind}, &expected).ok());
    EXPECT_EQ(slice->header["binning"], 1);
    EXPECT_EQ(slice->header["non_finite"], 0);
    EXPECT_EQ(slice->header["daemon_latency_ns"].get<std::int64_t>(),
              slice->header["sent_ns"].get<std::int64_t>() - slice->header["received_ns"].get<std::int64_t>());
    EXPECT_EQ(slice->header["scan_id"], 1);
    ASSERT_EQ(slice->values.size(), expected.size());
    const double quantum = (slice->header["value_max"].get<double>() - slice->header["value_min"].get<double>()) / 65535;
    EXPECT_GT(quantum, 0.0);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_NEAR(slice->values[i], expected[i], quantum * 0.5 + 1e-6) << "pixel " << i;
    }
  }
  // Binned: each data pixel is the mean of a 4 x 4 block.
  const auto xz = browser.wait_slice("xz", done);
  ASSERT_TRUE(xz);
  std::vector<float> full;
  ASSERT_TRUE(fixture.control().request(protocol::GetSlice{protocol::SliceKind::xz}, &full).ok());
  EXPECT_EQ(xz->header["binning"], 4);
  EXPECT_EQ(xz->header["data_shape"], json({2, 16}));
  ASSERT_EQ(xz->values.size(), 32u);
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t c = 0; c < 16; ++c) {
      double mean = 0;
      for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 4; ++j) mean += full[(4 * r + i) * 64 + 4 * c + j];
      EXPECT_NEAR(xz->values[r * 16 + c], mean / 16, 1e-4) << r << "," << c;
    }
  }

  const auto status = browser.wait_json("status", [](const json& s) {
    return s["status"].contains("scan") && s["status"]["scan"]["state"] == "ended";
  });
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["viewers"], 1);
  EXPECT_EQ((*status)["status"]["scan"]["projections_received"], spec.projections_per_turn);

  // A rejected data message reaches the browser as an event.
  fixture.sender().send(protocol::encode(protocol::ScanEnd{77}));
  const auto event = browser.wait_json("event", [](const json& e) { return e["kind"] == "error"; });
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["error"]["code"], "no_active_scan");
  EXPECT_GE(fixture.control().counter("ws_slices_sent"), 3u);
  EXPECT_EQ(fixture.control().counter("ws_clients"), 1u);
}

TEST(WebSocket, ControlGoesThroughTheSharedHandlersAndBadMessagesAreAnswered) {
  DaemonFixture fixture;
  Browser browser(http_port(fixture.daemon()));
  expect_scan_reconstructs(fixture, 1);

  const json center = browser.command({{"type", "set_center"}, {"center_offset_px", -1.25}});
  EXPECT_EQ(center["ok"], true) << center.dump();
  EXPECT_EQ(center["command"], "set_center");
  EXPECT_DOUBLE_EQ(center["result"]["center_offset_px"].get<double>(), -1.25);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, -1.25);
  const auto recomputed = browser.wait_slice("xy", [](const json& h) { return h["center_offset_px"] == -1.25; });
  EXPECT_TRUE(recomputed);

  const json slices = browser.command({{"type", "set_slices"}, {"xy_row", 2}, {"yz_x_px", 5.5}});
  EXPECT_EQ(slices["ok"], true) << slices.dump();
  EXPECT_EQ(fixture.control().status().scan->xy_row, 2u);

  const json out_of_range = browser.command({{"type", "set_slices"}, {"xy_row", 1000}});
  EXPECT_EQ(out_of_range["ok"], false);
  EXPECT_EQ(out_of_range["error"]["code"], "invalid_argument");

  const json status = browser.command({{"type", "get_status"}});
  EXPECT_EQ(status["ok"], true);
  EXPECT_EQ(status["result"]["scan"]["xy_row"], 2);

  const std::uint64_t errors_before = fixture.control().counter("ws_errors");
  browser.send_text("{not json");
  const auto not_json = browser.wait_json("reply");
  ASSERT_TRUE(not_json);
  EXPECT_EQ((*not_json)["ok"], false);
  EXPECT_EQ((*not_json)["error"]["code"], "malformed_header");
  const json unknown = browser.command({{"type", "reboot"}});
  EXPECT_EQ(unknown["error"]["code"], "unknown_type");
  const json get_slice = browser.command({{"type", "get_slice"}, {"slice", "xy"}});
  EXPECT_EQ(get_slice["error"]["code"], "invalid_argument");
  EXPECT_EQ(fixture.control().counter("ws_errors"), errors_before + 3);

  // Still serving: ping, T5 reports into the status.
  browser.send({{"type", "ping"}, {"t", 42}});
  const auto pong = browser.wait_json("pong");
  ASSERT_TRUE(pong);
  EXPECT_EQ((*pong)["t"], 42);
  browser.send({{"type", "latency"}, {"scan_id", 1}, {"samples_us", {1000, 3000, 2000}}});
  browser.command({{"type", "get_status"}});  // handled after the report
  EXPECT_EQ(fixture.control().counter("viewer_latency_samples"), 3u);
  EXPECT_EQ(fixture.control().counter("viewer_latency_p50_us"), 2000u);
  browser.send({{"type", "latency"}, {"scan_id", 2}, {"samples_us", {500}}});  // a new scan starts afresh
  browser.command({{"type", "get_status"}});
  EXPECT_EQ(fixture.control().counter("viewer_latency_samples"), 1u);
}

TEST(WebSocket, ASweepIsAnsweredWithItsCandidateImagesAndReadOnlyViewersMayNotSweep) {
  DaemonFixture fixture(config_with_token());
  expect_scan_reconstructs(fixture, 1);
  const std::uint16_t port = http_port(fixture.daemon());
  Browser watcher(port);  // read-only: no token
  ASSERT_TRUE(watcher.wait_json("hello"));
  // Sweeps and estimates cost engine time: refused to a read-only viewer.
  const json refused = watcher.command({{"type", "sweep_center"}, {"start_offset_px", -1.0}, {"step_px", 0.5},
                                        {"count", 3}});
  EXPECT_EQ(refused["error"]["code"], "permission_denied") << refused.dump();
  EXPECT_EQ(refused["command"], "sweep_center");
  EXPECT_EQ(watcher.command({{"type", "estimate_center"}})["error"]["code"], "permission_denied");

  Browser operator_browser(port, "/ws?token=s3cret");
  ASSERT_TRUE(operator_browser.wait_json("hello"));
  const json reply = operator_browser.command({{"type", "sweep_center"},
                                               {"start_offset_px", -1.0},
                                               {"step_px", 0.5},
                                               {"count", 3},
                                               {"region", {0, 0, 64, 64}},
                                               {"max_shape", {16, 16}}});
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  EXPECT_EQ(reply["result"]["centers_px"], json({-1.0, -0.5, 0.0}));
  const std::uint64_t sweep_id = reply["sweep_id"].get<std::uint64_t>();
  const auto last = operator_browser.wait_slice("sweep", [](const json& h) { return h["index"] == 2; });
  ASSERT_TRUE(last);
  ASSERT_EQ(operator_browser.sweep_frames().size(), 3u);
  std::vector<float> images;
  const protocol::ControlRequest sweep(
      protocol::SweepCenter{-1.0, 0.5, 3, std::nullopt, protocol::SliceRegionField{0, 0, 64, 64}});
  ASSERT_TRUE(fixture.control().request_bytes(protocol::encode(sweep, "s3cret"), &images).ok());  // ZeroMQ: token
  for (std::size_t i = 0; i < 3; ++i) {
    const BrowserSlice& frame = operator_browser.sweep_frames()[i];
    EXPECT_EQ(frame.header["sweep_id"], sweep_id);
    EXPECT_EQ(frame.header["index"], i);
    EXPECT_EQ(frame.header["count"], 3);
    EXPECT_DOUBLE_EQ(frame.header["center_offset_px"].get<double>(), -1.0 + 0.5 * static_cast<double>(i));
    EXPECT_EQ(frame.header["shape"], json({64, 64}));
    EXPECT_EQ(frame.header["binning"], 4);
    ASSERT_EQ(frame.values.size(), 16u * 16u);
    const double quantum = (frame.header["value_max"].get<double>() - frame.header["value_min"].get<double>()) / 65535;
    for (std::size_t r = 0; r < 16; ++r) {  // 4 x 4 block means of the float32 candidate image
      for (std::size_t c = 0; c < 16; ++c) {
        double mean = 0;
        for (std::size_t a = 0; a < 4; ++a)
          for (std::size_t b = 0; b < 4; ++b) mean += images[i * 64 * 64 + (4 * r + a) * 64 + 4 * c + b];
        ASSERT_NEAR(frame.values[r * 16 + c], mean / 16, quantum + 1e-5) << i << ": " << r << "," << c;
      }
    }
  }

  // A sampled sweep (every 2nd pixel of a 63 x 63 region): 32 x 32 images, their shape and step in the reply and in
  // every frame, the frames the ZeroMQ reply's float32 images.
  const json stepped = operator_browser.command({{"type", "sweep_center"},
                                                 {"start_offset_px", -1.0},
                                                 {"step_px", 0.5},
                                                 {"count", 3},
                                                 {"region", {0, 0, 63, 63}},
                                                 {"pixel_step", 2},
                                                 {"max_shape", {32, 32}}});
  ASSERT_EQ(stepped["ok"], true) << stepped.dump();
  EXPECT_EQ(stepped["result"]["pixel_step"], 2);
  EXPECT_EQ(stepped["result"]["shape"], json({32, 32}));
  EXPECT_EQ(stepped["result"]["region"], json({0, 0, 63, 63}));
  const json stepped_id = stepped["sweep_id"];
  ASSERT_TRUE(operator_browser.wait_slice(
      "sweep", [&](const json& h) { return h["sweep_id"] == stepped_id && h["index"] == 2; }));
  protocol::SweepCenter sampled{-1.0, 0.5, 3, std::nullopt, protocol::SliceRegionField{0, 0, 63, 63}};
  sampled.pixel_step = 2u;
  ASSERT_TRUE(fixture.control().request_bytes(protocol::encode(protocol::ControlRequest(sampled), "s3cret"), &images)
                  .ok());
  ASSERT_EQ(images.size(), 3u * 32 * 32);
  ASSERT_EQ(operator_browser.sweep_frames().size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) {
    const BrowserSlice& frame = operator_browser.sweep_frames()[3 + i];
    EXPECT_EQ(frame.header["pixel_step"], 2);
    EXPECT_EQ(frame.header["shape"], json({32, 32}));
    EXPECT_EQ(frame.header["binning"], 1);
    ASSERT_EQ(frame.values.size(), 32u * 32u);
    const double quantum = (frame.header["value_max"].get<double>() - frame.header["value_min"].get<double>()) / 65535;
    for (std::size_t k = 0; k < 32 * 32; ++k) {
      ASSERT_NEAR(frame.values[k], images[i * 32 * 32 + k], quantum + 1e-5) << i << ": " << k;
    }
  }
  EXPECT_EQ(operator_browser.sweep_frames()[0].header["pixel_step"], 1);  // the whole region
}

TEST(WebSocket, SetProcessingFromAControllingBrowserAndNotFromAReadOnlyOne) {
  DaemonFixture fixture(config_with_token());
  const std::uint16_t port = http_port(fixture.daemon());
  expect_scan_reconstructs(fixture, 1);
  Browser watcher(port);  // read-only: no token
  ASSERT_TRUE(watcher.wait_json("hello"));
  Browser operator_browser(port, "/ws?token=s3cret");
  ASSERT_EQ(operator_browser.wait_json("hello").value_or(json::object())["read_only"], false);

  const json refused = watcher.command({{"type", "set_processing"}, {"window", "hann"}});
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["command"], "set_processing");
  EXPECT_EQ(refused["error"]["code"], "permission_denied");
  EXPECT_EQ(fixture.control().status().processing.window, protocol::FilterWindow::ram_lak);  // unchanged

  const json reply = operator_browser.command(
      {{"type", "set_processing"}, {"window", "hann"}, {"rings", {{"enabled", true}, {"size", 5}}}});
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  EXPECT_EQ(reply["result"]["processing"]["window"], "hann");
  EXPECT_EQ(reply["result"]["processing"]["rings"], json({{"enabled", true}, {"size", 5}}));
  EXPECT_EQ(reply["result"]["refilter"]["projections"], 90);
  EXPECT_EQ(fixture.control().status().processing.window, protocol::FilterWindow::hann);

  // Every browser hears of the change (the event at once, then the status messages every 500 ms).
  EXPECT_TRUE(watcher.wait_json("event", [](const json& m) { return m["kind"] == "processing_changed"; }));
  const auto status = watcher.wait_json("status", [](const json& m) {
    return m["status"]["processing"]["window"] == "hann" && m["status"]["scan"].contains("refilter");
  });
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["status"]["scan"]["refilter"]["reason"], "set_processing");

  // A bad value is refused with the daemon's reason.
  const json bad = operator_browser.command({{"type", "set_processing"}, {"rings", {{"size", 4}}}});
  EXPECT_EQ(bad["error"]["code"], "invalid_argument");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("odd"), std::string::npos) << bad.dump();
}

TEST(WebSocket, WithATokenOnlyViewersThatHaveItMayControl) {
  DaemonFixture fixture(config_with_token());
  const std::uint16_t port = http_port(fixture.daemon());
  expect_scan_reconstructs(fixture, 1);

  Browser watcher(port);
  const auto hello = watcher.wait_json("hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ((*hello)["read_only"], true);
  EXPECT_NE((*hello)["read_only_reason"].get<std::string>().find("--http-token"), std::string::npos);
  const json refused = watcher.command({{"type", "set_center"}, {"center_offset_px", 2.0}});
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["command"], "set_center");
  EXPECT_EQ(refused["error"]["code"], "permission_denied");
  EXPECT_EQ(watcher.command({{"type", "get_status"}})["ok"], true);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, 0.75);  // unchanged

  Browser wrong(port, "/ws?token=guess");
  EXPECT_EQ(wrong.wait_json("hello").value_or(json::object())["read_only"], true);

  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  Browser operator_browser(port, "/ws?token=s3cret", origin);
  EXPECT_EQ(operator_browser.wait_json("hello").value_or(json::object())["read_only"], false);
  EXPECT_EQ(operator_browser.command({{"type", "set_center"}, {"center_offset_px", 2.0}})["ok"], true);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, 2.0);

  // A page of another site is read-only even with the token.
  Browser other_site(port, "/ws?token=s3cret", "http://evil.example");
  const auto other_hello = other_site.wait_json("hello");
  ASSERT_TRUE(other_hello);
  EXPECT_EQ((*other_hello)["read_only"], true);
  EXPECT_EQ(other_site.command({{"type", "set_center"}, {"center_offset_px", 0.0}})["error"]["code"],
            "permission_denied");
  EXPECT_EQ(fixture.control().counter("control_errors"), 2u);  // the two refusals
}

TEST(WebSocket, ASlowBrowserGetsTheNewestSlicesAndNeverHoldsUpTheOthers) {
  DaemonFixture fixture;
  const std::uint16_t port = http_port(fixture.daemon());
  sim::ScanSpec spec = small_scan_spec(1);
  spec.cols = 256;  // 128 KiB per XY frame
  spec.projections_per_turn = 60;
  expect_scan_reconstructs(fixture, spec);

  Browser stalled(port, "/ws", "", 4096);  // never reads after the handshake
  Browser reader(port);
  ASSERT_TRUE(reader.wait_json("hello"));
  // Every center change is a new version of all three slices; far more bytes than the stalled socket can hold.
  double offset = 0.0;
  for (int i = 0; i < 120; ++i) {
    offset = (i % 2 == 0 ? 0.5 : -0.5) + i * 0.001;
    ASSERT_TRUE(fixture.control().request(protocol::SetCenter{offset, std::nullopt}).ok());
  }
  const auto newest = reader.wait_slice("xy", [&](const json& h) {
    return std::abs(h["center_offset_px"].get<double>() - offset) < 1e-5;  // the engine keeps float32
  });
  EXPECT_TRUE(newest) << "the reading browser did not get the newest slice while another one stalled";
  EXPECT_GT(fixture.control().counter("ws_slices_superseded"), 0u);
  EXPECT_EQ(fixture.control().counter("ws_clients"), 2u);
}

TEST(HttpServer, OnLoopbackWithoutATokenOnlyLoopbackHostsAreServed) {
  DaemonFixture fixture;  // 127.0.0.1, no token
  const std::uint16_t port = http_port(fixture.daemon());
  const std::string suffix = ":" + std::to_string(port);
  for (const std::string& host : std::vector<std::string>{"localhost" + suffix, "127.0.0.1" + suffix, "127.0.0.1",
                                                          "[::1]" + suffix}) {
    EXPECT_EQ(http_request(port, http::verb::get, "/missing.js", host).status, 404u) << host;
  }
  // DNS rebinding: a site whose name resolves to 127.0.0.1 gets neither the files nor the WebSocket.
  const HttpAnswer file = http_request(port, http::verb::get, "/index.html", "evil.example" + suffix);
  EXPECT_EQ(file.status, 403u);
  EXPECT_NE(file.body.find("Host"), std::string::npos) << file.body;
  EXPECT_EQ(Browser::refused_upgrade(port, "evil.example" + suffix), 403u);
  EXPECT_EQ(fixture.control().counter("http_refused"), 4u + 2u);  // 4 x 404, 2 x 403
  EXPECT_EQ(fixture.control().counter("ws_connections"), 0u);

  Browser local(port, "/ws", "http://localhost" + suffix, 0, "localhost" + suffix);
  EXPECT_EQ(local.wait_json("hello").value_or(json::object())["read_only"], false);
}

TEST(HttpServer, OversizeUrlsAndHeadersAreAnsweredWithTheirStatus) {
  DaemonFixture fixture;
  const std::uint16_t port = http_port(fixture.daemon());
  const std::string long_path = "/" + std::string(daemon::HttpServer::kMaxTargetBytes, 'a');
  EXPECT_EQ(http_request(port, http::verb::get, long_path).status, 414u);  // within the header limit
  EXPECT_EQ(http_request(port, http::verb::get, long_path + std::string(8 * 1024, 'b')).status, 414u);
  EXPECT_EQ(http_request(port, http::verb::get, "/missing.js", "", std::string(9 * 1024, 'x')).status, 431u);
  EXPECT_EQ(http_request(port, http::verb::get, "/missing.js").status, 404u);  // still serving
  EXPECT_EQ(fixture.control().counter("http_refused"), 4u);
}

TEST(HttpServer, ConnectionsBeyondTheCapAreRefusedAndTheOthersServed) {
  daemon::DaemonConfig config = test_config();
  config.http_max_connections = 4;
  DaemonFixture fixture(config);
  const std::uint16_t port = http_port(fixture.daemon());
  std::vector<std::unique_ptr<Browser>> browsers;
  for (int i = 0; i < 4; ++i) {
    browsers.push_back(std::make_unique<Browser>(port));
    ASSERT_TRUE(browsers.back()->wait_json("hello")) << i;
  }
  const HttpAnswer page = http_request(port, http::verb::get, "/index.html");
  EXPECT_EQ(page.status, 503u);
  EXPECT_NE(page.body.find("--http-max-connections"), std::string::npos) << page.body;
  EXPECT_EQ(Browser::refused_upgrade(port), 503u);
  EXPECT_EQ(fixture.control().counter("http_connections_refused"), 2u);
  // The connected browsers are served as before.
  for (auto& browser : browsers) EXPECT_EQ(browser->command({{"type", "get_status"}})["ok"], true);

  // A browser leaves: its place is free again once the daemon has seen it go.
  browsers.pop_back();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  unsigned status = 0;
  while (status != 404u && std::chrono::steady_clock::now() < deadline) {
    status = http_request(port, http::verb::get, "/missing.js").status;
  }
  EXPECT_EQ(status, 404u);
}

TEST(WebSocket, APingFloodGetsOnePongAndABoundedQueue) {
  DaemonFixture fixture;
  const std::uint16_t port = http_port(fixture.daemon());
  Browser bystander(port);
  ASSERT_TRUE(bystander.wait_json("hello"));
  Browser flooder(port, "/ws", "", 4096);  // reads nothing until the flood is over
  // Within the message budget: large pings whose pongs alone would be megabytes.
  const std::string payload(60 * 1024, 'p');
  const int pings = static_cast<int>(daemon::MessageBudget::kBurst) / 2;
  for (int i = 0; i < pings; ++i) flooder.send({{"type", "ping"}, {"t", json{i, payload}}});
  const auto newest = flooder.wait_json("pong", [&](const json& m) { return m["t"][0] == pings - 1; });
  EXPECT_TRUE(newest) << "the newest ping must be answered";
  EXPECT_LT(fixture.control().counter("ws_queued_bytes_peak"), 4 * payload.size());
  EXPECT_EQ(fixture.control().counter("ws_errors"), 0u);
  EXPECT_EQ(bystander.command({{"type", "get_status"}})["ok"], true);
}

TEST(WebSocket, MessagesBeyondTheBudgetAreRefusedUnreadWithOneReply) {
  DaemonFixture fixture;
  const std::uint16_t port = http_port(fixture.daemon());
  Browser bystander(port);
  ASSERT_TRUE(bystander.wait_json("hello"));
  Browser flooder(port, "/ws", "", 4096);
  const std::string payload(1024, 'p');
  constexpr int kPings = 20'000;
  for (int i = 0; i < kPings; ++i) flooder.send({{"type", "ping"}, {"t", json{i, payload}}});
  // Then it reads: a pong and one refusal that counts the refused messages, in either order.
  std::optional<json> refusal;
  bool pong = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(refusal && pong) && std::chrono::steady_clock::now() < deadline) {
    const auto message = flooder.read(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!message) break;
    if (message->binary) continue;
    const json value = json::parse(message->data);
    pong = pong || value["type"] == "pong";
    if (value["type"] == "reply" && value["error"]["code"] == "queue_full") refusal = value;
  }
  EXPECT_TRUE(pong);
  ASSERT_TRUE(refusal);
  EXPECT_NE((*refusal)["error"]["message"].get<std::string>().find("per second"), std::string::npos)
      << refusal->dump();
  // Most of the flood was refused unread, and it cost the daemon a few messages of queue.
  EXPECT_GE(fixture.control().counter("ws_errors"), static_cast<std::uint64_t>(kPings / 2));
  EXPECT_LT(fixture.control().counter("ws_queued_bytes_peak"), 64u * 1024u);
  EXPECT_EQ(fixture.control().counter("ws_clients"), 2u);
  EXPECT_EQ(bystander.command({{"type", "get_status"}})["ok"], true);
}

TEST(WebSocket, StoppingTheDaemonClosesBrowsersCleanly) {
  DaemonFixture fixture;
  Browser browser(http_port(fixture.daemon()));
  ASSERT_TRUE(browser.wait_json("hello"));
  std::optional<json> unexpected;
  std::thread reading([&] { unexpected = browser.wait_json("never", nullptr, 5s); });  // a browser keeps reading
  const auto started = std::chrono::steady_clock::now();
  fixture.daemon().stop();
  const auto stop_time = std::chrono::steady_clock::now() - started;
  reading.join();
  EXPECT_FALSE(unexpected);
  EXPECT_EQ(browser.last_error(), websocket::error::closed) << browser.last_error().message();  // a close frame
  EXPECT_LT(stop_time, daemon::HttpServer::kCloseGrace + 500ms);
}

}  // namespace
}  // namespace tomolive::testing
